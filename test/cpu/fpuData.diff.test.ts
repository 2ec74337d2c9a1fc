// fpuData.diff.test.ts: the x87 data transfers against the host CPU — FLD/FST/FSTP with single, double and
// extended reals, FILD/FIST/FISTP with word, short and long integers, the constants under each rounding mode,
// FXCH/FFREE/FCHS/FABS/FST ST(i), and the stack faults. Every value conversion is checked, with edge and
// random values (±0, denormals, the largest and smallest normals, NaN payloads, pseudo-NaNs and unnormals,
// values that round or overflow), under all four FCW.RC settings, with exceptions masked and unmasked.
// Each blob starts from FXRSTOR of a zero image and FNINIT, so the harness's FPU state never shows; what it
// stores (results, FNSTSW after each step, then FNSAVE's environment and registers) is compared byte for
// byte. Masked: FNSAVE's FCS and FDS, the harness's segment selectors (see fpu.diff.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostCpuAvailable, hostRegs, HostCase } from '../host/hostCpu';
import { rng } from '../support/random';
import { blob, DATA, maskSaveSelectors, runBoth } from './fpuHost';

const skip = hostCpuAvailable();

// DATA layout: 0x000 a zero FXRSTOR image, 0x200 inputs (FCW at +0), 0x300 outputs (AAh), 0x380 FNSAVE.
const BASE = DATA, IN = DATA + 0x200, OUT = DATA + 0x300, SAVE = DATA + 0x380;
const WINDOW = 0x400;

interface Case { name: string; mode: 32 | 64; asm: string; input: Uint8Array }

/** An 80-bit value: sign, biased exponent, 64-bit significand (SDM Vol.1 §4.2.2). */
function ext(sign: number, exp: number, mant: bigint): number[] {
  const b: number[] = [];
  for (let k = 0n; k < 8n; k++) b.push(Number((mant >> (8n * k)) & 0xffn));
  const se = (sign << 15) | exp;
  b.push(se & 0xff, se >> 8);
  return b;
}

const J = 1n << 63n;
/** 80-bit edge values: classes (SDM Vol.1 Table 8-3) and the limits of the single, double and integer formats. */
function edgeValues(): number[][] {
  const v: number[][] = [];
  for (const s of [0, 1]) {
    v.push(ext(s, 0, 0n), ext(s, 0x3fff, J), ext(s, 0x7fff, J)); // 0, 1, ∞
    v.push(ext(s, 0x7fff, J | 0x4000_0000_0000_1234n), ext(s, 0x7fff, J | 0x0000_1234_5678_9abcn)); // QNaN, SNaN with payloads
    v.push(ext(s, 0x7fff, 0x4000_0000_0000_0000n), ext(s, 0x4000, 0x4000_0000_0000_0000n)); // pseudo-NaN, unnormal
    v.push(ext(s, 0, 0x0000_0000_1234_5678n), ext(s, 0, J | 5n)); // denormal, pseudo-denormal
    v.push(ext(s, 0x7ffe, ~0n & ((1n << 64n) - 1n)), ext(s, 1, J)); // largest and smallest normal
    // Single: largest, largest + half an ulp (a tie), just above it, the smallest normal and the values
    // around it (tininess before/after rounding), denormals and half the smallest denormal.
    const e32 = (e: number) => 0x3fff + e;
    v.push(ext(s, e32(127), 0xffff_ff00_0000_0000n), ext(s, e32(127), 0xffff_ff80_0000_0000n), ext(s, e32(127), 0xffff_ff80_0000_0001n));
    v.push(ext(s, e32(-126), J), ext(s, e32(-127), 0xffff_ffff_ffff_ffffn), ext(s, e32(-127), 0xffff_ff00_0000_0000n));
    v.push(ext(s, e32(-127), 0xffff_ff80_0000_0000n), ext(s, e32(-130), 0xabcd_ef12_3456_789an), ext(s, e32(-149), J), ext(s, e32(-150), J));
    v.push(ext(s, e32(-150), J | 1n), ext(s, e32(-151), J), ext(s, e32(-160), J | 0x1234n));
    // Double: the same limits.
    const e64 = (e: number) => 0x3fff + e;
    v.push(ext(s, e64(1023), 0xffff_ffff_ffff_f800n), ext(s, e64(1023), 0xffff_ffff_ffff_fc00n), ext(s, e64(1023), 0xffff_ffff_ffff_fbffn));
    v.push(ext(s, e64(-1022), J), ext(s, e64(-1023), 0xffff_ffff_ffff_ffffn), ext(s, e64(-1023), 0xffff_ffff_ffff_fc00n));
    v.push(ext(s, e64(-1074), J), ext(s, e64(-1075), J), ext(s, e64(-1075), J | 1n), ext(s, e64(-1060), 0xdead_beef_cafe_f00dn));
    // Integers: halves (ties), the word/short/long limits and just beyond.
    const int = (x: bigint): number[] => {
      if (x === 0n) return ext(s, 0, 0n);
      let e = 63;
      let m = x;
      while (m < J) { m <<= 1n; e--; }
      return ext(s, 0x3fff + e, m);
    };
    const half = (x: bigint): number[] => { const t = int(2n * x + 1n); const se = (t[8] | (t[9] << 8)) - 1; t[8] = se & 0xff; t[9] = se >> 8; return t; }; // x + 0.5
    for (const x of [0n, 1n, 2n, 32767n, 32768n, (1n << 31n) - 1n, 1n << 31n, (1n << 63n) - 1n]) v.push(half(x));
    for (const x of [32767n, 32768n, 32769n, (1n << 31n) - 1n, 1n << 31n, (1n << 31n) + 1n, 1n << 63n, (1n << 63n) + 1n, (1n << 64n) - 1n]) v.push(int(x));
    v.push(ext(s, 0x3fff - 2, J | 1n), ext(s, 0x3fff - 1, J), ext(s, 0x3fff - 1, J | 1n), ext(s, 0x3fff + 64, J)); // 0.25+, 0.5, 0.5+, 2^64
  }
  return v;
}

