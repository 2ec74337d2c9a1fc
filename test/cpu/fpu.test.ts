// fpu.test.ts: x87/SSE state rules a user process on the host cannot show — the RESET values, CR0.EM/MP/TS
// and CR4.OSFXSR faults, #MF and CR0.NE, the FXSAVE64 image's 64-bit pointers, the real-mode environment
// layout — each checked against the SDM section it cites.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine } from '../../emulator/machine';
import { Cpu } from '../../emulator/cpu/state';
import { CR0_EM, CR0_MP, CR0_NE, CR0_TS, CR4_OSFXSR } from '../../emulator/cpu/controlRegs';
import { ORG, machine, runFault, runOk } from './controlHelpers';

const UD = 6, NM = 7, GP = 13, MF = 16;
const FNINIT = [0xdb, 0xe3], FLD1 = [0xd9, 0xe8], FNOP = [0xd9, 0xd0], FWAIT = [0x9b], EMMS = [0x0f, 0x77];
const FNCLEX = [0xdb, 0xe2], FNSTSW_AX = [0xdf, 0xe0];
/** [disp32] in 64-bit code needs a SIB byte (mod 00, rm 100, base 101); 32-bit code uses rm 101. */
const mem64 = (reg: number, at: number) => [0x04 | (reg << 3), 0x25, at & 0xff, (at >> 8) & 0xff, 0, 0];
const mem32 = (reg: number, at: number) => [0x05 | (reg << 3), at & 0xff, (at >> 8) & 0xff, 0, 0];
const mem16 = (reg: number, at: number) => [0x06 | (reg << 3), at & 0xff, (at >> 8) & 0xff];
const FXSAVE64 = (at: number) => [0x0f, 0xae, ...mem64(0, at)];
const FXSAVE64W = (at: number) => [0x48, 0x0f, 0xae, ...mem64(0, at)];
const LDMXCSR64 = (at: number) => [0x0f, 0xae, ...mem64(2, at)];
const BUF = 0x1000;

