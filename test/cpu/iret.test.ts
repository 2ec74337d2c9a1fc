// iret.test.ts: IRET in protected mode — to the same and to an outer privilege level, EFLAGS loading by
// CPL/IOPL, IRETD into virtual-8086 mode and an interrupt from virtual-8086 mode back to CPL 0, IRET with
// NT = 1 returning from a nested task, and IRET's #GP rules. Expected values from SDM Vol.2 IRET and INT n
// Operation (RETURN-TO-SAME/OUTER-PRIVILEGE-LEVEL, RETURN-TO-VIRTUAL-8086-MODE, TASK-RETURN,
// INTERRUPT-FROM-VIRTUAL-8086-MODE), Vol.3A §7.4 (task linking) and §20.3.1 (Figure 20-2 V86 frames).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reg, Seg } from '../../emulator/cpu/state';
import { cpuMode } from '../../emulator/cpu/modes';
import { Machine } from '../../emulator/machine';
import {
  CODE, HANDLER, KERNEL_STACK, SEL, TASK2_CODE, TSS, TSS2, TSS_OFF, USER_STACK, descriptor, expectFault, gate,
  long64, movAx, movDsAx, pm32, pushImm32, r16, r32, r8, resumeAt, runToHlt, setGdt, setIdt, writeTss32,
} from './protHelpers';

const IF = 0x200, NT = 0x4000, VM = 0x20000, IOPL3 = 0x3000, CF = 1;

function intHandler(m: Machine, vector: number, dpl: number, body: number[]): number {
  const at = HANDLER + vector * 16;
  m.load(at, Uint8Array.from(body));
  setIdt(m, vector, gate(at, SEL.CODE0, 0xe, dpl));
  return at;
}

test('IRETD at the same level returns to the interrupted EIP and restores IF cleared by the interrupt gate (SDM Vol.2 IRET, RETURN-TO-SAME-PRIVILEGE-LEVEL)', () => {
  const m = pm32([0xcd, 0x30, 0xf4], 0);
  intHandler(m, 0x30, 0, [0xcf]);
  m.cpu.flags |= IF;
  const esp = m.cpu.lo[Reg.RSP] >>> 0;
  runToHlt(m);
  assert.equal(m.cpu.ripLo, CODE + 3);
  assert.equal(m.cpu.lo[Reg.RSP] >>> 0, esp);
  assert.equal(m.cpu.flags & IF, IF);
});

test('IRETD to CPL 3: SS:ESP popped, CPL 3, DS with DPL 0 nulled and ES kept (SDM Vol.2 IRET, RETURN-TO-OUTER-PRIVILEGE-LEVEL)', () => {
  const m = pm32([0xcd, 0x80, 0xf4], 3);
  intHandler(m, 0x80, 3, [...movAx(0x10), ...movDsAx, 0xcf]);
  m.cpu.flags |= IF;
  runToHlt(m);
  const cpu = m.cpu;
  assert.equal(cpu.ripLo, CODE + 3);
  assert.equal(cpu.cpl, 3);
  assert.equal(cpu.segSel[Seg.CS], SEL.CODE3);
  assert.equal(cpu.segSel[Seg.SS], SEL.DATA3);
  assert.equal(cpu.lo[Reg.RSP] >>> 0, USER_STACK);
  assert.equal(cpu.segSel[Seg.DS], 0);
  assert.equal(cpu.segSel[Seg.ES], SEL.DATA3);
  assert.equal(cpu.flags & IF, IF);
});

test('IRETD at CPL 3 with IOPL 0: CF loaded, IF and IOPL not (SDM Vol.2 IRET: IF only when CPL ≤ IOPL, IOPL only at CPL 0)', () => {
  const code = [...pushImm32(IOPL3 | CF | 2), ...pushImm32(SEL.CODE3), ...pushImm32(CODE + 16), 0xcf, 0xf4];
  const m = pm32(code, 3);
  m.cpu.flags = IF | 2;
  runToHlt(m);
  assert.equal(m.cpu.ripLo, CODE + 17);
  assert.equal(m.cpu.flags & CF, CF);
  assert.equal(m.cpu.flags & IF, IF, 'IF unchanged');
  assert.equal(m.cpu.flags & IOPL3, 0, 'IOPL unchanged');
});

