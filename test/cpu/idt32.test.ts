// idt32.test.ts: interrupt and exception delivery in 32-bit protected mode through IDT interrupt, trap and
// 16-bit gates, at the same and at an inner privilege level; software INT n/INT3/INTO/INT1 privilege checks;
// the interrupt shadow of MOV SS/POP SS/STI as the run loop applies it to a pending external interrupt.
// Expected values from SDM Vol.2 INT n Operation and Vol.3A §6.8.3, §6.10–§6.13 (Figure 6-4 stack frames), Table 6-1 (which vectors push an error code), §6.15.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cpu, Reg, Seg } from '../../emulator/cpu/state';
import { deliverInterrupt } from '../../emulator/cpu/interrupts';
import { Platform } from '../../emulator/cpu/step';
import { Machine } from '../../emulator/machine';
import {
  CODE, HANDLER, KERNEL_STACK, SEL, TSS, USER_STACK, descriptor, expectFault, gate, movAx, movDsAx, pm32, r16, r32,
  runToHlt, setGdt, setIdt,
} from './protHelpers';

const IF = 0x200, TF = 0x100, NT = 0x4000, RF = 0x10000;
const INT_GATE = 0xe, TRAP_GATE = 0xf;

/** A handler (HLT) for `vector` at HANDLER + vector × 16 through a gate of `type` and `dpl`. */
function handler(m: Machine, vector: number, type: number, dpl: number, cs: number = SEL.CODE0): number {
  const at = HANDLER + vector * 16;
  m.load(at, Uint8Array.from([0xf4]));
  setIdt(m, vector, gate(at, cs, type, dpl));
  return at;
}

/** A machine that delivers faults to the guest (rather than stopping the run). */
function deliver(code: number[], cpl: 0 | 3): Machine {
  const m = pm32(code, cpl);
  m.exec.stopOnException = false;
  return m;
}

test('#GP at CPL 0 through an interrupt gate: error code, EIP of the faulting instruction, CS, EFLAGS on the same stack; IF, TF, NT, RF cleared (SDM Vol.2 INT n, INTRA-PRIVILEGE-LEVEL-INTERRUPT; Vol.3A Figure 6-4)', () => {
  const m = deliver([...movAx(0x403), ...movDsAx], 0);
  const h = handler(m, 13, INT_GATE, 0);
  const cpu = m.cpu;
  cpu.flags |= IF | NT;
  const esp = cpu.lo[Reg.RSP] >>> 0;
  runToHlt(m);
  assert.equal(cpu.ripLo, h + 1);
  assert.equal(cpu.lo[Reg.RSP] >>> 0, esp - 16);
  assert.equal(r32(m, esp - 16), 0x400, 'error code: selector index (EXT = 0)');
  assert.equal(r32(m, esp - 12), CODE + 4, 'EIP of MOV DS');
  assert.equal(r32(m, esp - 8) & 0xffff, SEL.CODE0);
  assert.equal(r32(m, esp - 4) & (IF | NT), IF | NT, 'EFLAGS as before');
  assert.equal(cpu.flags & (IF | TF | NT | RF), 0);
  assert.equal(cpu.segSel[Seg.SS], SEL.DATA0, 'no stack switch');
});

test('INT n through a trap gate leaves IF set; no error code; the saved EIP is the next instruction (SDM Vol.2 INT n: trap gate does not clear IF)', () => {
  const m = deliver([0xcd, 0x30], 0);
  const h = handler(m, 0x30, TRAP_GATE, 0);
  m.cpu.flags |= IF;
  const esp = m.cpu.lo[Reg.RSP] >>> 0;
  runToHlt(m);
  assert.equal(m.cpu.ripLo, h + 1);
  assert.equal(m.cpu.lo[Reg.RSP] >>> 0, esp - 12);
  assert.equal(r32(m, esp - 12), CODE + 2);
  assert.equal(m.cpu.flags & IF, IF);
});

