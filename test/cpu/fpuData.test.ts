// fpuData.test.ts: x87 data-transfer rules the host comparison (fpuData.diff.test.ts) cannot show — the
// waiting forms running as two instructions, #NM and #MF before anything changes, a faulting store leaving
// the FPU as it was, real-mode operation, ST(i) with REX.B, the constants' exact values — each checked
// against the SDM section it cites.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine } from '../../emulator/machine';
import { CR0_MP, CR0_NE, CR0_TS } from '../../emulator/cpu/controlRegs';
import { machine, runFault, runN, runOk } from './controlHelpers';

const NM = 7, MF = 16;
const BUF = 0x1000;
const FNINIT = [0xdb, 0xe3], FLD1 = [0xd9, 0xe8], WAIT = [0x9b];
const mem32 = (reg: number, at: number) => [0x05 | (reg << 3), at & 0xff, (at >> 8) & 0xff, 0, 0];
const mem16 = (reg: number, at: number) => [0x06 | (reg << 3), at & 0xff, (at >> 8) & 0xff];

/** ST(i) as raw bytes (SDM Vol.1 §8.1.2: ST(i) is R((TOP + i) mod 8)). */
function st(m: Machine, i: number): string {
  const f = m.cpu.fpu;
  const r = (f.top + i) & 7;
  return Buffer.from(f.st.subarray(r * 10, r * 10 + 10)).reverse().toString('hex');
}

test('FINIT (9B DB E3) runs as WAIT then FNINIT: two instructions (SDM Vol.1 §8.3.11, Vol.2A FINIT/FNINIT)', () => {
  const m = machine(32, [...FNINIT, ...FLD1, ...WAIT, ...FNINIT]);
  runN(m, 3); // FNINIT, FLD1, WAIT
  assert.equal(m.cpu.ripLo, 0x7c00 + 5, 'WAIT alone advanced RIP by one byte');
  assert.equal(m.cpu.fpu.top, 7, 'FNINIT has not run yet');
  runN(m, 1);
  assert.equal(m.cpu.fpu.top, 0);
  assert.equal(m.cpu.fpu.fcw, 0x037f);
});

test('a pending unmasked exception faults on the WAIT of FINIT, not on FNINIT (SDM Vol.1 §8.6, §8.7)', () => {
  // Nine FLD1s overflow the stack with IE unmasked (FCW 037Eh): ES is set; FINIT's WAIT reports it.
  const code = [...FNINIT, 0xd9, ...mem32(5, BUF), ...Array(9).fill(FLD1).flat(), ...WAIT, ...FNINIT];
  const m = machine(32, code, (cpu) => { cpu.cr0 |= CR0_MP | CR0_NE; });
  m.load(BUF, Uint8Array.from([0x7e, 0x03]));
  runFault(m, MF, -1, 2 + 6 + 18);
});

test('FLD m32fp is #NM with CR0.TS and changes nothing (SDM Vol.2A FLD, Protected Mode Exceptions)', () => {
  const m = machine(32, [...FNINIT, 0xd9, ...mem32(0, BUF)], (cpu) => { cpu.cr0 |= CR0_MP; });
  runN(m, 1);
  m.cpu.cr0 |= CR0_TS;
  runFault(m, NM, -1, 2);
  assert.equal(m.cpu.fpu.top, 0);
  assert.equal(m.cpu.fpu.valid, 0);
});

test('FSTP m64fp beyond the DS limit: #GP(0), and ST(0), TOP and FSW are unchanged (SDM Vol.3A §6.6: faults are restartable)', () => {
  const code = [...FNINIT, ...FLD1, 0xdd, ...mem32(3, BUF)];
  const m = machine(32, code);
  runN(m, 2);
  const fsw = m.cpu.fpu.fsw, top = m.cpu.fpu.top, before = st(m, 0);
  // A segment limit below BUF + 8 makes the store #GP(0) before anything is written (SDM Vol.3A §5.3).
  m.cpu.segLimit[3] = BUF + 4;
  const r = m.run({ maxInstructions: 1 });
  assert.equal(m.exec.lastException?.vector, 13, `fault, got ${r}`);
  assert.equal(m.cpu.fpu.fsw, fsw);
  assert.equal(m.cpu.fpu.top, top);
  assert.equal(st(m, 0), before);
});

test('FLD ST(i) decodes ST(i) from ModRM.rm; REX.B does not change it (SDM Vol.2 §3.1.1.1 "+i", Table 2-4)', () => {
  // FLDPI, FLDZ, then FLD ST(1) with REX.B (41 D9 C1): the new ST(0) is π.
  const m = machine(64, [...FNINIT, 0xd9, 0xeb, 0xd9, 0xee, 0x41, 0xd9, 0xc1]);
  runOk(m);
  assert.equal(st(m, 0), '4000c90fdaa22168c235');
  assert.equal(st(m, 1), '00000000000000000000');
});

test('FLDPI, FLDL2T, FLDL2E, FLDLG2, FLDLN2 in round to nearest: the constants of SDM Vol.1 §8.3.8 (Table 8-6), correctly rounded', () => {
  // π = 3.14159265358979323846…, log2 10, log2 e, log10 2, ln 2 rounded to 64 significand bits.
  const m = machine(32, [...FNINIT, 0xd9, 0xeb, 0xd9, 0xe9, 0xd9, 0xea, 0xd9, 0xec, 0xd9, 0xed]);
  runOk(m);
  assert.deepEqual([4, 3, 2, 1, 0].map((i) => st(m, i)), [
    '4000c90fdaa22168c235', '4000d49a784bcd1b8afe', '3fffb8aa3b295c17f0bc', '3ffd9a209a84fbcff799', '3ffeb17217f7d1cf79ac']);
  assert.equal(m.cpu.fpu.fsw & 0x3f, 0, 'no exception, not even PE (SDM Vol.2A FLDPI: Floating-Point Exceptions #IS only)');
});

test('real mode: FILD m16int and FISTP m32int with 16-bit addressing (SDM Vol.2A FILD, FIST/FISTP)', () => {
  const m = machine(16, [...FNINIT, 0xdf, ...mem16(0, BUF), 0xdb, ...mem16(3, BUF + 4)]);
  m.load(BUF, Uint8Array.from([0x85, 0xff])); // -123
  runOk(m);
  assert.deepEqual(Array.from(m.phys.readBytes(BUF + 4, 4)), [0x85, 0xff, 0xff, 0xff]);
  assert.equal(m.cpu.fpu.valid, 0, 'FISTP popped the stack');
  assert.equal(m.cpu.fpu.fdpLo, BUF + 4, 'FDP is the operand offset (SDM Vol.1 §8.1.8)');
});
