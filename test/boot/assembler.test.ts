// boot/assembler.test.ts: every boot test program in test/boot (enumerated at run time) built by the
// built-in assembler (support/bootProgram.ts, what the boot tests run) and by GNU `as --32` + `ld`: the
// bytes a loader puts in memory must be the same. For a Multiboot ELF that is each PT_LOAD segment's bytes
// at its physical address (p_paddr, the address Multiboot §3.1.4 loaders honour), zero-filled up to p_memsz,
// and the entry point; ld's extra segment mapping the ELF headers (p_offset 0) holds no program bytes and
// is left out. For a boot sector it is the 512 bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bootSources, bootToolsMissing, buildBootProgram, buildBootProgramGnu, buildBootSector, buildBootSectorGnu, parseElf32,
} from '../support/bootProgram';

const tools = bootToolsMissing();
const { programs, sectors } = bootSources();

/** The loaded bytes of an ELF32 image: address -> byte, zero-fill included. */
function loadedBytes(elf: Uint8Array): Map<number, number> {
  const memory = new Map<number, number>();
  for (const s of parseElf32(elf).segments) {
    if (s.offset === 0 && s.data[0] === 0x7f && s.data[1] === 0x45) continue; // ld's headers-only segment
    for (let k = 0; k < s.memsz; k++) memory.set(s.paddr + k, k < s.data.length ? s.data[k] : 0);
  }
  return memory;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** The first address where two loaded images differ, described, or null when they are the same. */
function firstDifference(ours: Map<number, number>, gnu: Map<number, number>): string | null {
  const addresses = [...new Set([...ours.keys(), ...gnu.keys()])].sort((a, b) => a - b);
  for (const a of addresses) {
    const o = ours.get(a), g = gnu.get(a);
    // A byte only one side loads still matches when it is zero: ld zero-fills the gap between .data and
    // an aligned .bss inside one segment, which ours leaves as the (zeroed) RAM it was.
    if ((o ?? 0) !== (g ?? 0) || (o === undefined && g === undefined)) {
      return `at ${hex(a)}: ours ${o === undefined ? 'not loaded' : hex(o)}, GNU ${g === undefined ? 'not loaded' : hex(g)}`;
    }
  }
  return null;
}

test('boot programs: test/boot holds Multiboot programs and boot sectors to compare', () => {
  assert.ok(programs.length >= 1 && sectors.length >= 1, `programs ${programs.join(',')}; sectors ${sectors.join(',')}`);
});

for (const name of programs) {
  test(`boot ${name}: the built-in assembler loads the same bytes and entry as GNU as + ld`, { skip: tools ?? undefined }, (t) => {
    let gnu: Uint8Array;
    try {
      gnu = buildBootProgramGnu(name);
    } catch (e) {
      // GNU as or ld rejects the program (e.g. a 64-bit `$symbol` an i386 object cannot relocate): so must we.
      assert.throws(() => buildBootProgram(name), Error, `GNU rejects ${name}.S but ours builds it:\n${e instanceof Error ? e.message : String(e)}`);
      t.diagnostic(`${name}.S: GNU as + ld and ours both reject it`);
      return;
    }
    const ours = buildBootProgram(name);
    assert.equal(hex(parseElf32(ours).entry), hex(parseElf32(gnu).entry), 'entry point');
    const o = loadedBytes(ours), g = loadedBytes(gnu);
    assert.equal(firstDifference(o, g), null);
    // Everything ours loads, ld loads too (no byte outside GNU's segments).
    const outside = [...o.keys()].find((a) => !g.has(a));
    assert.equal(outside, undefined, `ours loads ${hex(outside ?? 0)} which ld's image does not`);
  });
}

for (const name of sectors) {
  test(`boot sector ${name}: the built-in assembler writes the same 512 bytes as GNU as + ld --oformat binary`, { skip: tools ?? undefined }, () => {
    assert.equal(Buffer.from(buildBootSector(name)).toString('hex'), Buffer.from(buildBootSectorGnu(name)).toString('hex'));
  });
}