test('IRETD at CPL 0 loads IOPL and IF (SDM Vol.2 IRET)', () => {
  const code = [...pushImm32(IOPL3 | 2), ...pushImm32(SEL.CODE0), ...pushImm32(CODE + 16), 0xcf, 0xf4];
  const m = pm32(code, 0);
  m.cpu.flags = IF | 2;
  runToHlt(m);
  assert.equal(m.cpu.flags & (IF | IOPL3), IOPL3);
});

test('IRETD into virtual-8086 mode, then INT 80h from virtual-8086 mode to CPL 0 (GS, FS, DS, ES pushed and nulled) and IRETD back (SDM Vol.2 IRET RETURN-TO-VIRTUAL-8086-MODE; INT n INTERRUPT-FROM-VIRTUAL-8086-MODE)', () => {
  const frame = [0x4444, 0x3333, 0x1111, 0x2222, 0x0900, 0x0ff0, VM | IOPL3 | IF | 2, 0x0800, 0x0100];
  const m = pm32([...frame.flatMap(pushImm32), 0xcf], 0);
  m.load(0x8100, Uint8Array.from([0xcd, 0x80, 0xf4])); // V86 code at 0800:0100
  const h = intHandler(m, 0x80, 3, [0xf4, 0xcf]);
  const cpu = m.cpu;
  // Run the pushes and the IRETD, then check the virtual-8086 state.
  m.run({ maxInstructions: 10 });
  assert.equal(cpuMode(cpu), 'v8086');
  assert.equal(cpu.cpl, 3);
  assert.equal(cpu.ripLo, 0x100);
  assert.equal(cpu.segBaseLo[Seg.CS], 0x8000);
  assert.equal(cpu.segSel[Seg.SS], 0x0900);
  assert.equal(cpu.lo[Reg.RSP] >>> 0, 0x0ff0);
  assert.equal(cpu.segBaseLo[Seg.DS], 0x11110);
  assert.equal(cpu.segSel[Seg.ES], 0x2222);
  assert.equal(cpu.segSel[Seg.FS], 0x3333);
  assert.equal(cpu.segSel[Seg.GS], 0x4444);
  assert.equal(cpu.segLimit[Seg.DS], 0xffff);
  // INT 80h: to the CPL-0 handler on the TSS stack.
  runToHlt(m);
  assert.equal(cpu.ripLo, h + 1);
  assert.equal(cpuMode(cpu), 'protected32');
  assert.equal(cpu.cpl, 0);
  const esp = KERNEL_STACK - 36;
  assert.equal(cpu.lo[Reg.RSP] >>> 0, esp);
  const want = [0x102, 0x0800, -1, 0x0ff0, 0x0900, 0x2222, 0x1111, 0x3333, 0x4444];
  for (let k = 0; k < want.length; k++) if (want[k] >= 0) assert.equal(r32(m, esp + 4 * k), want[k], `frame slot ${k}`);
  assert.equal(r32(m, esp + 8) & VM, VM, 'saved EFLAGS.VM');
  assert.equal(cpu.flags & VM, 0);
  for (const s of [Seg.DS, Seg.ES, Seg.FS, Seg.GS]) assert.equal(cpu.segSel[s], 0, `segment ${s} nulled`);
  // IRETD back to virtual-8086 mode.
  resumeAt(m, h + 1);
  runToHlt(m); // the V86 HLT is #GP(0) at CPL 3: the end marker
  assert.equal(cpuMode(cpu), 'v8086');
  assert.equal(cpu.ripLo, 0x103);
  assert.equal(cpu.segSel[Seg.DS], 0x1111);
  assert.equal(cpu.lo[Reg.RSP] >>> 0, 0x0ff0);
});

