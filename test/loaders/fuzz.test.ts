// loaders/fuzz.test.ts: thousands of seeded random mutations (truncations, bit flips, huge offsets and
// sizes) of a valid ELF (with DWARF 5 and 2 line tables) and of a Multiboot a.out-kludge image. The
// loaders must return error values, never throw, never back more RAM than the machine has, and be quick.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Machine } from '../../emulator/machine';
import { loadElf, parseElf } from '../../emulator/loaders/elf';
import { loadMultiboot } from '../../emulator/loaders/multiboot';
import { defaultBoot } from '../../emulator/loaders/detect';
import { aoutKernel, inTemp, readBytes, run, toolsMissing } from './tools';
import { rng as prng } from '../support/random';

const COUNT = Number(process.env.FUZZ_CASES ?? 3000);


const HUGE = [0xffffffff, 0x7fffffff, 0x80000000, 0xfffffff0, 0x10000, 0x1000000];

/** One random mutation of `base`; `hot` lists regions (headers, tables) worth hitting more often. */
function mutate(base: Uint8Array, rnd: () => number, hot: [number, number][]): Uint8Array {
  const pick = (n: number): number => Math.floor(rnd() * n);
  let b = base.slice();
  const place = (): number => {
    if (hot.length && rnd() < 0.7) {
      const [s, e] = hot[pick(hot.length)];
      return Math.min(b.length - 1, s + pick(Math.max(1, e - s)));
    }
    return pick(b.length);
  };
  const ops = 1 + pick(4);
  for (let k = 0; k < ops && b.length > 0; k++) {
    const kind = pick(4);
    if (kind === 0) b = b.subarray(0, pick(b.length));
    else if (kind === 1) { const at = place(); b[at] ^= 1 << pick(8); }
    else if (kind === 2) {
      const at = place() & ~3;
      const v = rnd() < 0.5 ? HUGE[pick(HUGE.length)] : Math.floor(rnd() * 2 ** 32);
      for (let j = 0; j < 4 && at + j < b.length; j++) b[at + j] = (v >>> (8 * j)) & 0xff;
    } else { const at = place(); b[at] = pick(256); }
  }
  return b;
}

function fuzz(name: string, base: Uint8Array, seed: number, hot: [number, number][]): void {
  const m = new Machine({ memory: 64 * 2 ** 20 });
  const rnd = prng(seed);
  const started = Date.now();
  let errors = 0;
  for (let k = 0; k < COUNT; k++) {
    const b = mutate(base, rnd, hot);
    try {
      const p = parseElf(b, name);
      const l = loadElf(m, b, name);
      const mb = loadMultiboot(m, b, { file: name, cmdline: 'x', modules: [{ string: 'm', bytes: new Uint8Array(3) }] });
      defaultBoot(b, name);
      if (!p.ok) assert.ok(p.message.startsWith(`${name}: `));
      if (!p.ok || !l.ok || !mb.ok) errors++;
    } catch (e) {
      assert.fail(`mutation ${k} (seed ${seed}) threw: ${e instanceof Error ? e.stack : String(e)}`);
    }
    assert.ok(m.phys.touchedBytes <= 64 * 2 ** 20);
  }
  assert.ok(errors > 0);
  assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
}

test('fuzzed ELF64 with DWARF 5 and an ELF32 with DWARF 2: errors, never exceptions', { skip: toolsMissing(['gcc', 'ld']) ?? undefined, timeout: 60_000 }, () => {
  const src = 'int counter;\nint main(void) {\n  for (int i = 0; i < 4; i++)\n    counter += i;\n  return counter;\n}\n';
  inTemp({ 't.c': src }, (dir) => {
    run('gcc', ['-gdwarf-5', '-O0', '-ffreestanding', '-fno-pic', '-c', 't.c', '-o', 't.o'], dir);
    run('ld', ['-e', 'main', '-Ttext', '0x100000', '-o', 't.elf', 't.o'], dir);
    run('gcc', ['-m32', '-gdwarf-2', '-O0', '-ffreestanding', '-fno-pic', '-c', 't.c', '-o', 't32.o'], dir);
    run('ld', ['-m', 'elf_i386', '-e', 'main', '-Ttext', '0x100000', '-o', 't32.elf', 't32.o'], dir);
    for (const [file, seed] of [['t.elf', 1], ['t32.elf', 2]] as const) {
      const bytes = readBytes(join(dir, file));
      const p = parseElf(bytes, file);
      assert.ok(p.ok);
      const hot: [number, number][] = [[0, 64]];
      for (const ph of p.image.programHeaders) hot.push([ph.offset, ph.offset + 8]);
      const phoff = Number(new DataView(bytes.buffer).getUint32(file === 't.elf' ? 32 : 28, true));
      hot.push([phoff, phoff + 56 * p.image.programHeaders.length]);
      for (const s of p.image.sections) {
        if (s.name.startsWith('.debug_line') || s.name === '.symtab' || s.name === '.strtab') hot.push([s.offset, s.offset + s.size]);
      }
      fuzz(file, bytes, seed, hot);
    }
  });
});

test('fuzzed Multiboot a.out-kludge image: errors, never exceptions', { timeout: 60_000 }, () => {
  const img = aoutKernel();
  fuzz('aout.bin', img, 3, [[0, 32]]);
});