test('INT 80h at CPL 3 through a DPL-3 interrupt gate to CPL 0: SS0:ESP0 from the TSS, frame SS, ESP, EFLAGS, CS, EIP (SDM Vol.2 INT n, INTER-PRIVILEGE-LEVEL-INTERRUPT)', () => {
  const m = deliver([0xcd, 0x80], 3);
  const h = handler(m, 0x80, INT_GATE, 3);
  const cpu = m.cpu;
  cpu.flags |= IF;
  runToHlt(m);
  assert.equal(cpu.ripLo, h + 1);
  assert.equal(cpu.cpl, 0);
  assert.equal(cpu.segSel[Seg.CS], SEL.CODE0);
  assert.equal(cpu.segSel[Seg.SS], SEL.DATA0);
  const esp = KERNEL_STACK - 20;
  assert.equal(cpu.lo[Reg.RSP] >>> 0, esp);
  assert.equal(r32(m, esp), CODE + 2, 'EIP');
  assert.equal(r32(m, esp + 4) & 0xffff, SEL.CODE3, 'CS');
  assert.equal(r32(m, esp + 8) & IF, IF, 'EFLAGS');
  assert.equal(r32(m, esp + 12), USER_STACK, 'ESP');
  assert.equal(r32(m, esp + 16) & 0xffff, SEL.DATA3, 'SS');
  assert.equal(cpu.flags & IF, 0);
});

test('#GP at CPL 3 goes to a DPL-0 gate (exceptions skip the gate DPL check) with its error code on the inner stack (SDM Vol.3A §6.12.1.1)', () => {
  const m = deliver([...movAx(0x403), ...movDsAx], 3);
  handler(m, 13, INT_GATE, 0);
  runToHlt(m);
  const esp = KERNEL_STACK - 24;
  assert.equal(m.cpu.lo[Reg.RSP] >>> 0, esp);
  assert.equal(r32(m, esp), 0x400, 'error code');
  assert.equal(r32(m, esp + 4), CODE + 4, 'EIP of the faulting MOV');
  assert.equal(r32(m, esp + 20) & 0xffff, SEL.DATA3);
});

test('error codes per vector: #DE and #UD push none; #NP(sel) and #SS(sel) push theirs (SDM Vol.3A Table 6-1, §6.13)', () => {
  const cases: { code: number[]; vector: number; err: number | null; setup?: (m: Machine) => void }[] = [
    { code: [0x31, 0xc9, 0xf7, 0xf1], vector: 0, err: null }, // xor ecx,ecx; div ecx
    { code: [0x0f, 0x0b], vector: 6, err: null }, // ud2
    { code: [...movAx(0x50), ...movDsAx], vector: 11, err: 0x50, setup: (m) => setGdt(m, 0x50, descriptor(0, 0xfffff, 0xc013)) },
    { code: [...movAx(0x50), 0x8e, 0xd0], vector: 12, err: 0x50, setup: (m) => setGdt(m, 0x50, descriptor(0, 0xfffff, 0xc013)) },
  ];
  for (const c of cases) {
    const m = deliver(c.code, 0);
    c.setup?.(m);
    handler(m, c.vector, INT_GATE, 0);
    const esp = m.cpu.lo[Reg.RSP] >>> 0;
    runToHlt(m);
    const frame = c.err === null ? 12 : 16;
    assert.equal(m.cpu.lo[Reg.RSP] >>> 0, esp - frame, `vector ${c.vector} frame size`);
    if (c.err !== null) assert.equal(r32(m, esp - 16), c.err, `vector ${c.vector} error code`);
    const faultAt = c.code.length - 2; // the last instruction (2 bytes) faults
    assert.equal(r32(m, esp - frame + (c.err === null ? 0 : 4)), CODE + faultAt, `vector ${c.vector} saved EIP (a fault: the instruction itself)`);
  }
});

