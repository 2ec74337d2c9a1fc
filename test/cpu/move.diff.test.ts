// move.diff.test.ts: MOV, MOVZX/MOVSX/MOVSXD, LEA, XCHG/NOP/PAUSE, CMPXCHG(8B/16B), XADD, BSWAP,
// CMOVcc, SETcc, CBW…CQO, LAHF/SAHF, CLC…STD in every form and size, against the host CPU.
// MOV to/from segment registers is tested in move.sreg.test.ts (the host's selectors are not ours).
import { test } from 'node:test';
import { FORMS } from '../../emulator/isa/table';
import { Form, Loc } from '../../emulator/isa/form';
import { encode } from '../support/encode';
import { DATA, HostCase, caseBudget, differential, hostCpuAvailable, hostRegs, randomValue, rng } from '../support/differential';

const GROUP = /^(mov|movzx|movsx|movsxd|lea|xchg|cmpxchg|cmpxchg8b|cmpxchg16b|xadd|bswap|cmovcc|setcc|cbw|cwde|cdqe|cwd|cdq|cqo|lahf|sahf|clc|stc|cmc|cld|std)(_|$)/;
/** Forms tested elsewhere or by hand below: segment moves (no common selectors with the host), 16-bit moffs. */
const SKIP = /sreg|moffs\d+_a16|moffs\d+_[a-z]+_a16/;

function bytesOf(v: bigint, n: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(Number((v >> BigInt(8 * k)) & 0xffn));
  return out;
}

interface Built { cases: HostCase[]; names: string[] }

/** Cases for `forms` in `mode`: random registers, flags, DATA, and register or memory operands. */
function build(forms: Form[], mode: 64 | 32, perForm: number, next: () => number): Built {
  const cases: HostCase[] = [];
  const names: string[] = [];
  const pool = mode === 64 ? [0, 1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] : [0, 1, 2, 5, 6, 7];
  const pick = () => pool[Math.floor(next() * pool.length)];
  for (const f of forms) {
    const hasRm = f.operands.some((o) => o.loc === Loc.Rm);
    const memOnly = f.rmKind === 1;
    const moffs = f.operands.some((o) => o.loc === Loc.Moffs);
    for (let n = 0; n < perForm; n++) {
      const useMem = memOnly || hasRm && n % 2 === 1;
      const reg = pick(), rm = pick();
      const regs = hostRegs();
      for (const r of pool) regs[r] = mode === 64 ? randomValue(next) : BigInt.asUintN(32, randomValue(next));
      const data = new Uint8Array(256);
      for (let k = 0; k < 256; k++) data[k] = Math.floor(next() * 256);
      let disp = 8;
      if (f.name.startsWith('cmpxchg16b')) disp = [0, 16, 8][n % 3]; // two aligned, one #GP(0)
      regs[3] = BigInt(DATA + 0x40);
      // CMPXCHG*: make the comparison succeed half of the time.
      if (n % 4 < 2 && f.name.startsWith('cmpxchg')) {
        const size = f.opSize;
        if (f.name.startsWith('cmpxchg8b')) { data.set(bytesOf(regs[0], 4), 0x40 + disp); data.set(bytesOf(regs[2], 4), 0x44 + disp); }
        else if (f.name.startsWith('cmpxchg16b')) { data.set(bytesOf(regs[0], 8), 0x40 + disp); data.set(bytesOf(regs[2], 8), 0x48 + disp); }
        else if (useMem) data.set(bytesOf(regs[0], size / 8), 0x40 + disp);
        else regs[0] = regs[rm];
      }
      let imms: (number | bigint)[] = [Number(BigInt.asIntN(32, randomValue(next)))];
      if (f.imms.includes('io')) imms = [randomValue(next)];
      if (moffs) imms = [BigInt(DATA + Math.floor(next() * 200))];
      const mem = f.name.startsWith('lea')
        ? { base: pick(), index: next() < 0.5 ? pick() : -1, scale: Math.floor(next() * 4), disp: Number(BigInt.asIntN(32, randomValue(next))) }
        : { base: 3, disp };
      // LEA with 32-bit addresses in 64-bit mode (67h); 16-bit addressing is encoded by hand in the 32-bit test.
      const prefixes = mode === 64 && f.name.startsWith('lea') && n % 3 === 2 ? [0x67] : [];
      // LOCK on the lockable forms: accepted with a memory destination, #UD with a register (SDM Vol.2A LOCK).
      if (f.lock && n % 4 === 3) prefixes.push(0xf0);
      const code = encode(f, mode, { reg, rm: useMem ? -1 : rm, mem, imms, opReg: rm, cc: Math.floor(next() * 16), prefixes });
      cases.push({ mode, code, regs, rflags: Math.floor(next() * 0x1000) & 0xcd5, data: { offset: 0, bytes: data } });
      names.push(f.name);
    }
  }
  return { cases, names };
}

