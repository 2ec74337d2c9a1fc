// tss.test.ts: 32-bit task switches — CALL through a task gate and back with IRET (busy bits, back link, NT,
// the old task's state saved in its TSS, CR3 loaded), JMP to a TSS descriptor (LDT loaded, no nesting) and
// the #GP/#NP/#TS rules of CALL/JMP/IRET to tasks. Expected values from SDM Vol.3A §7.3 (task switching,
// steps 1–12), §7.4 (task linking, Table 7-2 busy/NT/link effects), Table 7-1, and Vol.2 CALL/JMP/IRET.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reg, Seg } from '../../emulator/cpu/state';
import { CR0_PG } from '../../emulator/cpu/modes';
import { Machine } from '../../emulator/machine';
import { PD32, PT32, identityTables } from './controlHelpers';
import {
  CODE, GDT, IDT, LDT, SEL, TASK2_CODE, TSS, TSS2, TSS_OFF, callFar, descriptor, expectFault, gate, jmpFar,
  le32, pm32, r16, r32, r8, resumeAt, runToHlt, setGdt, w16, w32, writeTss32,
} from './protHelpers';

const NT = 0x4000, CR0_TS = 8;
const TSS2_SEL = 0x48, TASK_GATE = 0x50, LDT_SEL = 0x58;
const CR3_NEW = 0x107000;

const typeOf = (m: Machine, sel: number): number => r8(m, GDT + (sel & 0xfff8) + 5) & 0xf;

/** A machine (paging on at CPL 0 (identity map, CR3 = PD32) with a second TSS and a task gate to it. */
function tasks(code: number[], cpl: 0 | 3 = 0): Machine {
  const m = pm32(code, cpl);
  identityTables(m);
  // A second page directory for the new task: the same identity map, at another address.
  m.load(CR3_NEW, Uint8Array.from(le32(PT32 | 3)));
  const cpu = m.cpu;
  // Paging only at CPL 0: the identity map's pages are supervisor pages (U/S = 0, SDM Vol.3A §4.6).
  if (cpl === 0) cpu.cr0 |= CR0_PG;
  cpu.cr3Lo = PD32;
  w32(m, TSS + TSS_OFF.cr3, PD32); // a task switch does not save CR3 (§7.3 step 6): the old TSS must hold it
  setGdt(m, TSS2_SEL, descriptor(TSS2, 0x67, 0x89));
  setGdt(m, TASK_GATE, gate(0, TSS2_SEL, 0x5, 3));
  writeTss32(m, TSS2, {
    cr3: CR3_NEW, eip: TASK2_CODE, eflags: 0x2 | 1, eax: 0xaaaa, ebx: 0xbbbb, esp: 0xb000,
    cs: SEL.CODE0, ss: SEL.DATA0, ds: SEL.DATA0, es: SEL.DATA0,
  });
  m.load(TASK2_CODE, Uint8Array.from([0xf4, 0xcf])); // hlt; iretd
  m.stateChanged();
  return m;
}

const MOVS = [0xb8, ...le32(0x11111111), 0xbb, ...le32(0x22222222)]; // mov eax, …; mov ebx, …