test('#GP whose gate is not present becomes #DF, delivered with error code 0 (SDM Vol.3A §6.15 Interrupt 8, Table 6-5)', () => {
  const m = deliver([...movAx(0x403), ...movDsAx], 0);
  setIdt(m, 13, gate(HANDLER, SEL.CODE0, INT_GATE, 0, 0, false));
  const h = handler(m, 8, INT_GATE, 0);
  const esp = m.cpu.lo[Reg.RSP] >>> 0;
  runToHlt(m);
  assert.equal(m.cpu.ripLo, h + 1);
  assert.equal(m.cpu.lo[Reg.RSP] >>> 0, esp - 16);
  assert.equal(r32(m, esp - 16), 0, '#DF error code is 0');
});

test('INT n at CPL 3 with gate DPL 0 → #GP(n × 8 + 2) (SDM Vol.2 INT n: IDT bit set, EXT = 0)', () => {
  const m = pm32([0xcd, 0x30], 3);
  handler(m, 0x30, INT_GATE, 0);
  expectFault(m, 13, 0x30 * 8 + 2, CODE);
  // Delivered to the #GP handler, the same error code is on the inner stack.
  const d = deliver([0xcd, 0x30], 3);
  handler(d, 0x30, INT_GATE, 0);
  handler(d, 13, INT_GATE, 0);
  runToHlt(d);
  assert.equal(r32(d, KERNEL_STACK - 24), 0x182);
  assert.equal(r32(d, KERNEL_STACK - 20), CODE, 'EIP of the INT instruction');
});

test('INT3 at CPL 3: gate DPL 0 → #GP(1AH); gate DPL 3 → delivered as a trap (EIP after the CC) (SDM Vol.2 INT n; Vol.3A §6.12.1.1)', () => {
  const m = pm32([0xcc], 3);
  handler(m, 3, INT_GATE, 0);
  expectFault(m, 13, 3 * 8 + 2, CODE);
  const d = deliver([0xcc], 3);
  handler(d, 3, INT_GATE, 3);
  runToHlt(d);
  assert.equal(r32(d, KERNEL_STACK - 20), CODE + 1);
});

test('INTO: OF = 1 delivers vector 4 with EIP after INTO; OF = 0 does nothing (SDM Vol.2 INT n, INTO)', () => {
  // mov al, 7Fh; add al, 1 (OF = 1); into
  const d = deliver([0xb0, 0x7f, 0x04, 0x01, 0xce], 0);
  const h = handler(d, 4, TRAP_GATE, 0);
  const esp = d.cpu.lo[Reg.RSP] >>> 0;
  runToHlt(d);
  assert.equal(d.cpu.ripLo, h + 1);
  assert.equal(r32(d, esp - 12), CODE + 5);
  assert.equal(r32(d, esp - 4) & 0x800, 0x800, 'OF in the saved EFLAGS');
  const n = deliver([0xb0, 0x00, 0x04, 0x01, 0xce], 0);
  handler(n, 4, TRAP_GATE, 0);
  runToHlt(n);
  assert.equal(n.cpu.ripLo, CODE + 6, 'fell through to the HLT');
});

test('INT1 (F1) is not subject to the gate DPL check (SDM Vol.2 INT n: "does not apply to INT1")', () => {
  const d = deliver([0xf1], 3);
  const h = handler(d, 1, INT_GATE, 0);
  runToHlt(d);
  assert.equal(d.cpu.ripLo, h + 1);
  assert.equal(r32(d, KERNEL_STACK - 20), CODE + 1);
});

test('INT n: vector beyond the IDT limit → #GP(n × 8 + 2); gate not present → #NP(n × 8 + 2); not a gate type → #GP(n × 8 + 2) (SDM Vol.2 INT n)', () => {
  const m = pm32([0xcd, 0x90], 0);
  m.cpu.idtrLimit = 0x3ff;
  expectFault(m, 13, 0x482, CODE);
  const np = pm32([0xcd, 0x30], 0);
  setIdt(np, 0x30, gate(HANDLER, SEL.CODE0, INT_GATE, 0, 0, false));
  expectFault(np, 11, 0x182, CODE);
  const cg = pm32([0xcd, 0x30], 0);
  setIdt(cg, 0x30, gate(HANDLER, SEL.CODE0, 0xc, 0)); // a call gate
  expectFault(cg, 13, 0x182, CODE);
});

