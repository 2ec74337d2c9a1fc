// string.diff.test.ts: MOVS, STOS, LODS, SCAS, CMPS (with and without REP/REPE/REPNE), XLAT and the hint
// NOPs against the host CPU: every operand size, address sizes 64/32 (64-bit mode) and 32 (32-bit mode),
// DF both ways, counts 0, 1, 2, 7, 100 and random small ones, overlapping source and destination, and
// CMPS/SCAS stopping early on both conditions.
import { test } from 'node:test';
import { FORMS } from '../../emulator/isa/table';
import { Form } from '../../emulator/isa/form';
import { encode } from '../support/encode';
import { DATA, HostCase, caseBudget, differential, hostCpuAvailable, hostRegs, randomValue, rng } from '../support/differential';

const STRING = /^(movs|stos|lods|scas|cmps)[bwdq]$/;
const WINDOW = 0x1000;
const COUNTS = [0, 1, 2, 7, 100];

function stringCases(mode: 64 | 32, seed: number, names: string[]): HostCase[] {
  const next = rng(seed);
  const forms = FORMS.filter((f) => STRING.test(f.name) && !(mode === 32 && f.opSize === 64));
  const perForm = Math.max(40, Math.ceil(caseBudget(4000) / forms.length));
  const cases: HostCase[] = [];
  for (const f of forms) {
    const repcc = f.repcc;
    for (let n = 0; n < perForm; n++) {
      const rep = n % 5 === 4 ? 0 : repcc ? (n % 2 ? 0xf3 : 0xf2) : 0xf3;
      const a32 = mode === 64 && n % 3 === 0; // 67h: ESI/EDI/ECX in 64-bit mode
      const count = n < COUNTS.length * 2 ? COUNTS[n % COUNTS.length] : Math.floor(next() * 24);
      const back = next() < 0.5;
      const prefixes: number[] = [];
      if (a32) prefixes.push(0x67);
      // Segment overrides on the source: ignored in 64-bit mode except FS/GS (both based at 0 here).
      const seg = next();
      if (seg < 0.15) prefixes.push(mode === 64 ? 0x64 : 0x3e);
      else if (seg < 0.3) prefixes.push(0x26);
      if (rep) prefixes.push(rep);
      const code = encode(f, mode, { prefixes });
      const regs = hostRegs();
      for (const r of [0, 1, 2, 5, 8, 9, 10, 11, 12, 13, 14, 15]) regs[r] = randomValue(next);
      const srcOff = 0x380 + Math.floor(next() * 0x780);
      // Overlap often: the destination near the source.
      const dstOff = next() < 0.5 ? srcOff + Math.floor(next() * 33) - 16 : 0x380 + Math.floor(next() * 0x780);
      const hiJunk = a32 ? BigInt(Math.floor(next() * 0x100000000)) << 32n : 0n;
      regs[6] = BigInt(DATA + srcOff) | hiJunk;
      regs[7] = BigInt(DATA + dstOff) | hiJunk;
      regs[1] = (mode === 64 && next() < 0.5 ? BigInt(Math.floor(next() * 0x100000000)) << 32n : 0n) | BigInt(count);
      if (mode === 64 && !a32 && regs[1] >> 32n !== 0n) regs[1] = BigInt(count); // RCX is the whole count
      if (mode === 32 || !a32) { regs[6] &= 0xffffffffn; regs[7] &= 0xffffffffn; }
      // Data from a two-value alphabet, so equal and unequal elements both come up often.
      const data = new Uint8Array(WINDOW);
      const alpha = Math.floor(next() * 256);
      const p = next();
      for (let k = 0; k < WINDOW; k++) data[k] = next() < p ? alpha : alpha ^ 1;
      regs[0] = BigInt.asUintN(64, BigInt(alpha) * 0x0101010101010101n ^ (next() < 0.5 ? 0n : 1n));
      cases.push({ mode, code, regs, rflags: (Math.floor(next() * 0x1000) & 0x8d5) | (back ? 0x400 : 0), data: { offset: 0, bytes: data } });
      names.push(`${f.name} rep=${rep.toString(16)} a32=${a32} count=${count} df=${back}`);
    }
  }
  return cases;
}

function runStrings(mode: 64 | 32, seed: number, t: { diagnostic(s: string): void }): void {
  const names: string[] = [];
  const cases = stringCases(mode, seed, names);
  const n = differential(cases, { seed, describe: (_c, k) => names[k] });
  t.diagnostic(`${n} string cases`);
}

test('string instructions match the host CPU (64-bit mode)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  runStrings(64, 0x57, t);
});

test('string instructions match the host CPU (32-bit mode)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  runStrings(32, 0x58, t);
});

test('XLAT and hint NOPs match the host CPU', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0x59;
  const next = rng(seed);
  const cases: HostCase[] = [];
  const names: string[] = [];
  const nops = FORMS.filter((f) => /^(nop_rm|prefetch|endbr)/.test(f.name));
  const xlat = FORMS.find((f) => f.name === 'xlatb') as Form;
  for (const mode of [64, 32] as const) {
    for (let n = 0; n < caseBudget(200); n++) {
      const a32 = mode === 64 && n % 2 === 1;
      const regs = hostRegs();
      for (const r of [0, 1, 2, 5, 6, 7]) regs[r] = randomValue(next);
      regs[3] = BigInt(DATA + Math.floor(next() * 0x100)) | (a32 ? BigInt(Math.floor(next() * 0x100000000)) << 32n : 0n);
      const data = new Uint8Array(0x200);
      for (let k = 0; k < data.length; k++) data[k] = Math.floor(next() * 256);
      const code = encode(xlat, mode, { prefixes: a32 ? [0x67] : [] });
      cases.push({ mode, code, regs, rflags: Math.floor(next() * 0x1000) & 0x8d5, data: { offset: 0, bytes: data } });
      names.push(`xlatb mode ${mode} a32=${a32}`);
    }
    for (const f of nops) {
      if (f.opSize === 64 && mode === 32) continue;
      const regs = hostRegs();
      for (const r of [0, 1, 2, 5, 6, 7]) regs[r] = randomValue(next);
      regs[3] = BigInt(DATA);
      const code = encode(f, mode, { rm: -1, mem: { base: 3, disp: 8 } });
      cases.push({ mode, code, regs, rflags: Math.floor(next() * 0x1000) & 0x8d5 });
      names.push(`${f.name} mode ${mode}`);
    }
  }
  const n = differential(cases, { seed, describe: (_c, k) => names[k] });
  t.diagnostic(`${n} cases`);
});