test('data movement group matches the host CPU (64-bit mode)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0x30e;
  const next = rng(seed);
  const forms = FORMS.filter((f) => GROUP.test(f.name) && !f.i64 && !SKIP.test(f.name) && f.name !== 'bswap_r16' && !/_a16$/.test(f.name));
  const perForm = Math.max(6, Math.ceil(caseBudget(5000) / forms.length));
  const { cases, names } = build(forms, 64, perForm, next);
  const n = differential(cases, { seed, describe: (_c, k) => names[k] });
  t.diagnostic(`${n} cases over ${forms.length} forms`);
});

test('BSWAP r16 matches the host CPU except the undefined destination', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0xb5;
  const next = rng(seed);
  const f = FORMS.find((x) => x.name === 'bswap_r16')!;
  let total = 0;
  for (const r of [0, 1, 2, 5, 9, 15]) {
    const { cases } = build([f], 64, 4, next);
    for (const c of cases) c.code = encode(f, 64, { opReg: r });
    // SDM Vol.2A BSWAP: with a 16-bit operand the result is undefined; the other registers are compared.
    total += differential(cases, { seed, regsMask: 0xffff & ~(1 << r), describe: () => `bswap_r16 r${r}` });
  }
  t.diagnostic(`${total} cases`);
});

test('opcode 90: NOP, PAUSE, XCHG with REX.B and 66 match the host CPU', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0x90;
  const next = rng(seed);
  const encodings = [[0x90], [0x48, 0x90], [0x41, 0x90], [0x49, 0x90], [0x66, 0x90], [0xf3, 0x90], [0xf2, 0x90],
    [0x66, 0x41, 0x90], [0xf3, 0x41, 0x90], [0x41, 0x97], [0x87, 0xc0], [0x66, 0x87, 0xc0], [0x48, 0x87, 0xc0]];
  const cases: HostCase[] = [];
  for (const e of encodings) {
    for (let n = 0; n < 8; n++) {
      const regs = hostRegs();
      for (const r of [0, 1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]) regs[r] = randomValue(next) | 0x1234567800000000n;
      cases.push({ mode: 64, code: Uint8Array.from(e), regs, rflags: 0 });
    }
  }
  const n = differential(cases, { seed, describe: (c) => Buffer.from(c.code).toString('hex') });
  t.diagnostic(`${n} cases`);
});

test('data movement group matches the host CPU (32-bit mode: legacy-only and 16-bit-operand forms)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0x320;
  const next = rng(seed);
  const forms = FORMS.filter((f) => GROUP.test(f.name) && !f.o64 && f.opSize !== 64 && !SKIP.test(f.name) &&
    f.name !== 'bswap_r16' && !/_a(16|64)$/.test(f.name) && (f.i64 || f.opSize === 16 || f.opSize === 8 || next() < 0.3));
  const perForm = Math.max(4, Math.ceil(caseBudget(1500) / forms.length));
  const { cases, names } = build(forms, 32, perForm, next);
  // LEA with 16-bit addressing (67h in 32-bit code): every ModRM.rm, mod 0/1/2, 16- and 32-bit operands.
  for (let k = 0; k < caseBudget(240); k++) {
    const mod = k % 3, rm = (k >> 2) & 7, o16 = k % 2 === 0;
    const modrm = (mod << 6) | (((k >> 5) & 7) << 3) | rm;
    const disp = mod === 1 ? [Math.floor(next() * 256)] : mod === 2 || rm === 6 ? [Math.floor(next() * 256), Math.floor(next() * 256)] : [];
    const regs = hostRegs();
    for (const r of [0, 1, 2, 3, 5, 6, 7]) regs[r] = BigInt.asUintN(32, randomValue(next));
    cases.push({ mode: 32, code: Uint8Array.from([0x67, ...(o16 ? [0x66] : []), 0x8d, modrm, ...disp]), regs, rflags: 0 });
    names.push(`lea a16 ${o16 ? 'o16' : 'o32'} modrm ${modrm.toString(16)}`);
  }
  const n = differential(cases, { seed, describe: (_c, k) => names[k] });
  t.diagnostic(`${n} cases over ${forms.length} forms`);
});