test('INT n: gate to a data segment → #GP(selector); to a not-present code segment → #NP(selector); inner SS0 invalid → #TS(SS0) (SDM Vol.2 INT n)', () => {
  const m = pm32([0xcd, 0x30], 0);
  setIdt(m, 0x30, gate(HANDLER, SEL.DATA0, INT_GATE, 0));
  expectFault(m, 13, SEL.DATA0, CODE);
  const np = pm32([0xcd, 0x30], 0);
  setGdt(np, 0x50, descriptor(0, 0xfffff, 0xc01b));
  setIdt(np, 0x30, gate(HANDLER, 0x50, INT_GATE, 0));
  expectFault(np, 11, 0x50, CODE);
  const ts = pm32([0xcd, 0x80], 3);
  handler(ts, 0x80, INT_GATE, 3);
  ts.load(TSS + 8, Uint8Array.from([SEL.DATA3 & 0xfc, 0])); // SS0 = a DPL-3 segment with RPL 0
  expectFault(ts, 10, SEL.DATA3 & 0xfffc, CODE);
});

test('external interrupt: no gate DPL check, no error code; the saved EIP is the next instruction to run (SDM Vol.3A §6.12.1.1, §6.3)', () => {
  const m = deliver([0x90], 3);
  const h = handler(m, 0x20, INT_GATE, 0);
  m.cpu.flags |= IF;
  assert.equal(deliverInterrupt(m.cpu, 0x20, true), null);
  m.stateChanged();
  runToHlt(m);
  assert.equal(m.cpu.ripLo, h + 1);
  assert.equal(r32(m, KERNEL_STACK - 20), CODE, 'interrupted EIP');
  assert.equal(m.cpu.flags & IF, 0);
});

test('external interrupt with a not-present gate: #NP with EXT = 1 and IDT = 1 in the error code (SDM Vol.3A §6.13, Figure 6-7)', () => {
  const m = deliver([0x90], 0);
  setIdt(m, 0x20, gate(HANDLER, SEL.CODE0, INT_GATE, 0, 0, false));
  const h = handler(m, 11, INT_GATE, 0);
  const esp = m.cpu.lo[Reg.RSP] >>> 0;
  assert.equal(deliverInterrupt(m.cpu, 0x20, true), null);
  m.stateChanged();
  runToHlt(m);
  assert.equal(m.cpu.ripLo, h + 1);
  assert.equal(r32(m, esp - 16), 0x20 * 8 + 3);
});

test('16-bit interrupt gate from 32-bit code: FLAGS, CS, IP pushed as words (SDM Vol.3A §6.12.1, Figure 6-4 16-bit frame)', () => {
  const m = deliver([0xcd, 0x31], 0);
  m.load(HANDLER, Uint8Array.from([0xf4]));
  setIdt(m, 0x31, gate(HANDLER, SEL.CODE16_0, 0x6, 0));
  const esp = m.cpu.lo[Reg.RSP] >>> 0;
  runToHlt(m);
  assert.equal(m.cpu.lo[Reg.RSP] >>> 0, esp - 6);
  assert.equal(r16(m, esp - 6), CODE + 2);
  assert.equal(r16(m, esp - 4), SEL.CODE0);
  assert.equal(m.cpu.segSel[Seg.CS], SEL.CODE16_0);
});

