// sseMove.test.ts: the SSE data moves' faults a user process on the host cannot show — CR4.OSFXSR and
// CR0.EM/TS, real mode — and the decoder's view of XMM8–15 — each checked against the SDM section it cites.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cpu } from '../../emulator/cpu/state';
import { CR0_EM, CR0_MP, CR0_TS, CR4_OSFXSR } from '../../emulator/cpu/controlRegs';
import { machine, runFault, runOk } from './controlHelpers';

const UD = 6, NM = 7, GP = 13;
const BUF = 0x1000;
const mem32 = (reg: number, at: number) => [0x05 | (reg << 3), at & 0xff, (at >> 8) & 0xff, 0, 0];
const mem16 = (reg: number, at: number) => [0x06 | (reg << 3), at & 0xff, (at >> 8) & 0xff];
const sse = (cpu: Cpu) => { cpu.cr0 |= CR0_MP; cpu.cr4 |= CR4_OSFXSR; };
const MOVAPS_LOAD = (at: number) => [0x0f, 0x28, ...mem32(1, at)]; // movaps at, %xmm1
const PXOR = [0x66, 0x0f, 0xef, 0xc1]; // pxor %xmm1, %xmm0

test('SSE moves: #UD with CR4.OSFXSR = 0 or CR0.EM, #NM with CR0.TS (SDM Vol.3A §2.5 Table 2-2, §13.1.3)', () => {
  runFault(machine(32, MOVAPS_LOAD(BUF), (cpu) => { cpu.cr0 |= CR0_MP; }), UD, -1, 0);
  runFault(machine(32, PXOR, (cpu) => { sse(cpu); cpu.cr0 |= CR0_EM; }), UD, -1, 0);
  runFault(machine(32, PXOR, (cpu) => { sse(cpu); cpu.cr0 |= CR0_TS; }), NM, -1, 0);
  // #UD outranks #NM (SDM Vol.3A §6.9, Table 6-2), and the alignment #GP comes after both.
  runFault(machine(32, MOVAPS_LOAD(BUF + 1), (cpu) => { cpu.cr0 |= CR0_TS; }), UD, -1, 0);
  runFault(machine(32, MOVAPS_LOAD(BUF + 1), (cpu) => { sse(cpu); cpu.cr0 |= CR0_TS; }), NM, -1, 0);
});

test('MOVAPS in real mode: #GP for a misaligned operand, a load when aligned (SDM Vol.2B MOVAPS, Real-Address Mode Exceptions)', () => {
  runFault(machine(16, [0x0f, 0x28, ...mem16(0, BUF + 8)], sse), GP, 0, 0);
  const m = machine(16, [0x0f, 0x28, ...mem16(0, BUF)], sse);
  m.load(BUF, Uint8Array.from({ length: 16 }, (_, k) => k + 1));
  runOk(m);
  assert.deepEqual(Array.from(m.cpu.fpu.xmm.subarray(0, 16)), Array.from({ length: 16 }, (_, k) => k + 1));
});

test('MOVUPS and MOVDQU take any alignment (SDM Vol.2B MOVUPS: "#GP ... not aligned" is not listed)', () => {
  runOk(machine(32, [0x0f, 0x10, ...mem32(0, BUF + 3)], sse));
  runOk(machine(32, [0xf3, 0x0f, 0x6f, ...mem32(0, BUF + 5)], sse));
});

test('REX.R and REX.B select XMM8–15 (SDM Vol.2 §2.2.1.2, Table 2-4)', () => {
  // movq %rax,%xmm9 (66 4C 0F 6E C8), then movaps %xmm9,%xmm12 (45 0F 28 E1).
  const m = machine(64, [0x48, 0xc7, 0xc0, 0x78, 0x56, 0x34, 0x12, 0x66, 0x4c, 0x0f, 0x6e, 0xc8, 0x45, 0x0f, 0x28, 0xe1], sse);
  m.cpu.fpu.xmm.fill(0xee);
  runOk(m);
  assert.deepEqual(Array.from(m.cpu.fpu.xmm.subarray(12 * 16, 13 * 16)), [0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
});
