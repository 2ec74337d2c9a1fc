// msr.test.ts: RDMSR/WRMSR round trips and #GP cases (SDM Vol.2B RDMSR, WRMSR; Vol.4 Table 2-2), EFER
// rules (SDM Vol.3A §2.2.1, §10.8.5), SWAPGS, RDTSCP, RDPID and the writable TSC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reg, Seg } from '../../emulator/cpu/state';
import { CR0_PG, CR4_PAE, EFER_LMA, EFER_LME } from '../../emulator/cpu/modes';
import { CpuFeatures, DEFAULT_FEATURES } from '../../emulator/cpu/features';
import { HLT, RDMSR, WRMSR, machine, movEax, movEcx, movEdx, runFault, runOk } from './controlHelpers';

const GP = 13, UD = 6;

/** WRMSR index ← hi:lo, then RDMSR it back into EDX:EAX. */
function roundTrip(bits: 32 | 64, index: number, lo: number, hi: number): [number, number] {
  const m = machine(bits, [...movEcx(index), ...movEax(lo), ...movEdx(hi), ...WRMSR, ...movEax(0), ...movEdx(0), ...RDMSR]);
  runOk(m);
  return [m.cpu.lo[Reg.RAX] >>> 0, m.cpu.lo[Reg.RDX] >>> 0];
}

test('STAR, LSTAR, CSTAR, FMASK, KERNEL_GS_BASE, SYSENTER_CS/ESP/EIP round trip (SDM Vol.4 Table 2-2)', () => {
  assert.deepEqual(roundTrip(64, 0xc0000081, 0x12345678, 0x00230010), [0x12345678, 0x00230010]);
  assert.deepEqual(roundTrip(64, 0xc0000082, 0x81000000, 0xffffffff), [0x81000000, 0xffffffff]);
  assert.deepEqual(roundTrip(64, 0xc0000083, 0x81000040, 0xffffffff), [0x81000040, 0xffffffff]);
  assert.deepEqual(roundTrip(64, 0xc0000084, 0x00047700, 0), [0x00047700, 0]);
  assert.deepEqual(roundTrip(64, 0xc0000102, 0xabcd0000, 0xffff8880), [0xabcd0000, 0xffff8880]);
  assert.deepEqual(roundTrip(32, 0x174, 0x10, 0), [0x10, 0]);
  assert.deepEqual(roundTrip(32, 0x175, 0x9000, 0), [0x9000, 0]);
  assert.deepEqual(roundTrip(32, 0x176, 0xc0001000, 0), [0xc0001000, 0]);
});

test('FS_BASE/GS_BASE write the segment bases (SDM Vol.3A §3.4.4)', () => {
  const m = machine(64, [...movEcx(0xc0000100), ...movEax(0x1000), ...movEdx(0x7fff), ...WRMSR,
    ...movEcx(0xc0000101), ...movEax(0x2000), ...movEdx(0xffff8000), ...WRMSR]);
  runOk(m);
  assert.equal(m.cpu.segBaseLo[Seg.FS], 0x1000);
  assert.equal(m.cpu.segBaseHi[Seg.FS], 0x7fff);
  assert.equal(m.cpu.segBaseLo[Seg.GS], 0x2000);
  assert.equal(m.cpu.segBaseHi[Seg.GS] >>> 0, 0xffff8000);
});

test('WRMSR of a non-canonical FS_BASE, GS_BASE, KERNEL_GS_BASE, LSTAR or SYSENTER_EIP is #GP(0) (SDM Vol.2B WRMSR)', () => {
  // Bit 56 set, bits 63:57 clear: non-canonical even with 57-bit linear addresses.
  for (const index of [0xc0000100, 0xc0000101, 0xc0000102, 0xc0000082, 0x176, 0x175]) {
    const m = machine(64, [...movEcx(index), ...movEax(0), ...movEdx(0x01000000), ...WRMSR]);
    runFault(m, GP, 0, 15);
  }
});

test('canonical checks for MSR bases use 57 bits when the CPU has 5-level paging, 48 without (Intel 5-level paging white paper §2.6)', () => {
  // 0000_8000_0000_0000: canonical for 57 bits, not for 48 — whatever CR4.LA57 says.
  const code = [...movEcx(0xc0000100), ...movEax(0), ...movEdx(0x8000), ...WRMSR];
  const m = machine(64, code);
  runOk(m);
  assert.equal(m.cpu.segBaseHi[Seg.FS], 0x8000);
  const no57 = new CpuFeatures(DEFAULT_FEATURES.filter((f) => f !== 'la57'));
  runFault(machine(64, code, undefined, no57), GP, 0, 15);
});