/** A platform with one interrupt (vector 20H) that becomes pending once `ready` says so. */
function onePending(m: Machine, ready: (cpu: Cpu) => boolean): Platform {
  let pending = true;
  const p: Platform = {
    advanceTo: () => undefined,
    nextEventAt: () => Infinity,
    wakeAt: () => Infinity,
    acknowledge: () => {
      if (!pending || !ready(m.cpu)) return -1;
      pending = false;
      return 0x20;
    },
  };
  m.exec.platform = p;
  return p;
}

test('interrupt shadow: a pending interrupt is taken only after the instruction that follows MOV SS, POP SS or STI (SDM Vol.3A §6.8.3; Vol.2 STI, MOV, POP)', () => {
  const cases: { name: string; code: number[]; ifBefore: boolean; taken: number }[] = [
    { name: 'MOV SS', code: [...movAx(0x10), 0x8e, 0xd0, 0x90, 0x90], ifBefore: true, taken: CODE + 7 },
    { name: 'POP SS', code: [0x6a, 0x10, 0x17, 0x90, 0x90], ifBefore: true, taken: CODE + 4 },
    { name: 'STI', code: [0xfb, 0x90, 0x90], ifBefore: false, taken: CODE + 2 },
  ];
  for (const c of cases) {
    const m = deliver(c.code, 0);
    handler(m, 0x20, INT_GATE, 0);
    if (c.ifBefore) m.cpu.flags |= IF;
    // Pending from the second instruction on (at the first, with IF = 1, it would be taken at once).
    onePending(m, (cpu) => cpu.ripLo !== CODE);
    const esp = m.cpu.lo[Reg.RSP] >>> 0;
    runToHlt(m);
    assert.equal(m.cpu.ripLo, HANDLER + 0x20 * 16 + 1, `${c.name}: delivered`);
    assert.equal(r32(m, esp - 12), c.taken, `${c.name}: taken after the next instruction`);
  }
});

test('RF in the pushed EFLAGS: 1 for a fault (#GP), 0 for INT n, as it was for an external interrupt (SDM Vol.3A §18.3.1.1)', () => {
  const f = deliver([...movAx(0x403), ...movDsAx], 0);
  handler(f, 13, INT_GATE, 0);
  const esp = f.cpu.lo[Reg.RSP] >>> 0;
  runToHlt(f);
  assert.equal(r32(f, esp - 4) & RF, RF, 'fault: RF = 1 in the image');
  assert.equal(f.cpu.flags & RF, 0, 'RF cleared in the handler');
  const s = deliver([0xcd, 0x30], 0);
  handler(s, 0x30, INT_GATE, 0);
  s.cpu.flags |= RF;
  runToHlt(s);
  assert.equal(r32(s, esp - 4) & RF, 0, 'INT n: RF = 0 in the image');
  const x = deliver([0x90], 0);
  handler(x, 0x20, INT_GATE, 0);
  assert.equal(deliverInterrupt(x.cpu, 0x20, true), null);
  assert.equal(r32(x, esp - 4) & RF, 0, 'external interrupt: RF as it was (0)');
});

test('interrupt to CPL 0 onto a 16-bit stack segment: ESP[31:16] do not come from the interrupted ESP (SDM Vol.2 INT n: SS:ESP ← SS0:ESP0 from the TSS)', () => {
  const m = deliver([0xcd, 0x80], 3);
  handler(m, 0x80, INT_GATE, 3);
  setGdt(m, 0x50, descriptor(0, 0xffff, 0x0093)); // 16-bit (B = 0) data, DPL 0
  m.load(TSS + 4, Uint8Array.from([0x00, 0x10, 0, 0, 0x50, 0])); // ESP0 = 1000H, SS0 = 50H
  m.cpu.lo[Reg.RSP] = 0x18000;
  runToHlt(m);
  assert.equal(m.cpu.segSel[Seg.SS], 0x50);
  assert.equal(m.cpu.lo[Reg.RSP] >>> 0, 0x1000 - 20, 'five 32-bit slots below SP0');
  assert.equal(r32(m, 0x1000 - 8), 0x18000, 'outer ESP in the frame');
});
