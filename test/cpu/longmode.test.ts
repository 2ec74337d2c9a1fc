// longmode.test.ts: entering and leaving IA-32e mode through CR0/CR4/EFER (SDM Vol.3A §10.8.5,
// §10.8.5.4), and the 5-level paging switch of Linux's trampoline: LA57 refused while IA-32e mode is
// active, accepted with paging off (SDM Vol.3A §4.1.1). Far transfers that change CS are TRANSFER's,
// so CS.L is set directly here between phases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Seg } from '../../emulator/cpu/state';
import { ATTR_DB, ATTR_L, CR0_PG, CR4_LA57, CR4_PAE, EFER_LMA, EFER_LME, cpuMode, pagingMode } from '../../emulator/cpu/modes';
import { attachEvents, CrWriteEvent } from '../../emulator/cpu/events';
import { Machine } from '../../emulator/machine';
import {
  HLT, MOV_CR0_EAX, MOV_CR3_EAX, MOV_CR4_EAX, MOV_EAX_CR0, MOV_EAX_CR4, PML4, PML5, RDMSR, WRMSR,
  le32, machine, movEax, movEcx, runFault, runOk,
} from './controlHelpers';

const GP = 13;
const OR_EAX = (v: number): number[] => [0x0d, ...le32(v)];
const AND_EAX = (v: number): number[] => [0x25, ...le32(v)];
const PG_ON = [...MOV_EAX_CR0, ...OR_EAX(0x80000000), ...MOV_CR0_EAX];
const PG_OFF = [...MOV_EAX_CR0, ...AND_EAX(0x7fffffff), ...MOV_CR0_EAX];

/** Makes CS a 64-bit (L=1) or 32-bit compatibility-mode code segment, as a far transfer would. */
function setCs(m: Machine, long: boolean): void {
  const cpu = m.cpu;
  cpu.segAttr[Seg.CS] = (cpu.segAttr[Seg.CS] & ~(ATTR_L | ATTR_DB)) | (long ? ATTR_L : ATTR_DB);
  m.stateChanged();
}

/** Loads more code at `at` and points RIP there. */
function continueAt(m: Machine, at: number, code: number[]): void {
  m.load(at, Uint8Array.from([...code, ...HLT]));
  m.cpu.ripLo = at;
  m.cpu.ripHi = 0;
  m.cpu.halted = false; // the previous phase ended with HLT
  m.stateChanged();
}

test('IA-32e activation: PE → CR4.PAE → CR3 → EFER.LME → CR0.PG sets EFER.LMA (SDM Vol.3A §10.8.5)', () => {
  const m = machine(32, [
    ...movEax(CR4_PAE), ...MOV_CR4_EAX,
    ...movEax(PML4), ...MOV_CR3_EAX,
    ...movEcx(0xc0000080), ...RDMSR, ...OR_EAX(EFER_LME), ...WRMSR,
    ...PG_ON,
  ]);
  assert.equal(cpuMode(m.cpu), 'protected32');
  runOk(m);
  assert.equal(m.cpu.efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA);
  // Still running 32-bit code: compatibility mode until a far transfer loads a CS with L=1.
  assert.equal(cpuMode(m.cpu), 'compat32');
  assert.equal(pagingMode(m.cpu), '4-level');
  setCs(m, true);
  assert.equal(cpuMode(m.cpu), 'long64');
  assert.equal(m.cpu.long64, true);
});

test('CR0.PG without EFER.LME enables PAE paging, not IA-32e mode (SDM Vol.3A §4.1.1, Table 4-1)', () => {
  const m = machine(32, [...movEax(CR4_PAE), ...MOV_CR4_EAX, ...movEax(0x104000), ...MOV_CR3_EAX, ...PG_ON]);
  runOk(m);
  assert.equal(m.cpu.efer & EFER_LMA, 0);
  assert.equal(pagingMode(m.cpu), 'pae');
  assert.equal(cpuMode(m.cpu), 'protected32');
});

test('IA-32e deactivation: clearing CR0.PG in compatibility mode clears EFER.LMA (SDM Vol.3A §10.8.5.4)', () => {
  const m = machine(32, PG_OFF, (cpu) => { cpu.cr0 |= CR0_PG; cpu.cr4 = CR4_PAE; cpu.efer = EFER_LME | EFER_LMA; });
  assert.equal(cpuMode(m.cpu), 'compat32');
  runOk(m);
  assert.equal(m.cpu.efer, EFER_LME); // LME stays set: setting PG again re-enters IA-32e mode
  assert.equal(cpuMode(m.cpu), 'protected32');
  assert.equal(pagingMode(m.cpu), 'none');
});