test('reserved bits: FMASK and TSC_AUX bits 63:32, APIC_BASE bits 7:0 are #GP(0) (SDM Vol.4 Table 2-2)', () => {
  for (const [index, lo, hi] of [[0xc0000084, 0, 1], [0xc0000103, 0, 1], [0x1b, 0xfee00901, 0]]) {
    runFault(machine(32, [...movEcx(index), ...movEax(lo), ...movEdx(hi), ...WRMSR]), GP, 0, 15);
  }
});

test('IA32_PAT: power-up value 0007040600070406h; types 2 and 3 are #GP(0) (SDM Vol.3A §12.12.2, §12.12.4)', () => {
  const m = machine(32, [...movEcx(0x277), ...RDMSR]);
  runOk(m);
  assert.equal(m.cpu.lo[Reg.RAX], 0x00070406);
  assert.equal(m.cpu.lo[Reg.RDX], 0x00070406);
  assert.deepEqual(roundTrip(32, 0x277, 0x00070106, 0x05040100), [0x00070106, 0x05040100]);
  runFault(machine(32, [...movEcx(0x277), ...movEax(0x00070206), ...movEdx(0), ...WRMSR]), GP, 0, 15);
  runFault(machine(32, [...movEcx(0x277), ...movEax(0), ...movEdx(0x03000000), ...WRMSR]), GP, 0, 15);
  runFault(machine(32, [...movEcx(0x277), ...movEax(0x08), ...movEdx(0), ...WRMSR]), GP, 0, 15);
});

test('IA32_APIC_BASE reads FEE00900h after reset: base, BSP, global enable (SDM Vol.3A §11.4.4)', () => {
  const m = machine(32, [...movEcx(0x1b), ...RDMSR]);
  runOk(m);
  assert.equal(m.cpu.lo[Reg.RAX] >>> 0, 0xfee00900);
  assert.equal(m.cpu.lo[Reg.RDX], 0);
});

test('an unknown MSR is #GP(0) for RDMSR and WRMSR; RDMSR/WRMSR at CPL 3 are #GP(0) (SDM Vol.2B RDMSR)', () => {
  runFault(machine(32, [...movEcx(0x12345), ...RDMSR]), GP, 0, 5);
  runFault(machine(32, [...movEcx(0x12345), ...WRMSR]), GP, 0, 5);
  runFault(machine(32, [...movEcx(0x1b), ...RDMSR], (cpu) => { cpu.segSel[Seg.CS] = 0x13; }), GP, 0, 5);
});

test('the TSC is writable: a later read sees the written value plus the instructions retired since (SDM Vol.3B §18.17)', () => {
  const m = machine(32, [...movEcx(0x10), ...movEax(0xfffffffe), ...movEdx(0x1234), ...WRMSR, 0x90, ...RDMSR]);
  runOk(m);
  // Two instructions (NOP, then RDMSR itself) after the WRMSR: 0x1234_FFFFFFFE + 2 carries into EDX.
  assert.equal(m.cpu.lo[Reg.RAX] >>> 0, 0);
  assert.equal(m.cpu.lo[Reg.RDX], 0x1235);
});

// ---- EFER ---------------------------------------------------------------------------------------------

test('EFER: SCE, LME, NXE round trip; LMA is read-only (SDM Vol.3A §2.2.1)', () => {
  assert.deepEqual(roundTrip(32, 0xc0000080, 0x0d01, 0), [0x0901, 0]); // LMA (bit 10) written, not taken
});

test('EFER: reserved bits are #GP(0) (SDM Vol.2B WRMSR)', () => {
  for (const [lo, hi] of [[1 << 1, 0], [1 << 9, 0], [1 << 12, 0], [0, 1]]) {
    runFault(machine(32, [...movEcx(0xc0000080), ...movEax(lo), ...movEdx(hi), ...WRMSR]), GP, 0, 15);
  }
  // NXE without the nx feature is reserved too.
  const noNx = new CpuFeatures(DEFAULT_FEATURES.filter((f) => f !== 'nx'));
  runFault(machine(32, [...movEcx(0xc0000080), ...movEax(1 << 11), ...movEdx(0), ...WRMSR], undefined, noNx), GP, 0, 15);
});