/** Random 80-bit values across the exponent ranges that matter for the conversions. */
function randomValues(n: number): number[][] {
  const r = rng(0x87);
  const mant = () => J | (BigInt(Math.floor(r() * 2 ** 31)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
  const v: number[][] = [];
  const centres = [0x3fff, 0x3fff + 127, 0x3fff - 126, 0x3fff - 149, 0x3fff + 1023, 0x3fff - 1022, 0x3fff - 1074, 0x3fff + 15, 0x3fff + 31, 0x3fff + 63];
  for (let k = 0; k < n; k++) {
    const c = centres[k % centres.length];
    const e = Math.max(1, Math.min(0x7ffe, c + Math.floor(r() * 9) - 4));
    let m = mant();
    if (k % 3 === 0) m &= ~((1n << BigInt(Math.floor(r() * 40))) - 1n); // trailing zeros: exact and tie cases
    v.push(ext(r() < 0.5 ? 0 : 1, e, m));
  }
  return v;
}

function input(cw: number, parts: [number, number[]][]): Uint8Array {
  const d = new Uint8Array(WINDOW);
  d.fill(0xaa, 0x300, 0x400);
  d[0x200] = cw & 0xff; d[0x201] = cw >> 8;
  for (const [at, bytes] of parts) d.set(bytes, at - DATA);
  return d;
}

const PROLOGUE = `fxrstor ${BASE}\nfninit\nfldcw ${IN}`;

/** Stores ST(0) (from IN+0x10) as single, double, word/short/long integer and extended, FNSTSW after each. */
function storeCase(mode: 32 | 64, cw: number, value: number[], name: string): Case {
  const asm = `${PROLOGUE}
fldt ${IN + 0x10}
fsts ${OUT}
fnstsw ${OUT + 0x04}
fnclex
fstl ${OUT + 0x08}
fnstsw ${OUT + 0x10}
fnclex
fld %st(0)
fistps ${OUT + 0x12}
fnstsw ${OUT + 0x14}
fnclex
fld %st(0)
fistpl ${OUT + 0x18}
fnstsw ${OUT + 0x1c}
fnclex
fld %st(0)
fistpll ${OUT + 0x20}
fnstsw ${OUT + 0x28}
fnclex
fists ${OUT + 0x2a}
fnstsw ${OUT + 0x2c}
fnclex
fistl ${OUT + 0x2e}
fnstsw ${OUT + 0x32}
fnclex
fstpt ${OUT + 0x34}
fnstsw ${OUT + 0x3e}
fnsave ${SAVE}`;
  return { name, mode, asm, input: input(cw, [[IN + 0x10, value]]) };
}

/** Loads a single, a double and three integers (FLD m32fp/m64fp, FILD), FNSTSW after each, then FNSAVE. */
function loadCase(mode: 32 | 64, cw: number, f32: number[], f64: number[], ints: number[], name: string): Case {
  const asm = `${PROLOGUE}
flds ${IN + 0x20}
fnstsw ${OUT + 0x40}
fnclex
fldl ${IN + 0x28}
fnstsw ${OUT + 0x42}
fnclex
filds ${IN + 0x30}
fildl ${IN + 0x34}
fildll ${IN + 0x38}
fnstsw ${OUT + 0x44}
fnsave ${SAVE}`;
  return { name, mode, asm, input: input(cw, [[IN + 0x20, f32], [IN + 0x28, f64], [IN + 0x30, ints]]) };
}

const u32 = (x: number) => [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24];
const u64 = (x: bigint) => Array.from({ length: 8 }, (_, k) => Number((x >> BigInt(8 * k)) & 0xffn));

function cases(): Case[] {
  const out: Case[] = [];
  const rcs = [0, 1, 2, 3];
  const values = [...edgeValues(), ...randomValues(120)];
  values.forEach((v, k) => {
    const rc = rcs[k % 4];
    out.push(storeCase(k % 2 ? 32 : 64, 0x037f | (rc << 10), v, `store value #${k} ${Buffer.from(v).toString('hex')} RC=${rc}`));
  });
  // Every edge value under every rounding mode, and with every exception unmasked.
  edgeValues().forEach((v, k) => {
    for (const rc of rcs) if (rc !== k % 4) out.push(storeCase(64, 0x037f | (rc << 10), v, `store edge #${k} RC=${rc}`));
    out.push(storeCase(64, 0x0340 | ((k % 4) << 10), v, `store edge #${k} unmasked RC=${k % 4}`));
    // Precision control does not apply to stores (SDM Vol.1 §8.1.5.2: only FADD, FSUB, FMUL, FDIV, FSQRT…).
    if (k % 3 === 0) out.push(storeCase(32, 0x007f | ((k % 4) << 10), v, `store edge #${k} PC=24 bits RC=${k % 4}`));
  });
  // Loads: single and double classes, denormals, NaN payloads; integer extremes.
  const r = rng(0x32);
  const f32s = [0, 0x80000000, 0x3f800000, 0x7f800000, 0xff800000, 0x7fc01234, 0x7f801234, 0xffa00001, 0x00000001, 0x807fffff,
    0x00400000, 0x7f7fffff, 0x00800000];
  const f64s = [0n, 1n << 63n, 0x3ff0000000000000n, 0x7ff0000000000000n, 0x7ff8000000001234n, 0x7ff0000000001234n, 0xfff4000000000001n,
    1n, 0x800fffffffffffffn, 0x0008000000000000n, 0x7fefffffffffffffn, 0x0010000000000000n, 0x0000000100000000n];
  const ints = [[0x0000, 0, 0n], [0x8000, 0x80000000, 1n << 63n], [0x7fff, 0x7fffffff, (1n << 63n) - 1n], [0xffff, 0xffffffff, (1n << 64n) - 1n]];
  for (let k = 0; k < 40; k++) {
    const a = k < f32s.length ? f32s[k] : Math.floor(r() * 2 ** 32);
    const b = k < f64s.length ? f64s[k] : (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
    const [w, d, q] = k < ints.length ? ints[k] : [Math.floor(r() * 65536), Math.floor(r() * 2 ** 32), (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32))];
    const intBytes = [(w as number) & 0xff, (w as number) >> 8, 0, 0, ...u32(d as number), ...u64(q as bigint)];
    const cw = k % 3 === 2 ? 0x0340 : 0x037f | ((k % 4) << 10);
    out.push(loadCase(k % 2 ? 32 : 64, cw, u32(a), u64(b), intBytes, `load #${k} ${a.toString(16)} ${b.toString(16)} cw=${cw.toString(16)}`));
  }
  // Constants under each rounding mode (SDM Vol.1 §8.3.8).
  for (const rc of rcs) {
    out.push({ name: `constants RC=${rc}`, mode: 64, asm: `${PROLOGUE}\nfldpi\nfldl2e\nfldl2t\nfldlg2\nfldln2\nfld1\nfldz\nfnstsw ${OUT}\nfnsave ${SAVE}`, input: input(0x037f | (rc << 10), []) });
  }
  // Register operations, then the stack faults, masked and unmasked.
  out.push({ name: 'FXCH, FCHS, FABS, FLD ST(i), FST/FSTP ST(i), FFREE', mode: 64, input: input(0x037f, []),
    asm: `${PROLOGUE}\nfld1\nfldpi\nfldz\nfxch %st(2)\nfchs\nfld %st(1)\nfabs\nfst %st(3)\nfstp %st(1)\nffree %st(2)\nfxch\nfnstsw ${OUT}\nfstp %st(0)\nfnstsw ${OUT + 2}\nfnsave ${SAVE}` });
  for (const cw of [0x037f, 0x037e]) {
    const m = cw === 0x037f ? 'masked' : 'unmasked';
    out.push({ name: `stack underflow (${m}): FXCH, FCHS, FABS, FST ST(i), FLD ST(i)`, mode: 64, input: input(cw, []),
      asm: `${PROLOGUE}\nfxch %st(3)\nfnstsw ${OUT}\nfnclex\nfchs\nfnstsw ${OUT + 2}\nfnclex\nfabs\nfnstsw ${OUT + 4}\nfnclex\nfst %st(2)\nfnstsw ${OUT + 6}\nfnclex\nfstp %st(5)\nfnstsw ${OUT + 8}\nfnclex\nfld %st(6)\nfnstsw ${OUT + 10}\nfnclex\nfnsave ${SAVE}` });
    out.push({ name: `stack underflow (${m}): stores from an empty ST(0)`, mode: 32, input: input(cw, []),
      asm: `${PROLOGUE}\nfsts ${OUT}\nfnstsw ${OUT + 4}\nfnclex\nfstpl ${OUT + 8}\nfnstsw ${OUT + 0x10}\nfnclex\nfistps ${OUT + 0x12}\nfnstsw ${OUT + 0x14}\nfnclex\nfistpll ${OUT + 0x18}\nfnstsw ${OUT + 0x20}\nfnclex\nfstpt ${OUT + 0x22}\nfnstsw ${OUT + 0x2c}\nfnclex\nfnsave ${SAVE}` });
    out.push({ name: `stack overflow (${m}): FLD ST(i), FLDS, FILD, FLDT, FLDPI onto a full stack`, mode: 64, input: input(cw, [[IN + 0x10, ext(0, 0x3fff, J)]]),
      asm: `${PROLOGUE}\n${'fld1\n'.repeat(8)}fld %st(3)\nfnstsw ${OUT}\nfnclex\nflds ${IN + 0x10}\nfnstsw ${OUT + 2}\nfnclex\nfilds ${IN}\nfnstsw ${OUT + 4}\nfnclex\nfldt ${IN + 0x10}\nfnstsw ${OUT + 6}\nfnclex\nfldpi\nfnstsw ${OUT + 8}\nfnclex\nfnsave ${SAVE}` });
  }
  return out;
}

const masked = (data: Uint8Array): Uint8Array => maskSaveSelectors(data, SAVE - DATA);

test('x87 loads, stores, conversions and constants match the host CPU', { skip: skip ?? false }, (t) => {
  const list = cases();
  const hostCases: HostCase[] = list.map((c) => ({ mode: c.mode, code: blob(c.mode, c.asm), regs: hostRegs(), rflags: 0, data: { offset: 0, bytes: c.input } }));
  const results = runBoth(hostCases);
  const problems: string[] = [];
  results.forEach(({ host, emu }, k) => {
    const c = list[k];
    if (host.vector !== emu.vector || host.at !== emu.at) problems.push(`${c.name}: fault host ${host.vector}@${host.at}, emulator ${emu.vector}@${emu.at}`);
    const h = masked(host.data), e = masked(emu.data);
    for (let o = 0x300; o < WINDOW; o += 16) {
      const hs = Buffer.from(h.subarray(o, o + 16)).toString('hex'), es = Buffer.from(e.subarray(o, o + 16)).toString('hex');
      if (hs !== es) problems.push(`${c.name}: DATA+${o.toString(16)} host ${hs} emulator ${es}`);
    }
  });
  t.diagnostic(`${list.length} blobs compared with the host CPU, ${problems.length} differences`);
  assert.deepEqual(problems.slice(0, 40), []);
});
