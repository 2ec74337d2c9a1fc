// bound.test.ts: BOUND r16, m16&16 and BOUND r32, m32&32 against the host CPU in 32-bit mode (BOUND is
// invalid in 64-bit mode, where 62 is EVEX), and WAIT/FWAIT. BOUND compares the signed index with the
// lower bound at [m] and the upper bound after it and raises #BR (vector 5) when out of range; no flags
// change (SDM Vol.2A BOUND). Linux delivers #BR as SIGSEGV; the harness reports trapno 5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DATA, HostCase, caseBudget, differential, hostCpuAvailable, hostRegs, rng } from '../support/differential';
import { flatMachine } from '../support/flat';
import { decode, BAD } from '../../emulator/cpu/decode';
import { Insn } from '../../emulator/cpu/insn';
import { StopReason } from '../../emulator/cpu/step';
import { CodeSize } from '../../emulator/cpu/state';

test('BOUND r16/r32 match the host CPU, in and out of bounds (32-bit mode)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const seed = 0xb0d;
  const next = rng(seed);
  const cases: HostCase[] = [];
  const rand32 = () => Math.floor(next() * 0x100000000) | 0;
  // Values near the bounds and the signed extremes, so both sides of each compare are exercised.
  const near = (v: number, size: number) => {
    const r = next();
    const x = r < 0.3 ? v : r < 0.5 ? v - 1 : r < 0.7 ? v + 1 : r < 0.8 ? (size === 16 ? 0x7fff : 0x7fffffff) : r < 0.9 ? (size === 16 ? -0x8000 : -0x80000000) : rand32();
    return size === 16 ? (x << 16) >> 16 : x | 0;
  };
  for (let k = 0; k < caseBudget(2000); k++) {
    const size = k % 2 === 0 ? 32 : 16;
    const n = size >> 3;
    let lo = near(rand32() >> (next() < 0.5 ? 0 : 20), size);
    let hi = near(rand32() >> (next() < 0.5 ? 0 : 20), size);
    if (next() < 0.8 && lo > hi) [lo, hi] = [hi, lo]; // mostly well-formed ranges; some empty ones
    const index = next() < 0.5 ? near(next() < 0.5 ? lo : hi, size) : near(rand32(), size);
    const reg = [0, 1, 2, 5, 6, 7][Math.floor(next() * 6)];
    const disp = Math.floor(next() * 100);
    const bytes = new Uint8Array(256);
    for (let b = 0; b < 256; b++) bytes[b] = Math.floor(next() * 256);
    for (let b = 0; b < n; b++) {
      bytes[disp + b] = (lo >>> (8 * b)) & 0xff;
      bytes[disp + n + b] = (hi >>> (8 * b)) & 0xff;
    }
    const regs = hostRegs();
    for (const r of [0, 1, 2, 5, 6, 7]) regs[r] = BigInt(rand32() >>> 0);
    regs[reg] = BigInt(size === 16 ? ((Number(regs[reg]) & 0xffff0000) | (index & 0xffff)) >>> 0 : index >>> 0);
    regs[3] = BigInt(DATA);
    // bound r, [ebx+disp8]
    const code = [...(size === 16 ? [0x66] : []), 0x62, 0x43 | (reg << 3), disp];
    cases.push({ mode: 32, code: Uint8Array.from(code), regs, rflags: Math.floor(next() * 0x1000) & 0x8d5, data: { offset: 0, bytes } });
  }
  const n = differential(cases, { seed, describe: (c) => `bound ${Buffer.from(c.code).toString('hex')}` });
  t.diagnostic(`${n} cases`);
});

test('BOUND is memory-only and not decoded in 64-bit mode (62 is EVEX there)', () => {
  const features = flatMachine(16).features;
  const at = (bytes: number[], size: CodeSize) => {
    const i = new Insn(() => undefined, BAD);
    decode({ byte: (k) => bytes[k] ?? 0 }, size, 0, 0, features, i);
    return i.form.name;
  };
  assert.equal(at([0x62, 0x07], CodeSize.Bits16), 'bound_r16_m16_16');
  assert.equal(at([0x62, 0x07], CodeSize.Bits32), 'bound_r32_m32_32');
  assert.notEqual(at([0x62, 0x07], CodeSize.Bits64).slice(0, 5), 'bound');
  assert.notEqual(at([0x62, 0xc0], CodeSize.Bits16).slice(0, 5), 'bound');
});

test('BOUND in real mode: #BR pushes the IP of the BOUND itself', () => {
  // bound ax, [200h] with bounds -2..5 (SDM Vol.2A BOUND; #BR is a fault, SDM Vol.3A §6.15).
  for (const [ax, fault] of [[0xfffe, false], [5, false], [0, false], [0xfffd, true], [6, true], [0x8000, true]] as const) {
    const m = flatMachine(16);
    m.exec.stopOnException = true;
    m.load(0x1000, Uint8Array.from([0x62, 0x06, 0x00, 0x02]));
    m.load(0x200, Uint8Array.from([0xfe, 0xff, 0x05, 0x00]));
    m.cpu.ripLo = 0x1000;
    m.cpu.lo[0] = ax;
    m.stateChanged();
    const r = m.step();
    if (fault) {
      assert.equal(r, StopReason.Exception, `ax=${ax.toString(16)}`);
      assert.equal(m.exec.lastException?.vector, 5);
      assert.equal(m.cpu.ripLo, 0x1000);
    } else {
      assert.notEqual(r, StopReason.Exception, `ax=${ax.toString(16)}`);
      assert.equal(m.cpu.ripLo, 0x1004);
    }
    assert.equal(m.cpu.lo[0], ax);
  }
});

test('WAIT/FWAIT is a NOP unless CR0.TS and CR0.MP are both set (#NM)', (t) => {
  // SDM Vol.2B WAIT/FWAIT, Protected Mode Exceptions: #NM if CR0.MP[bit 1] and CR0.TS[bit 3] are both 1.
  for (const [mpTs, nm] of [[0, false], [2, false], [8, false], [10, true]] as const) {
    const m = flatMachine(32);
    m.exec.stopOnException = true;
    m.load(0x1000, Uint8Array.from([0x9b]));
    m.cpu.ripLo = 0x1000;
    m.cpu.cr0 |= mpTs;
    m.stateChanged();
    const r = m.step();
    if (nm) {
      assert.equal(r, StopReason.Exception);
      assert.equal(m.exec.lastException?.vector, 7);
      assert.equal(m.cpu.ripLo, 0x1000);
    } else {
      assert.notEqual(r, StopReason.Exception);
      assert.equal(m.cpu.ripLo, 0x1001);
    }
  }
  // And on the host (CR0.TS is clear for a running user process): a NOP.
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  const regs = hostRegs();
  regs[0] = 0x1234n;
  differential([{ mode: 32, code: Uint8Array.from([0x9b]), regs, rflags: 0x8d5 }, { mode: 64, code: Uint8Array.from([0x9b]), regs, rflags: 0 }]);
});