test('EFER: changing LME while CR0.PG=1 is #GP(0) (SDM Vol.3A §10.8.5)', () => {
  // 32-bit paging on, LME 0 → 1.
  const m = machine(32, [...movEcx(0xc0000080), ...movEax(EFER_LME), ...movEdx(0), ...WRMSR], (cpu) => { cpu.cr0 |= CR0_PG; });
  runFault(m, GP, 0, 15);
  assert.equal(m.cpu.efer, 0);
  // 64-bit mode, LME 1 → 0.
  const q = machine(64, [...movEcx(0xc0000080), ...movEax(0), ...movEdx(0), ...WRMSR], (cpu) => { cpu.cr0 |= CR0_PG; cpu.cr4 = CR4_PAE; });
  runFault(q, GP, 0, 15);
  assert.equal(q.cpu.efer, EFER_LME | EFER_LMA);
  // Other bits may change while paging is on.
  const r = machine(64, [...movEcx(0xc0000080), ...movEax(EFER_LME | EFER_LMA | (1 << 11) | 1), ...movEdx(0), ...WRMSR], (cpu) => { cpu.cr0 |= CR0_PG; cpu.cr4 = CR4_PAE; });
  runOk(r);
  assert.equal(r.cpu.efer, EFER_LME | EFER_LMA | (1 << 11) | 1);
});

// ---- SWAPGS, RDTSCP, RDPID ----------------------------------------------------------------------------

test('SWAPGS exchanges GS.base and IA32_KERNEL_GS_BASE (SDM Vol.2B SWAPGS)', () => {
  const m = machine(64, [0x0f, 0x01, 0xf8], (cpu) => {
    cpu.segBaseLo[Seg.GS] = 0x1111; cpu.segBaseHi[Seg.GS] = 0;
    cpu.kernelGsBaseLo = 0x2222; cpu.kernelGsBaseHi = 0xffff8000 | 0;
  });
  runOk(m);
  assert.equal(m.cpu.segBaseLo[Seg.GS], 0x2222);
  assert.equal(m.cpu.segBaseHi[Seg.GS] >>> 0, 0xffff8000);
  assert.equal(m.cpu.kernelGsBaseLo, 0x1111);
  assert.equal(m.cpu.kernelGsBaseHi, 0);
});

test('SWAPGS is #UD outside 64-bit mode and #GP(0) at CPL 3 (SDM Vol.2B SWAPGS)', () => {
  runFault(machine(32, [0x0f, 0x01, 0xf8]), UD, -1, 0);
  runFault(machine(64, [0x0f, 0x01, 0xf8], (cpu) => { cpu.segSel[Seg.CS] = 0x13; }), GP, 0, 0);
});

test('RDTSCP returns the TSC in EDX:EAX and IA32_TSC_AUX in ECX; RDPID returns TSC_AUX (SDM Vol.2B RDTSCP, RDPID)', () => {
  const m = machine(64, [...movEcx(0xc0000103), ...movEax(0x42), ...movEdx(0), ...WRMSR, 0x0f, 0x01, 0xf9, 0xf3, 0x0f, 0xc7, 0xfb]);
  m.cpu.lo[Reg.RBX] = -1; m.cpu.hi[Reg.RBX] = -1;
  runOk(m);
  assert.equal(m.cpu.lo[Reg.RCX], 0x42);
  assert.equal(m.cpu.hi[Reg.RCX], 0);
  assert.equal(m.cpu.lo[Reg.RAX], 4); // four instructions retired before RDTSCP
  assert.equal(m.cpu.lo[Reg.RDX], 0);
  assert.equal(m.cpu.lo[Reg.RBX], 0x42);
  assert.equal(m.cpu.hi[Reg.RBX], 0);
});

test('RDTSCP at CPL 3 with CR4.TSD is #GP(0) (SDM Vol.2B RDTSCP)', () => {
  runFault(machine(32, [0x0f, 0x01, 0xf9, ...HLT], (cpu) => { cpu.segSel[Seg.CS] = 0x13; cpu.cr4 = 1 << 2; }), GP, 0, 0);
});
