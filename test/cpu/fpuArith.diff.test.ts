// fpuArith.diff.test.ts: x87 FADD, FSUB, FSUBR, FMUL, FDIV, FDIVR against the host CPU — register forms
// (ST(0), ST(i); ST(i), ST(0); the popping forms) and m32fp/m64fp operands, with edge and random values
// (zeros, denormals, infinities, NaN payloads, unsupported encodings, values that cancel, overflow or
// underflow), every rounding mode, three precisions (FCW.PC), exceptions masked and unmasked. Each blob
// starts from FXRSTOR of a zero image and FNINIT; it stores the results with FSTPT, FNSTSW after each
// operation, and FNSAVE, all compared byte for byte (FNSAVE's FCS/FDS masked: the harness's selectors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostCpuAvailable, hostRegs, HostCase } from '../host/hostCpu';
import { rng } from '../support/random';
import { blob, DATA, maskSaveSelectors, runBoth } from './fpuHost';

const skip = hostCpuAvailable();
// DATA: 0x000 a zero FXRSTOR image, 0x200 inputs, 0x300 thirty 12-byte results (FSTPT, FNSTSW), 0x480 FNSAVE.
const BASE = DATA, IN = DATA + 0x200, OUT = DATA + 0x300, SAVE = DATA + 0x480;
const WINDOW = 0x500;

const J = 1n << 63n;
function ext(sign: number, exp: number, mant: bigint): number[] {
  const b: number[] = [];
  for (let k = 0n; k < 8n; k++) b.push(Number((mant >> (8n * k)) & 0xffn));
  const se = (sign << 15) | exp;
  b.push(se & 0xff, se >> 8);
  return b;
}

function edges(): number[][] {
  const v: number[][] = [];
  for (const s of [0, 1]) {
    v.push(ext(s, 0, 0n), ext(s, 0x3fff, J), ext(s, 0x7fff, J), ext(s, 0x7fff, J | 0x4000_0000_0000_1234n), ext(s, 0x7fff, J | 0x1234n));
    v.push(ext(s, 0x4000, 0x4000_0000_0000_0000n), ext(s, 0, 0x0000_0000_1234_5678n), ext(s, 0, J | 3n), ext(s, 0x7ffe, (1n << 64n) - 1n), ext(s, 1, J));
    v.push(ext(s, 0x3fff, J | 1n), ext(s, 0x3ffe, (1n << 64n) - 1n), ext(s, 0x3fff + 40, J | 0xffn), ext(s, 0x3fff - 70, J | 12345n));
  }
  return v;
}