test('CALL through a task gate: new TSS busy, old stays busy, back link, NT, CR0.TS, CR3 and registers from the new TSS; old state saved (SDM Vol.3A §7.3, §7.4 Table 7-2)', () => {
  const m = tasks([...MOVS, ...callFar(TASK_GATE), 0xf4]);
  const cpu = m.cpu;
  const esp = cpu.lo[Reg.RSP] >>> 0;
  runToHlt(m);
  assert.equal(cpu.ripLo, TASK2_CODE + 1);
  assert.equal(cpu.segSel[Seg.TR], TSS2_SEL);
  assert.equal(cpu.segBaseLo[Seg.TR], TSS2);
  assert.equal(typeOf(m, TSS2_SEL), 0xb, 'new TSS busy');
  assert.equal(typeOf(m, SEL.TSS), 0xb, 'old TSS still busy (CALL)');
  assert.equal(r16(m, TSS2 + TSS_OFF.link), SEL.TSS, 'back link');
  assert.equal(cpu.flags & NT, NT);
  assert.equal(cpu.flags & 1, 1, 'EFLAGS from the new TSS');
  assert.equal(cpu.cr0 & CR0_TS, CR0_TS);
  assert.equal(cpu.cr3Lo, CR3_NEW);
  assert.equal(cpu.lo[Reg.RAX], 0xaaaa);
  assert.equal(cpu.lo[Reg.RBX], 0xbbbb);
  assert.equal(cpu.lo[Reg.RSP], 0xb000);
  // The old task's TSS.
  assert.equal(r32(m, TSS + TSS_OFF.eip), CODE + 17, 'EIP after the CALL');
  assert.equal(r32(m, TSS + TSS_OFF.eax), 0x11111111);
  assert.equal(r32(m, TSS + TSS_OFF.ebx), 0x22222222);
  assert.equal(r32(m, TSS + TSS_OFF.esp), esp);
  assert.equal(r32(m, TSS + TSS_OFF.eflags) & NT, 0);
  assert.equal(r16(m, TSS + TSS_OFF.cs), SEL.CODE0);
  assert.equal(r16(m, TSS + TSS_OFF.ss), SEL.DATA0);
  assert.equal(r16(m, TSS + TSS_OFF.ds), SEL.DATA0);
});

test('IRET with NT = 1 back to the calling task: busy bit of the nested TSS cleared, CR3/EIP/registers restored, NT clear (SDM Vol.2 IRET TASK-RETURN; Vol.3A §7.4)', () => {
  const m = tasks([...MOVS, ...callFar(TASK_GATE), 0xf4]);
  const cpu = m.cpu;
  runToHlt(m);
  resumeAt(m, TASK2_CODE + 1);
  runToHlt(m);
  assert.equal(cpu.ripLo, CODE + 18);
  assert.equal(cpu.segSel[Seg.TR], SEL.TSS);
  assert.equal(typeOf(m, TSS2_SEL), 0x9, 'nested TSS available again');
  assert.equal(typeOf(m, SEL.TSS), 0xb);
  assert.equal(cpu.cr3Lo, PD32);
  assert.equal(cpu.lo[Reg.RAX], 0x11111111);
  assert.equal(cpu.flags & NT, 0);
  assert.equal(r32(m, TSS2 + TSS_OFF.eip), TASK2_CODE + 2, 'nested task saved after its IRET');
  assert.equal(r32(m, TSS2 + TSS_OFF.eflags) & NT, 0, 'saved with NT cleared (§7.3 step 5)');
});

test('JMP to a TSS descriptor: old TSS not busy, new busy, NT clear, link field untouched, LDT and an LDT data segment loaded (SDM Vol.3A §7.3, Table 7-2)', () => {
  const m = tasks(jmpFar(TSS2_SEL));
  setGdt(m, LDT_SEL, descriptor(LDT, 0xf, 0x82));
  m.load(LDT + 8, Uint8Array.from(descriptor(0x123000, 0xfff, 0x4093)));
  w16(m, TSS2 + TSS_OFF.ldt, LDT_SEL);
  w16(m, TSS2 + TSS_OFF.ds, 0x0c); // LDT entry 1
  w16(m, TSS2 + TSS_OFF.link, 0x1234);
  const cpu = m.cpu;
  runToHlt(m);
  assert.equal(cpu.segSel[Seg.TR], TSS2_SEL);
  assert.equal(typeOf(m, SEL.TSS), 0x9, 'old TSS available');
  assert.equal(typeOf(m, TSS2_SEL), 0xb);
  assert.equal(cpu.flags & NT, 0);
  assert.equal(r16(m, TSS2 + TSS_OFF.link), 0x1234);
  assert.equal(cpu.segSel[Seg.LDTR], LDT_SEL);
  assert.equal(cpu.segBaseLo[Seg.LDTR], LDT);
  assert.equal(cpu.segSel[Seg.DS], 0x0c);
  assert.equal(cpu.segBaseLo[Seg.DS], 0x123000);
  assert.equal(r32(m, TSS + TSS_OFF.eip), CODE + 7);
});

test('CALL/JMP to a busy TSS → #GP(TSS selector) (SDM Vol.2 CALL/JMP TASK-STATE-SEGMENT)', () => {
  expectFault(tasks(callFar(SEL.TSS)), 13, SEL.TSS, CODE);
  const m = tasks(jmpFar(TSS2_SEL));
  setGdt(m, TSS2_SEL, descriptor(TSS2, 0x67, 0x8b));
  expectFault(m, 13, TSS2_SEL, CODE);
});