function bytes(m: Machine, at: number, n: number): number[] {
  return Array.from(m.phys.readBytes(at, n));
}
const u16 = (b: number[], o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: number[], o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

/** Sets CR0/CR4 bits the way a kernel would before using the FPU (MP and NE on, OSFXSR on). */
const linuxLike = (cpu: Cpu) => { cpu.cr0 |= CR0_MP | CR0_NE; cpu.cr4 |= CR4_OSFXSR; };

// ---- RESET and FNINIT -------------------------------------------------------------------------------

test('after RESET: FCW 0040h, FSW 0, tag word 5555h, registers +0.0, MXCSR 1F80h (SDM Vol.3A §10.1, Table 10-1)', () => {
  const m = machine(16, []);
  m.cpu.reset();
  const f = m.cpu.fpu;
  assert.equal(f.fcw, 0x0040);
  assert.equal(f.fsw, 0);
  assert.equal(f.fullTag(), 0x5555);
  assert.deepEqual(Array.from(f.st), new Array(80).fill(0));
  assert.equal(f.mxcsr, 0x1f80);
  assert.deepEqual([f.fipLo, f.fipHi, f.fcs, f.fdpLo, f.fdpHi, f.fds, f.fop], [0, 0, 0, 0, 0, 0, 0]);
});

test('FNINIT: FCW 037Fh, FSW 0, tag word FFFFh, pointers and FOP 0 (SDM Vol.2A FINIT/FNINIT Operation)', () => {
  const m = machine(16, [...FLD1, ...FNINIT]);
  runOk(m);
  const f = m.cpu.fpu;
  assert.equal(f.fcw, 0x037f);
  assert.equal(f.fsw, 0);
  assert.equal(f.fullTag(), 0xffff);
  assert.deepEqual([f.fipLo, f.fcs, f.fop], [0, 0, 0]);
});

// ---- CR0.EM, MP, TS (SDM Vol.3A §2.5, Table 2-2) ----------------------------------------------------

test('x87 instructions are #NM with CR0.TS or CR0.EM, and FNINIT is no exception (SDM Vol.3A Table 2-2)', () => {
  runFault(machine(32, FNINIT, (cpu) => { cpu.cr0 |= CR0_TS; }), NM, -1, 0);
  runFault(machine(32, FNINIT, (cpu) => { cpu.cr0 |= CR0_EM; }), NM, -1, 0);
  runFault(machine(32, [...FNINIT, ...FLD1], (cpu) => { cpu.cr0 |= CR0_TS | CR0_MP; }), NM, -1, 0);
  runFault(machine(64, FNSTSW_AX, (cpu) => { cpu.cr0 |= CR0_EM; }), NM, -1, 0);
});

test('WAIT is #NM only with CR0.MP and CR0.TS both set; CR0.EM does not affect it (SDM Vol.3A Table 2-2)', () => {
  runOk(machine(32, FWAIT, (cpu) => { cpu.cr0 |= CR0_TS; }));
  runOk(machine(32, FWAIT, (cpu) => { cpu.cr0 |= CR0_EM | CR0_MP; }));
  runFault(machine(32, FWAIT, (cpu) => { cpu.cr0 |= CR0_TS | CR0_MP; }), NM, -1, 0);
});

test('FXSAVE/FXRSTOR are #NM with CR0.TS or CR0.EM (SDM Vol.2A FXSAVE, FXRSTOR: Protected Mode Exceptions)', () => {
  runFault(machine(64, FXSAVE64(BUF), (cpu) => { linuxLike(cpu); cpu.cr0 |= CR0_TS; }), NM, -1, 0);
  runFault(machine(64, FXSAVE64(BUF), (cpu) => { linuxLike(cpu); cpu.cr0 |= CR0_EM; }), NM, -1, 0);
  runFault(machine(32, [0x0f, 0xae, ...mem32(1, BUF)], (cpu) => { cpu.cr0 |= CR0_EM; }), NM, -1, 0);
});

test('FXSAVE in real mode needs a 16-byte aligned operand too: #GP (SDM Vol.2A FXSAVE, Real-Address Mode Exceptions)', () => {
  runFault(machine(16, [0x0f, 0xae, ...mem16(0, BUF + 8)]), GP, 0, 0);
  runOk(machine(16, [0x0f, 0xae, ...mem16(0, BUF)]));
});

test('LDMXCSR/STMXCSR: #UD with CR0.EM or CR4.OSFXSR = 0, #NM with CR0.TS, #GP(0) on reserved bits (SDM Vol.2A LDMXCSR)', () => {
  runFault(machine(64, LDMXCSR64(BUF), (cpu) => { linuxLike(cpu); cpu.cr0 |= CR0_EM; }), UD, -1, 0);
  runFault(machine(64, LDMXCSR64(BUF), (cpu) => { cpu.cr0 |= CR0_MP | CR0_NE; }), UD, -1, 0);
  // #UD outranks #NM (SDM Vol.3A §6.9, Table 6-2: invalid opcode before device not available).
  runFault(machine(64, LDMXCSR64(BUF), (cpu) => { cpu.cr0 |= CR0_TS | CR0_EM; cpu.cr4 |= CR4_OSFXSR; }), UD, -1, 0);
  runFault(machine(64, LDMXCSR64(BUF), (cpu) => { linuxLike(cpu); cpu.cr0 |= CR0_TS; }), NM, -1, 0);
  const m = machine(64, LDMXCSR64(BUF), linuxLike);
  m.load(BUF, Uint8Array.from([0x80, 0x1f, 0x01, 0x00])); // bit 16 is reserved
  runFault(m, GP, 0, 0);
  assert.equal(m.cpu.fpu.mxcsr, 0x1f80, 'MXCSR unchanged');
  const ok = machine(64, LDMXCSR64(BUF), linuxLike);
  ok.load(BUF, Uint8Array.from([0xc0, 0xff, 0x00, 0x00])); // DAZ (bit 6) is supported: MXCSR_MASK FFFFh
  runOk(ok);
  assert.equal(ok.cpu.fpu.mxcsr, 0xffc0);
});

test('EMMS: #UD with CR0.EM, #NM with CR0.TS (SDM Vol.2A EMMS, Protected Mode Exceptions)', () => {
  runFault(machine(32, EMMS, (cpu) => { cpu.cr0 |= CR0_EM; }), UD, -1, 0);
  runFault(machine(32, EMMS, (cpu) => { cpu.cr0 |= CR0_TS; }), NM, -1, 0);
});

// ---- #MF and CR0.NE (SDM Vol.1 §8.7, Vol.3A §2.5) -----------------------------------------------------

/** FNINIT, then an unmasked invalid-operation flag pending: ES set by FLDCW unmasking IE after a stack overflow. */
function pending(bits: 16 | 32 | 64, after: number[], ne: boolean): Machine {
  // Nine FLD1s overflow the stack (masked: IE and SF set); FLDCW then unmasks IE.
  const fldcw = bits === 64 ? [0xd9, ...mem64(5, BUF)] : bits === 32 ? [0xd9, ...mem32(5, BUF)] : [0xd9, ...mem16(5, BUF)];
  const code = [...FNINIT, ...Array(9).fill(FLD1).flat(), ...fldcw, ...after];
  const m = machine(bits, code, (cpu) => { cpu.cr0 |= CR0_MP; if (ne) cpu.cr0 |= CR0_NE; });
  m.load(BUF, Uint8Array.from([0x7e, 0x03]));
  return m;
}
const PENDING_AT = 2 + 9 * 2; // offset of the FLDCW

test('a pending unmasked exception with CR0.NE = 1 is #MF on the next waiting instruction (SDM Vol.1 §8.7)', () => {
  runFault(pending(32, FNOP, true), MF, -1, PENDING_AT + 6);
  runFault(pending(64, FWAIT, true), MF, -1, PENDING_AT + 7);
  runFault(pending(16, FLD1, true), MF, -1, PENDING_AT + 4);
});

test('the non-waiting forms run with an exception pending, and FNCLEX clears it (SDM Vol.1 §8.3.12)', () => {
  const m = pending(32, [...FNSTSW_AX, ...FNCLEX, ...FNOP], true);
  runOk(m);
  // The ninth push overflowed, masked: IE, SF and C1 (overflow), the indefinite pushed so TOP is 7 (SDM Vol.1 §8.5.1.1).
  assert.equal(m.cpu.lo[0] & 0xffff, 0x82c1 | (7 << 11), 'B, ES, SF, IE, C1 and TOP 7 before FNCLEX');
  assert.equal(m.cpu.fpu.fsw & 0x80ff, 0, 'exception flags, SF, ES and B clear after it');
});

test('with CR0.NE = 0 no #MF is raised (the FERR# path to the interrupt controller is not modelled) (SDM Vol.3A §2.5 CR0.NE)', () => {
  const m = pending(32, FNOP, false);
  runOk(m);
  assert.notEqual(m.cpu.fpu.fsw & 0x80, 0, 'the exception stays pending');
});

// ---- Image layouts --------------------------------------------------------------------------------

test('FXSAVE64 stores 64-bit FIP and FDP; FXSAVE in 64-bit mode stores FIP[31:0] and FCS (SDM Vol.2A FXSAVE Tables 3-53, 3-56)', () => {
  const m = machine(64, [...FNOP, ...FLD1, ...FXSAVE64W(BUF), ...FXSAVE64(BUF + 0x200)], linuxLike);
  // FNINIT would clear FDP; set a known one directly (FLD1 has no memory operand and keeps it).
  m.cpu.fpu.init();
  m.cpu.fpu.fdpLo = 0x11223344; m.cpu.fpu.fdpHi = 0x55667788; m.cpu.fpu.fds = 0x2b;
  runOk(m);
  const w = bytes(m, BUF, 32), n = bytes(m, BUF + 0x200, 32);
  assert.equal(u16(w, 6), 0x1e8, 'FOP: D9 E8 → 001 1110 1000b');
  assert.deepEqual([u32(w, 8), u32(w, 12)], [ORG + 2, 0], 'FIP[63:0] of the FLD1');
  assert.deepEqual([u32(w, 16), u32(w, 20)], [0x11223344, 0x55667788], 'FDP[63:0]');
  assert.deepEqual([u32(n, 8), u16(n, 12), u32(n, 16), u16(n, 20)], [ORG + 2, m.cpu.segSel[1], 0x11223344, 0x2b], 'FIP, FCS, FDP, FDS');
  assert.equal(u32(w, 28), 0xffff, 'MXCSR_MASK: FFFFh, DAZ supported (SDM Vol.1 §11.6.6)');
});

test('FNSTENV in real mode, 16-bit: the 20-bit linear FIP with FOP (SDM Vol.1 §8.1.10, Figure 8-12)', () => {
  // CS = 0, FLD1 at 7C02h: FIP = 07C02h; word 4 = FIP[19:16] << 12 | FOP.
  const m = machine(16, [...FNINIT, ...FLD1, 0xd9, ...mem16(6, BUF)]);
  runOk(m);
  const b = bytes(m, BUF, 14);
  assert.equal(u16(b, 0), 0x037f);
  assert.equal(u16(b, 2), 7 << 11, 'TOP 7 after one push');
  assert.equal(u16(b, 4), 0x3fff, 'R7 valid (00b), the rest empty');
  assert.equal(u16(b, 6), ORG + 2, 'FIP[15:0]');
  assert.equal(u16(b, 8), 0x1e8, 'FIP[19:16] = 0, FOP');
  assert.equal(m.cpu.fpu.fcw, 0x037f, 'FNSTENV masks all exceptions afterwards (already masked)');
});

test('FNSTENV in real mode with a 32-bit operand size: Figure 8-10 layout (SDM Vol.1 §8.1.10)', () => {
  const m = machine(16, [...FNINIT, ...FLD1, 0x66, 0xd9, ...mem16(6, BUF)]);
  runOk(m);
  const b = bytes(m, BUF, 28);
  assert.equal(u16(b, 12), ORG + 2, 'FIP[15:0]');
  assert.equal(u32(b, 16), 0x1e8, 'FIP[31:16] << 12 | FOP');
});

test('FXSAVE with CR4.OSFXSR = 0 still saves MXCSR and XMM0–7 (SDM Vol.2A FXSAVE: implementation-dependent)', () => {
  const m = machine(32, [0x0f, 0xae, ...mem32(0, BUF)]);
  m.cpu.fpu.xmm[0] = 0x5a;
  runOk(m);
  const b = bytes(m, BUF, 512);
  assert.equal(u32(b, 24), 0x1f80);
  assert.equal(b[160], 0x5a);
});
