// mtrr.test.ts: the MTRRs (SDM Vol.3A §12.11): IA32_MTRRCAP's capability bits, round trips of every
// register, and WRMSR #GP(0) for reserved bits, undefined memory types (§12.11.1 Table 12-8: only 0, 1,
// 4, 5, 6 are defined) and the read-only IA32_MTRRCAP; without CPUID.01H:EDX.MTRR none of them exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reg } from '../../emulator/cpu/state';
import { CpuFeatures } from '../../emulator/cpu/features';
import { RDMSR, WRMSR, machine, movEax, movEcx, movEdx, runFault, runOk } from './controlHelpers';

const GP = 13;
/** WRMSR then RDMSR of `index` with EDX:EAX = hi:lo, the read landing in EDX:EAX again. */
const roundTrip = (index: number, lo: number, hi: number): number[] =>
  [...movEcx(index), ...movEax(lo), ...movEdx(hi), ...WRMSR, ...movEax(0), ...movEdx(0), ...RDMSR];
/** WRMSR of EDX:EAX = hi:lo to `index`: the instruction that may fault is at offset 15. */
const write = (index: number, lo: number, hi: number): number[] => [...movEcx(index), ...movEax(lo), ...movEdx(hi), ...WRMSR];

test('IA32_MTRRCAP (FEh): VCNT 8, FIX and WC supported, no SMRR (SDM Vol.3A §12.11.1 Figure 12-5)', () => {
  const m = machine(64, [...movEcx(0xfe), ...RDMSR]);
  runOk(m);
  const cap = m.cpu.lo[Reg.RAX];
  assert.equal(cap & 0xff, 8, 'VCNT: eight variable ranges');
  assert.equal((cap >>> 8) & 1, 1, 'FIX: the fixed-range MTRRs 250h, 258h, 259h, 268h-26Fh exist');
  assert.equal((cap >>> 10) & 1, 1, 'WC: write-combining may be used');
  assert.equal((cap >>> 11) & 1, 0, 'SMRR: no system-management range register');
  assert.equal(m.cpu.lo[Reg.RDX], 0);
  runFault(machine(64, write(0xfe, cap, 0)), GP, 0, 15);
});

test('the MTRRs hold what WRMSR wrote; IA32_MTRR_DEF_TYPE reads 0 (MTRRs disabled) after RESET (SDM Vol.3A §12.11.5)', () => {
  const m0 = machine(32, [...movEcx(0x2ff), ...movEax(-1), ...RDMSR]);
  runOk(m0);
  assert.equal(m0.cpu.lo[Reg.RAX], 0);
  const cases: Array<[number, number, number]> = [
    [0x2ff, 0xc06, 0], // E, FE, default type WB
    [0x250, 0x06060606, 0x06060606], // FIX64K_00000: WB throughout
    [0x259, 0x00010405, 0x06000000], // FIX16K_A0000: each byte a defined type
    [0x26f, 0x05050505, 0x05050505], // FIX4K_F8000
    [0x200, 0x80000006 | 0, 0], // PHYSBASE0: 2 GiB, WB
    [0x201, 0x80000800 | 0, 0x000fffff], // PHYSMASK0: 2 GiB range, valid, MAXPHYADDR 52
    [0x20e, 0x00001000, 0x000fffff], // PHYSBASE7 at the top of the physical space, UC
    [0x20f, 0xfffff800 | 0, 0x000fffff], // PHYSMASK7: a 4 KiB range
  ];
  for (const [index, lo, hi] of cases) {
    const m = machine(64, roundTrip(index, lo, hi));
    runOk(m);
    assert.equal(m.cpu.lo[Reg.RAX], lo, `MSR ${index.toString(16)}h bits 31:0`);
    assert.equal(m.cpu.lo[Reg.RDX], hi, `MSR ${index.toString(16)}h bits 63:32`);
  }
});

test('WRMSR of a reserved bit or an undefined memory type to an MTRR is #GP(0) (SDM Vol.3A §12.11.1-12.11.2)', () => {
  const faults: Array<[number, number, number, string]> = [
    [0x2ff, 0x100, 0, 'DEF_TYPE bit 8 reserved (Figure 12-6)'],
    [0x2ff, 0x1000, 0, 'DEF_TYPE bit 12 reserved'],
    [0x2ff, 0, 1, 'DEF_TYPE bit 32 reserved'],
    [0x2ff, 0x802, 0, 'DEF_TYPE type 2 undefined (Table 12-8)'],
    [0x2ff, 0x807, 0, 'DEF_TYPE type 7 undefined'],
    [0x250, 0x06030606, 0x06060606, 'fixed range: type 3 in byte 2'],
    [0x26c, 0x06060606, 0x08060606, 'fixed range: type 8 in byte 7'],
    [0x204, 0x100, 0, 'PHYSBASE2 bits 11:8 reserved (Figure 12-7)'],
    [0x204, 0x2, 0, 'PHYSBASE2 type 2 undefined'],
    [0x204, 0, 0x00100000, 'PHYSBASE2 bit 52 (MAXPHYADDR) reserved'],
    [0x205, 0x801, 0, 'PHYSMASK2 bits 10:0 reserved'],
    [0x205, 0x800, 0x80000000 | 0, 'PHYSMASK2 bit 63 reserved'],
  ];
  for (const [index, lo, hi, why] of faults) {
    const m = machine(64, write(index, lo, hi));
    assert.doesNotThrow(() => runFault(m, GP, 0, 15), why);
    assert.match(m.exec.lastException?.detail ?? '', /MTRR/, why);
  }
});

test('without CPUID.01H:EDX.MTRR the MTRRs are not there: RDMSR/WRMSR #GP(0) (SDM Vol.3A §12.11.1)', () => {
  const noMtrr = CpuFeatures.parse('-mtrr') as CpuFeatures;
  runFault(machine(32, [...movEcx(0xfe), ...RDMSR], undefined, noMtrr), GP, 0, 5);
  runFault(machine(32, write(0x2ff, 0, 0), undefined, noMtrr), GP, 0, 15);
});