function randomValue(r: () => number): number[] {
  const m = J | (BigInt(Math.floor(r() * 2 ** 31)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
  const centre = [0x3fff, 0x3fff, 0x3fff + 20, 0x3fff - 20, 0x7ffe - 2, 2, 0x3fff + 64][Math.floor(r() * 7)];
  const e = Math.max(1, Math.min(0x7ffe, centre + Math.floor(r() * 7) - 3));
  return ext(r() < 0.5 ? 0 : 1, e, r() < 0.3 ? m & ~((1n << 30n) - 1n) : m);
}

interface Case { name: string; mode: 32 | 64; asm: string; input: Uint8Array }

function input(cw: number, x: number[], y: number[], f32: number, f64: bigint): Uint8Array {
  const d = new Uint8Array(WINDOW);
  d.fill(0xaa, 0x300, 0x480);
  d[0x200] = cw & 0xff; d[0x201] = cw >> 8;
  d.set(x, 0x210);
  d.set(y, 0x220);
  for (let k = 0; k < 4; k++) d[0x230 + k] = (f32 >>> (8 * k)) & 0xff;
  for (let k = 0; k < 8; k++) d[0x238 + k] = Number((f64 >> BigInt(8 * k)) & 0xffn);
  return d;
}

/** x op y for every op and form: ST(1) = x, ST(0) = y, reloaded before each. */
function caseFor(cw: number, x: number[], y: number[], f32: number, f64: bigint, name: string, mode: 32 | 64): Case {
  const lines = [`fxrstor ${BASE}`, 'fninit', `fldcw ${IN}`];
  let o = OUT;
  const load = () => { lines.push('fninit', `fldcw ${IN}`, `fldt ${IN + 0x10}`, `fldt ${IN + 0x20}`); };
  const out = (what: string) => { lines.push(what, `fnstsw ${o + 10}`, 'fnclex', `fstpt ${o}`, 'fnclex'); o += 12; };
  for (const m of ['fadd', 'fsub', 'fsubr', 'fmul', 'fdiv', 'fdivr']) {
    load(); out(`${m} %st(1),%st`);
    load(); out(`${m} %st,%st(1)\nfxch`);
    load(); out(`${m}p %st,%st(1)`);
    load(); out(`${m}s ${IN + 0x30}`);
    load(); out(`${m}l ${IN + 0x38}`);
  }
  lines.push(`fnsave ${SAVE}`);
  return { name, mode, asm: lines.join('\n'), input: input(cw, x, y, f32, f64) };
}

function cases(): Case[] {
  const out: Case[] = [];
  const r = rng(0xadd);
  const e = edges();
  const f32s = [0, 0x80000000, 0x3f800000, 0x7f800000, 0x7fc01234, 0x7f801234, 0x00000005, 0x807fffff, 0x7f7fffff, 0x40490fdb];
  const f64s = [0n, 0x3ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000001234n, 0x7ff0000000004321n, 3n, 0x7fefffffffffffffn, 0x400921fb54442d18n];
  const pcs = [0x300, 0x200, 0x000];
  let k = 0;
  const add = (x: number[], y: number[], unmasked: boolean) => {
    const rc = k % 4, pc = pcs[k % 3];
    const cw = (unmasked ? 0x40 : 0x7f) | pc | (rc << 10);
    out.push(caseFor(cw, x, y, f32s[k % f32s.length], f64s[k % f64s.length], `#${k} x=${Buffer.from(x).toString('hex')} y=${Buffer.from(y).toString('hex')} cw=${cw.toString(16)}`, k % 2 ? 32 : 64));
    k++;
  };
  for (let i = 0; i < e.length; i++) for (let j = 0; j < e.length; j += 3) add(e[i], e[(i + j) % e.length], false);
  for (let n = 0; n < 400; n++) {
    const x = randomValue(r);
    // Every fourth pair nearly cancels: y is x with its low significand bits changed (and maybe its sign).
    const y = n % 4 === 3 ? [Math.floor(r() * 256), Math.floor(r() * 256), ...x.slice(2, 9), x[9] ^ (n % 8 === 3 ? 0x80 : 0)] : randomValue(r);
    add(x, y, n % 5 === 4);
  }
  return out;
}

const masked = (data: Uint8Array): Uint8Array => maskSaveSelectors(data, SAVE - DATA);

test('x87 FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR match the host CPU', { skip: skip ?? false }, (t) => {
  const list = cases();
  const hostCases: HostCase[] = list.map((c) => ({ mode: c.mode, code: blob(c.mode, c.asm), regs: hostRegs(), rflags: 0, data: { offset: 0, bytes: c.input } }));
  const results = runBoth(hostCases);
  const problems: string[] = [];
  results.forEach(({ host, emu }, k) => {
    const c = list[k];
    if (host.vector !== emu.vector || host.at !== emu.at) problems.push(`${c.name}: fault host ${host.vector}@${host.at}, emulator ${emu.vector}@${emu.at}`);
    const h = masked(host.data), e = masked(emu.data);
    for (let o = 0x300; o < WINDOW; o += 12) {
      const what = o < 0x468 ? ['fadd', 'fsub', 'fsubr', 'fmul', 'fdiv', 'fdivr'][Math.floor((o - 0x300) / 60)] + ' form ' + Math.floor((o - 0x300) % 60 / 12) : 'state';
      const hs = Buffer.from(h.subarray(o, o + 12)).toString('hex'), es = Buffer.from(e.subarray(o, o + 12)).toString('hex');
      if (hs !== es) problems.push(`${c.name}: ${what} host ${hs} emulator ${es}`);
    }
  });
  t.diagnostic(`${list.length} blobs compared with the host CPU, ${problems.length} differences`);
  assert.deepEqual(problems.slice(0, 30), []);
});