test('TSS DPL < CPL → #GP(TSS selector); not present → #NP(TSS selector); limit < 67H → #TS(TSS selector) (SDM Vol.2 CALL; Vol.3A §7.3 step 3)', () => {
  expectFault(tasks(callFar(TSS2_SEL | 3), 3), 13, TSS2_SEL, CODE);
  const np = tasks(callFar(TSS2_SEL));
  setGdt(np, TSS2_SEL, descriptor(TSS2, 0x67, 0x09));
  expectFault(np, 11, TSS2_SEL, CODE);
  const small = tasks(callFar(TSS2_SEL));
  setGdt(small, TSS2_SEL, descriptor(TSS2, 0x60, 0x89));
  expectFault(small, 10, TSS2_SEL, CODE);
  assert.equal(small.cpu.segSel[Seg.TR], SEL.TSS, 'still the old task');
});

test('task gate: DPL < CPL → #GP(gate); not present → #NP(gate); TSS selector in the LDT → #GP(TSS selector); busy TSS → #GP(TSS selector) (SDM Vol.2 CALL TASK-GATE)', () => {
  const low = tasks(callFar(TASK_GATE | 3), 3);
  setGdt(low, TASK_GATE, gate(0, TSS2_SEL, 0x5, 0));
  expectFault(low, 13, TASK_GATE, CODE);
  const np = tasks(callFar(TASK_GATE));
  setGdt(np, TASK_GATE, gate(0, TSS2_SEL, 0x5, 0, 0, false));
  expectFault(np, 11, TASK_GATE, CODE);
  const ldt = tasks(callFar(TASK_GATE));
  setGdt(ldt, TASK_GATE, gate(0, 0x4c, 0x5, 0));
  expectFault(ldt, 13, 0x4c, CODE);
  const busy = tasks(callFar(TASK_GATE));
  setGdt(busy, TASK_GATE, gate(0, SEL.TSS, 0x5, 0));
  expectFault(busy, 13, SEL.TSS, CODE);
});

test('new task CS not a code segment → #TS(CS selector), raised after the switch (SDM Vol.3A Table 7-1)', () => {
  const m = tasks(callFar(TASK_GATE));
  w16(m, TSS2 + TSS_OFF.cs, SEL.DATA0);
  expectFault(m, 10, SEL.DATA0);
  assert.equal(m.cpu.segSel[Seg.TR], TSS2_SEL, 'the fault belongs to the new task');
});

test('IRET with NT = 1 and a back link that is not a busy TSS → #TS(link) (SDM Vol.2 IRET TASK-RETURN)', () => {
  const m = tasks([0xcf]);
  m.cpu.flags |= NT;
  w16(m, TSS + TSS_OFF.link, TSS2_SEL); // available, not busy
  expectFault(m, 10, TSS2_SEL, CODE);
});

test('#GP through an IDT task gate: task switch with NT and back link, the error code pushed on the new task stack, the faulting EIP saved (SDM Vol.3A §6.12.2, §7.3)', () => {
  const m = tasks([0x66, 0xb8, 0x03, 0x04, 0x8e, 0xd8]); // mov ax, 403h; mov ds, ax → #GP(400h)
  m.load(IDT + 13 * 8, Uint8Array.from(gate(0, TSS2_SEL, 0x5, 0)));
  m.exec.stopOnException = false;
  const cpu = m.cpu;
  runToHlt(m);
  assert.equal(cpu.segSel[Seg.TR], TSS2_SEL);
  assert.equal(cpu.ripLo, TASK2_CODE + 1);
  assert.equal(cpu.lo[Reg.RSP], 0xb000 - 4);
  assert.equal(r32(m, 0xb000 - 4), 0x400, 'error code on the new stack');
  assert.equal(cpu.flags & NT, NT);
  assert.equal(r16(m, TSS2 + TSS_OFF.link), SEL.TSS);
  assert.equal(r32(m, TSS + TSS_OFF.eip), CODE + 4, 'EIP of the faulting MOV');
});