test('the 5-level trampoline: LA57 refused in 64-bit mode, then compat mode → PG off → CR3 → LA57 → PG on gives 5-level paging', () => {
  // Phase 1 — 64-bit mode, 4-level paging: MOV to CR4 that sets LA57 is #GP(0) (SDM Vol.3A §4.1.1).
  const m = machine(64, [...MOV_EAX_CR4, ...OR_EAX(CR4_LA57), ...MOV_CR4_EAX], (cpu) => { cpu.cr0 |= CR0_PG; cpu.cr4 = CR4_PAE; });
  assert.equal(pagingMode(m.cpu), '4-level');
  runFault(m, GP, 0, 8);
  assert.equal(m.cpu.cr4 & CR4_LA57, 0);

  // Phase 2 — "lretq into compatibility mode" (TRANSFER's far return; here CS is set directly).
  setCs(m, false);
  assert.equal(cpuMode(m.cpu), 'compat32');
  const writes: CrWriteEvent[] = [];
  attachEvents(m.cpu, { crWrite: (e) => writes.push(e), modeSwitch: () => undefined, exception: () => undefined });
  const at = 0x9000;
  continueAt(m, at, [
    ...PG_OFF, // IA-32e mode off: LMA=0, paging off (the code is identity-mapped)
    ...movEax(PML5), ...MOV_CR3_EAX, // 32-bit code can load only a table below 4 GiB
    ...MOV_EAX_CR4, ...OR_EAX(CR4_LA57), ...MOV_CR4_EAX, // allowed now: LMA=0
    ...PG_ON, // LME still set: IA-32e mode again, now with 5-level paging
  ]);
  runOk(m);
  assert.equal(m.cpu.efer & EFER_LMA, EFER_LMA);
  assert.equal(m.cpu.cr4 & (CR4_LA57 | CR4_PAE), CR4_LA57 | CR4_PAE);
  assert.equal(m.cpu.cr3Lo, PML5);
  assert.equal(pagingMode(m.cpu), '5-level');
  assert.equal(cpuMode(m.cpu), 'compat32');
  assert.equal(m.cpu.linearBits, 57);
  assert.deepEqual(writes.map((w) => w.register), ['cr0', 'efer', 'cr3', 'cr4', 'cr0', 'efer']);
  assert.equal(writes[0].ripLo, at + 8);
  assert.equal(writes[1].newLo, EFER_LME); // LMA cleared by CR0.PG=0
  assert.equal(writes[5].newLo, EFER_LME | EFER_LMA);

  // Phase 3 — far return into 64-bit mode (again set directly): 64-bit code runs with 5-level paging.
  setCs(m, true);
  assert.equal(cpuMode(m.cpu), 'long64');
  continueAt(m, 0xa000, [...MOV_EAX_CR4]);
  runOk(m);
  assert.equal(m.cpu.lo[0] & CR4_LA57, CR4_LA57);
  attachEvents(m.cpu, null);
});

test('setting CR0.PG with LME=1 from real mode-like PE=0 state is #GP(0) (PG needs PE: SDM Vol.2B MOV CR)', () => {
  const m = machine(16, [0x66, ...movEax(0x80000000), ...MOV_CR0_EAX], (cpu) => { cpu.efer = EFER_LME; cpu.cr4 = CR4_PAE; });
  runFault(m, GP, 0, 6);
  assert.equal(m.cpu.efer & EFER_LMA, 0);
});

test('PAE paging: a present PDPTE with a reserved bit makes MOV to CR3 and to CR0 #GP(0) (SDM Vol.3A §4.4.1)', () => {
  const BAD = 0x108000;
  const put = (m: Machine) => m.load(BAD, Uint8Array.from([...le32(0x102000 | 1 | 2), 0, 0, 0, 0])); // R/W is reserved in a PDPTE
  // Paging on (PAE, good PDPTEs): loading a CR3 whose PDPTEs are bad faults, CR3 unchanged.
  const m = machine(32, [...movEax(BAD), ...MOV_CR3_EAX], (cpu) => { cpu.cr0 |= CR0_PG; cpu.cr4 = CR4_PAE; });
  put(m);
  runFault(m, GP, 0, 5);
  assert.equal(m.cpu.cr3Lo, 0x104000);
  // Paging off: CR3 loads without a check; turning PAE paging on then faults.
  const n = machine(32, [...movEax(CR4_PAE), ...MOV_CR4_EAX, ...movEax(BAD), ...MOV_CR3_EAX, ...PG_ON]);
  put(n);
  runFault(n, GP, 0, 24);
  assert.equal(n.cpu.cr0 & CR0_PG, 0);
});
