// intelDisasm.test.ts: the Intel-syntax formatter (assembler/disasm/intel.ts) agrees with `objdump -d -M intel`
// for every table form (register and memory operands, segment overrides, immediates) in 16-, 32- and
// 64-bit code, and both syntaxes name branch targets after symbols as objdump does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORMS } from '../../emulator/isa/table';
import { Form, Loc } from '../../emulator/isa/form';
import { encode } from '../support/encode';
import { binutilsMissing, mergePrefixLines, normalise } from '../support/objdump';
import { disassemble } from '../../assembler/disasm/index';

type Mode = 16 | 32 | 64;
const MACHINE: Record<Mode, string> = { 16: 'i8086', 32: 'i386', 64: 'i386:x86-64' };

function objdumpIntel(blob: Uint8Array, mode: Mode): { addr: number; bytes: number[]; text: string }[] {
  const dir = mkdtempSync(join(tmpdir(), 'trampoline-intel-'));
  try {
    const file = join(dir, 'blob.bin');
    writeFileSync(file, blob);
    const out = execFileSync('objdump', ['-D', '-w', '-M', 'intel', '-b', 'binary', '-m', MACHINE[mode], file], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const lines = [];
    for (const l of out.split('\n')) {
      const m = /^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*(?:\t(.*))?$/.exec(l);
      if (m) lines.push({ addr: parseInt(m[1], 16), bytes: m[2].trim().split(/\s+/).map((b) => parseInt(b, 16)), text: normalise(m[3] ?? '') });
    }
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function validIn(f: Form, mode: Mode): boolean {
  if (f.i64 && mode === 64 || f.o64 && mode !== 64) return false;
  if (f.vex && mode === 16) return false;
  if (f.opSize === 64 && mode !== 64) return false;
  if (f.addrSize === 64 && mode !== 64 || f.addrSize === 16 && mode === 64) return false;
  return true;
}

/** Register forms and memory forms (base, base+index*scale+disp, absolute, a segment override) of every form. */
function cases(mode: Mode): Uint8Array[] {
  const out: Uint8Array[] = [];
  const regs = mode === 64 ? [0, 3, 9] : [0, 3, 6];
  // SALC (D6) is undocumented; objdump prints (bad) for it (see test/isa/objdump.test.ts).
  for (const f of FORMS) {
    if (!validIn(f, mode)) continue;
    const imms = [0x12, 0x3];
    const hasRm = f.operands.some((o) => o.loc === Loc.Rm || o.loc === Loc.Mem || o.loc === Loc.MemFar);
    const tryPush = (fn: () => Uint8Array) => {
      try { out.push(fn()); } catch { /* a combination encode() does not support */ }
    };
    if (f.rmKind !== 1) for (const r of regs) tryPush(() => encode(f, mode, { reg: r, rm: (r + 1) % 8, opReg: r, imms, cc: r & 15 }));
    if (hasRm) {
      const b = mode === 16 ? 3 : 3;
      tryPush(() => encode(f, mode, { reg: 1, rm: -1, mem: { base: b, disp: 0x10 }, imms }));
      if (mode !== 16) {
        tryPush(() => encode(f, mode, { reg: 2, rm: -1, mem: { base: 0, index: 1, scale: 4, disp: -8 }, imms }));
        tryPush(() => encode(f, mode, { reg: 2, rm: -1, mem: { base: -1, disp: 0x1000 }, imms }));
      }
      tryPush(() => encode(f, mode, { reg: 0, rm: -1, mem: { base: b, disp: 4 }, imms, prefixes: [0x64] }));
    }
  }
  return out;
}

for (const mode of [16, 32, 64] as Mode[]) {
  test(`Intel syntax matches objdump -M intel for every form (${mode}-bit)`, { skip: binutilsMissing() ?? undefined }, (t) => {
    const all = cases(mode);
    const failures: string[] = [];
    let compared = 0;
    // Blobs under 60 KiB so 16-bit IP wrap-around never separates us from objdump.
    for (let k = 0; k < all.length;) {
      const group: Uint8Array[] = [];
      let size = 0;
      while (k < all.length && size + all[k].length < 0xf000) { group.push(all[k]); size += all[k++].length; }
      const blob = new Uint8Array(size);
      let p = 0;
      for (const g of group) { blob.set(g, p); p += g.length; }
      const ours = new Map(disassemble(blob, { bits: mode, syntax: 'intel' }).map((l) => [l.address, l]));
      for (const l of mergePrefixLines(objdumpIntel(blob, mode))) {
        const o = ours.get(l.addr);
        if (!o || o.bad || o.bytes.length !== l.bytes.length) continue; // lengths are objdump.test.ts's subject
        compared++;
        const text = normalise(o.text);
        if (text !== l.text && !(l.text === '(bad)' && text === 'salc')) failures.push(`${Buffer.from(l.bytes).toString('hex')}: ours "${text}" objdump "${l.text}"`);
      }
    }
    t.diagnostic(`${mode}-bit: ${all.length} encodings, ${compared} compared, ${compared - failures.length} match`);
    assert.equal(failures.length, 0, `differences from objdump -M intel:\n${[...new Set(failures)].slice(0, 60).join('\n')}`);
  });
}

test('branch targets and RIP-relative operands are named after symbols in both syntaxes', () => {
  // call +0x10 (to 0x1015 from 0x1000), jmp -2 (to itself), lea 0x10(%rip),%rax
  const code = Uint8Array.from([0xe8, 0x10, 0, 0, 0, 0xeb, 0xfe, 0x48, 0x8d, 0x05, 0x10, 0, 0, 0]);
  const symbols = [{ name: 'lvl5_trampoline', address: 0x1005 }, { name: 'start', address: 0x1000 }];
  const att = disassemble(code, { start: 0x1000, symbols }).map((l) => l.text);
  assert.deepEqual(att, [
    'call   1015 <lvl5_trampoline+0x10>',
    'jmp    1005 <lvl5_trampoline>',
    'lea    0x10(%rip),%rax        # 101e <lvl5_trampoline+0x19>',
  ]);
  const intel = disassemble(code, { start: 0x1000, symbols, syntax: 'intel' }).map((l) => l.text);
  assert.deepEqual(intel, [
    'call   1015 <lvl5_trampoline+0x10>',
    'jmp    1005 <lvl5_trampoline>',
    'lea    rax,[rip+0x10]        # 101e <lvl5_trampoline+0x19>',
  ]);
  assert.equal(disassemble(code, { start: 0x1000 })[0].text, 'call   0x1015');
});
