// lengths.test.ts: on random byte strings our decoder finds the same instruction boundaries as GNU
// objdump, says BAD where objdump says (bad), and names each instruction as objdump does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BAD, TOO_LONG } from '../../emulator/cpu/decode';
import { LEGACY } from '../../emulator/isa/table';
import { binutilsMissing, decodeAt, mergePrefixLines, Mode, objdumpBinary, ourText, splitPrefixes } from '../support/objdump';
import { rng } from '../support/random';

const BYTES = Number(process.env.LENGTH_BYTES ?? 60000);

/** Mnemonics objdump and we may spell differently for the same instruction. */
function sameName(ours: string, theirs: string): boolean {
  theirs = theirs.replace(/,p[tn]$/, ''); // branch hints (2E/3E on Jcc)
  ours = ours.replace(/,p[tn]$/, '');
  const strip = (m: string) => m.replace(/[bwlq]$/, '');
  if (ours === theirs || strip(ours) === theirs || ours === strip(theirs) || strip(ours) === strip(theirs)) return true;
  // objdump names 66 90 "xchg %ax,%ax"; the table has it as NOP.
  // F2/F3 90 in 16/32-bit code: the table picks XCHG AX,AX (NOP forbids the prefix); the same no-op.
  return ours === 'nop' && theirs === 'xchg' || ours === 'xchg' && theirs === 'nop';
}

/** Opcode bytes (map and opcode, no prefixes) for the "not emulated" summary. */
function opcodeOf(bytes: number[], mode: Mode): string {
  let k = 0;
  while (k < bytes.length && ([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3].includes(bytes[k]) ||
    mode === 64 && (bytes[k] & 0xf0) === 0x40)) k++;
  const b = bytes.slice(k);
  if (b[0] === 0x0f) return Buffer.from(b.slice(0, b[1] === 0x38 || b[1] === 0x3a ? 3 : 2)).toString('hex');
  if (b[0] === 0xc4 || b[0] === 0xc5) return 'vex';
  return Buffer.from(b.slice(0, 1)).toString('hex');
}

const missing = binutilsMissing();

for (const [mode, seed] of [[16, 0x1616], [32, 0x3232], [64, 0x6464]] as [Mode, number][]) {
  test(`random bytes decode like objdump (${mode}-bit)`, { skip: missing ?? undefined }, (t) => {
    const next = rng(seed);
    // 16-bit: under 64 KiB so IP never wraps differently from objdump's addresses.
    const size = mode === 16 ? Math.min(BYTES, 0xf000) : BYTES;
    const blob = new Uint8Array(size);
    // Uniform bytes, with extra 0F so two-byte opcodes get their share.
    for (let k = 0; k < size; k++) blob[k] = next() < 1 / 12 ? 0x0f : (next() * 256) | 0;
    const lines = mergePrefixLines(objdumpBinary(blob, mode));
    let both = 0, badBoth = 0, notEmulated = 0, rejectedKnown = 0, undocumented = 0, amdBranch = 0;
    const notEmulatedOps = new Map<string, number>();
    const rejectedExamples: string[] = [];
    const failures: string[] = [];
    for (const l of lines) {
      if (l.addr + 16 > size) break; // objdump may cut the last instruction short
      const hex = Buffer.from(l.bytes).toString('hex');
      const i = decodeAt(blob, l.addr, mode);
      const ourBad = i.form === BAD || i.form === TOO_LONG;
      const theirs = splitPrefixes(l.text);
      const theirBad = theirs.mnemonic === '(bad)' || l.text.includes('(bad)');
      // 9B then an x87 escape: objdump prints one WAIT-prefixed x87 instruction (FSTCW, FINIT …, or bad);
      // the processor runs WAIT on its own (SDM Vol.2B WAIT/FWAIT) and x87 is not emulated.
      if (i.form.name === 'wait' && l.bytes.length > i.len) {
        notEmulated++;
        notEmulatedOps.set('9b+x87', (notEmulatedOps.get('9b+x87') ?? 0) + 1);
        continue;
      }
      if (theirBad) {
        if (ourBad) badBoth++;
        else if (i.form.name === 'salc') undocumented++; // D6: executes on Intel and AMD, unknown to binutils
        // F2 0F BC/BD: objdump 2.40 calls it bad; the processor ignores F2 and runs BSF/BSR (SDM Vol.2 §2.1.1).
        else if (i.form.map === 1 && (i.form.opcode === 0xbc || i.form.opcode === 0xbd) && l.bytes.includes(0xf2)) undocumented++;
        else failures.push(`${hex}: we decode ${i.form.name} (${ourText(blob, l.addr, mode, i)}), objdump says (bad)`);
        continue;
      }
      if (ourBad) {
        notEmulated++;
        const op = opcodeOf(l.bytes, mode);
        notEmulatedOps.set(op, (notEmulatedOps.get(op) ?? 0) + 1);
        // An opcode the table has: we reject an encoding objdump prints (LOCK on a register, …).
        const b = l.bytes;
        const first = b.find((x) => !(mode === 64 && (x & 0xf0) === 0x40) && ![0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3].includes(x));
        if (first !== undefined && first !== 0x0f && LEGACY[0][first].length > 0) {
          rejectedKnown++;
          if (rejectedExamples.length < 12) rejectedExamples.push(`${hex} (${l.text})`);
        }
        continue;
      }
      both++;
      // 66h on a near branch in 64-bit mode: Intel ignores it (operand size forced to 64, SDM Vol.2 §2.2.1.7),
      // AMD and objdump (without -M intel64) take a 16-bit offset. We follow Intel.
      if (mode === 64 && i.form.f64 && l.bytes.slice(0, l.bytes.length - 2).includes(0x66) && i.len !== l.bytes.length) {
        amdBranch++;
        continue;
      }
      if (i.len !== l.bytes.length) {
        failures.push(`${hex}: length ${i.len} (${i.form.name}), objdump ${l.bytes.length} (${l.text})`);
        continue;
      }
      const ours = splitPrefixes(ourText(blob, l.addr, mode, i)).mnemonic;
      if (!sameName(ours, theirs.mnemonic)) failures.push(`${hex}: we name it ${ours} (${i.form.name}), objdump ${l.text}`);
    }
    const top = [...notEmulatedOps].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([op, n]) => `${op}×${n}`).join(' ');
    t.diagnostic(`${mode}-bit: ${lines.length} objdump instructions; ${both} decoded by both, ${both - failures.length} agree; ` +
      `${badBoth} bad in both; ${amdBranch} 66h near branches (AMD length, we follow Intel); ${undocumented} SALC or F2 BSF/BSR (objdump: bad); ${notEmulated} not emulated (most frequent: ${top})`);
    if (rejectedKnown) t.diagnostic(`${mode}-bit: ${rejectedKnown} rejected with a one-byte opcode the table has, e.g. ${rejectedExamples.join('; ')}`);
    assert.equal(failures.length, 0, `disagreements with objdump:\n${failures.slice(0, 60).join('\n')}`);
  });
}