test('IRET in virtual-8086 mode with IOPL < 3 → #GP(0) (SDM Vol.2 IRET, Virtual-8086 Mode Exceptions)', () => {
  const frame = [0, 0, 0, 0, 0x0900, 0x0ff0, VM | IF | 2, 0x0800, 0x0100];
  const m = pm32([...frame.flatMap(pushImm32), 0xcf], 0);
  m.load(0x8100, Uint8Array.from([0xcf]));
  expectFault(m, 13, 0, 0x100);
});

test('IRETD to CS with RPL < CPL → #GP(CS selector); return SS with RPL ≠ CS RPL → #GP(SS selector) (SDM Vol.2 IRET)', () => {
  const code = [...pushImm32(2), ...pushImm32(SEL.CODE0), ...pushImm32(CODE), 0xcf];
  expectFault(pm32(code, 3), 13, SEL.CODE0, CODE + 15);
  const outer = [...pushImm32(SEL.DATA0), ...pushImm32(USER_STACK), ...pushImm32(2), ...pushImm32(SEL.CODE3), ...pushImm32(CODE), 0xcf];
  expectFault(pm32(outer, 0), 13, SEL.DATA0, CODE + 25);
});

test('IA-32e: IRETQ with NT = 1 → #GP(0) (SDM Vol.2 IRET: "IF EFLAGS.NT = 1 ... IA-32e mode #GP(0)")', () => {
  const m = long64([0x48, 0xcf], 0);
  m.cpu.flags |= NT;
  expectFault(m, 13, 0, CODE);
});

test('INT through a task gate runs a nested task (NT = 1, back link); its IRET returns to the interrupted task (SDM Vol.3A §7.4; Vol.2 IRET TASK-RETURN)', () => {
  const m = pm32([0xb8, 0x78, 0x56, 0x34, 0x12, 0xcd, 0x40, 0xf4], 0); // mov eax, 12345678h; int 40h; hlt
  setGdt(m, 0x48, descriptor(TSS2, 0x67, 0x89));
  setIdt(m, 0x40, gate(0, 0x48, 0x5, 0));
  writeTss32(m, TSS2, { eip: TASK2_CODE, esp: 0xb000, cs: SEL.CODE0, ss: SEL.DATA0, ds: SEL.DATA0, es: SEL.DATA0, eax: 0xaaaa });
  m.load(TASK2_CODE, Uint8Array.from([0xf4, 0xcf])); // hlt; iretd
  const cpu = m.cpu;
  runToHlt(m);
  assert.equal(cpu.ripLo, TASK2_CODE + 1);
  assert.equal(cpu.segSel[Seg.TR], 0x48);
  assert.equal(cpu.flags & NT, NT, 'NT set in the nested task');
  assert.equal(r16(m, TSS2 + TSS_OFF.link), SEL.TSS, 'back link to the interrupted task');
  assert.equal(cpu.lo[Reg.RAX], 0xaaaa);
  assert.equal(r32(m, TSS + TSS_OFF.eip), CODE + 7, 'saved EIP: the instruction after INT');
  assert.equal(r32(m, TSS + TSS_OFF.eax), 0x12345678);
  resumeAt(m, TASK2_CODE + 1);
  runToHlt(m);
  assert.equal(cpu.ripLo, CODE + 8);
  assert.equal(cpu.segSel[Seg.TR], SEL.TSS);
  assert.equal(cpu.lo[Reg.RAX], 0x12345678);
  assert.equal(cpu.flags & NT, 0);
  assert.equal(r8(m, 0x1000 + 0x48 + 5) & 0xf, 0x9, 'nested TSS no longer busy');
  assert.equal(r8(m, 0x1000 + SEL.TSS + 5) & 0xf, 0xb, 'returned-to TSS busy');
  assert.equal(r32(m, TSS2 + TSS_OFF.eflags) & NT, 0, 'IRET saved the nested task with NT clear');
});
