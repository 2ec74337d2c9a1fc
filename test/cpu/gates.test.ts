// gates.test.ts: far CALL/JMP through call gates (32-bit, 16-bit, IA-32e 64-bit), far RET to an outer level,
// and the #GP/#NP/#TS/#SS rules of CALL/JMP/RET, with the GDT and TSS built in memory. Expected values are
// from SDM Vol.3A §5.8 (call gates, Figures 5-13/5-14 stack frames) and the Operation and Protected Mode
// Exceptions sections of SDM Vol.2 CALL, JMP and RET — the host cannot execute these.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reg, Seg } from '../../emulator/cpu/state';
import { cpuMode } from '../../emulator/cpu/modes';
import {
  A_CODE32_0, CODE, HANDLER, IDT, KERNEL_STACK, SEL, TSS, USER_STACK, callFar, callFarMem64, descriptor, expectFault,
  gate, gate64, jmpFar, le16, le32, long64, movAx, movDsAx, pm32, pushImm32, r16, r32, resumeAt, runToHlt, setGdt, w16, w32,
} from './protHelpers';

const GATE = 0x40;

test('CALL through a 32-bit call gate from CPL 3 to CPL 0: TSS SS0:ESP0, 2 parameters copied in order, SS:ESP:CS:EIP frame (SDM Vol.3A §5.8.5, Figure 5-13)', () => {
  const call = callFar(GATE | 3, 0xdeadbeef); // the offset is ignored for a gate (SDM Vol.2 CALL)
  const code = [...pushImm32(0x11111111), ...pushImm32(0x22222222), ...call, 0xf4];
  const m = pm32(code, 3);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE0, 0xc, 3, 2));
  // Handler: mov ax, 10h; mov ds, ax (a DPL-0 data segment); mov ax,[esp]...; hlt
  m.load(HANDLER, Uint8Array.from([0xf4]));
  runToHlt(m);
  const cpu = m.cpu;
  const ret = CODE + 10 + call.length;
  assert.equal(cpu.ripLo, HANDLER + 1);
  assert.equal(cpu.segSel[Seg.CS], SEL.CODE0, 'CS from the gate, RPL = new CPL 0');
  assert.equal(cpu.cpl, 0);
  assert.equal(cpu.segSel[Seg.SS], 0x10, 'SS0 from the TSS');
  const esp = KERNEL_STACK - 24;
  assert.equal(cpu.lo[Reg.RSP] >>> 0, esp, 'ESP0 less SS, ESP, 2 parameters, CS, EIP');
  assert.equal(r32(m, esp), ret, 'return EIP');
  assert.equal(r32(m, esp + 4) & 0xffff, SEL.CODE3, 'caller CS');
  assert.equal(r32(m, esp + 8), 0x22222222, 'parameter 2 (last pushed) stays lowest');
  assert.equal(r32(m, esp + 12), 0x11111111, 'parameter 1');
  assert.equal(r32(m, esp + 16), USER_STACK - 8, 'caller ESP');
  assert.equal(r32(m, esp + 20) & 0xffff, SEL.DATA3, 'caller SS');
});

test('RET 8 from the gate handler back to CPL 3: caller SS:ESP restored past the parameters; DS with DPL 0 < CPL nulled, ES kept (SDM Vol.2 RET, RETURN-TO-OUTER-PRIVILEGE-LEVEL)', () => {
  const call = callFar(GATE | 3);
  const code = [...pushImm32(0x11111111), ...pushImm32(0x22222222), ...call, 0xf4];
  const m = pm32(code, 3);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE0, 0xc, 3, 2));
  // mov ax, 10h; mov ds, ax; retf 8
  m.load(HANDLER, Uint8Array.from([...movAx(0x10), ...movDsAx, 0xca, ...le16(8)]));
  runToHlt(m);
  const cpu = m.cpu;
  assert.equal(cpu.ripLo, CODE + 10 + call.length + 1, 'halted after the CALL');
  assert.equal(cpu.segSel[Seg.CS], SEL.CODE3);
  assert.equal(cpu.cpl, 3);
  assert.equal(cpu.segSel[Seg.SS], SEL.DATA3);
  assert.equal(cpu.lo[Reg.RSP] >>> 0, USER_STACK, 'ESP + 8 on the caller stack as well');
  assert.equal(cpu.segSel[Seg.DS], 0, 'DS (DPL 0) loaded with a null selector');
  assert.equal(cpu.segSel[Seg.ES], SEL.DATA3, 'ES (DPL 3) unchanged');
  // The nulled DS is unusable: a read through it is #GP(0) (SDM Vol.3A §3.4.2).
  const m2 = pm32([...pushImm32(0), ...callFar(GATE | 3), 0x8b, 0x03], 3);
  setGdt(m2, GATE, gate(HANDLER, SEL.CODE0, 0xc, 3, 1));
  m2.load(HANDLER, Uint8Array.from([...movAx(0x10), ...movDsAx, 0xca, ...le16(4)]));
  expectFault(m2, 13, 0, CODE + 5 + 7);
});

test('16-bit call gate: 16-bit SS, SP, 1 parameter word, CS, IP on the inner stack; RETF 2 (16-bit) returns (SDM Vol.3A §5.8.5, Vol.2 CALL 16-bit gate)', () => {
  const call = callFar(GATE | 3);
  const code = [0x66, 0x6a, 0x55, ...call, 0xf4]; // push word 55h
  const m = pm32(code, 3);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE16_0, 0x4, 3, 1));
  m.load(HANDLER, Uint8Array.from([0xf4, 0xca, ...le16(2)])); // hlt; retf 2 (16-bit code)
  runToHlt(m);
  const cpu = m.cpu;
  assert.equal(cpu.segSel[Seg.CS], SEL.CODE16_0);
  assert.equal(cpuMode(cpu), 'protected16');
  const sp = KERNEL_STACK - 10;
  assert.equal(cpu.lo[Reg.RSP] >>> 0, sp, 'five words on the 32-bit inner stack');
  assert.equal(r16(m, sp), (CODE + 3 + call.length) & 0xffff, 'IP');
  assert.equal(r16(m, sp + 2), SEL.CODE3, 'CS');
  assert.equal(r16(m, sp + 4), 0x55, 'parameter word');
  assert.equal(r16(m, sp + 6), USER_STACK - 2, 'SP');
  assert.equal(r16(m, sp + 8), SEL.DATA3, 'SS');
  resumeAt(m, HANDLER + 1);
  runToHlt(m);
  assert.equal(cpu.ripLo, CODE + 3 + call.length + 1);
  assert.equal(cpu.cpl, 3);
  assert.equal(cpu.lo[Reg.RSP] >>> 0, USER_STACK);
  assert.equal(cpuMode(cpu), 'protected32');
});

test('CALL through a 32-bit call gate at the same privilege pushes CS:EIP on the current stack only (SDM Vol.2 CALL, SAME-PRIVILEGE)', () => {
  const call = callFar(GATE);
  const m = pm32(call, 0);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE0, 0xc, 0, 3));
  m.load(HANDLER, Uint8Array.from([0xf4]));
  const esp0 = m.cpu.lo[Reg.RSP] >>> 0;
  runToHlt(m);
  assert.equal(m.cpu.lo[Reg.RSP] >>> 0, esp0 - 8, 'no stack switch, no parameters copied');
  assert.equal(r32(m, esp0 - 8), CODE + call.length);
  assert.equal(r32(m, esp0 - 4) & 0xffff, SEL.CODE0);
  assert.equal(m.cpu.segSel[Seg.SS], SEL.DATA0);
});

test('IA-32e: CALL through a 16-byte 64-bit call gate to CPL 0: RSP0, null SS with RPL 0, 64-bit SS:RSP:CS:RIP, no parameter copy; RETFQ back (SDM Vol.3A §5.8.6, Figure 5-14)', () => {
  const call = callFarMem64(GATE | 3);
  const m = long64([0x6a, 0x77, ...call, 0xf4], 3); // push 77h first: must not be copied
  setGdt(m, GATE, gate64(HANDLER, 0, SEL.CODE0, 0xc, 3, 5)); // a nonzero "count" field is ignored
  m.load(HANDLER, Uint8Array.from([0xf4, 0x48, 0xcb])); // hlt; retfq
  runToHlt(m);
  const cpu = m.cpu;
  assert.equal(cpu.segSel[Seg.CS], SEL.CODE0);
  assert.equal(cpuMode(cpu), 'long64');
  assert.equal(cpu.segSel[Seg.SS], 0, 'SS ← NULL selector with RPL = new CPL');
  const rsp = KERNEL_STACK - 32;
  assert.equal(cpu.lo[Reg.RSP] >>> 0, rsp);
  assert.equal(r32(m, rsp), CODE + 2 + 7, 'return RIP (after the 7-byte CALL)');
  assert.equal(r32(m, rsp + 4), 0);
  assert.equal(r32(m, rsp + 8), SEL.CODE3, 'caller CS');
  assert.equal(r32(m, rsp + 16), USER_STACK - 8, 'caller RSP');
  assert.equal(r32(m, rsp + 24), SEL.DATA3, 'caller SS');
  resumeAt(m, HANDLER + 1);
  runToHlt(m);
  assert.equal(cpu.cpl, 3);
  assert.equal(cpu.segSel[Seg.SS], SEL.DATA3);
  assert.equal(cpu.lo[Reg.RSP] >>> 0, USER_STACK - 8);
  assert.equal(cpu.ripLo, CODE + 2 + 7 + 2 + 10 + 1, 'past the jmp over the pointer, HLT');
});

test('IA-32e: a 64-bit call gate whose upper type field is not 0 is #GP(gate selector) (SDM Vol.2 CALL, IA-32e CALL-GATE checks)', () => {
  const m = long64(callFarMem64(GATE), 0);
  setGdt(m, GATE, gate64(HANDLER, 0, SEL.CODE0, 0xc, 0, 0, 0x0c));
  expectFault(m, 13, GATE, CODE);
});

test('IA-32e: a call gate to a compatibility-mode code segment is #GP(code selector) (SDM Vol.2 CALL: target must be 64-bit code)', () => {
  const m = long64(callFarMem64(GATE), 0);
  setGdt(m, 0x50, descriptor(0, 0xfffff, A_CODE32_0));
  setGdt(m, GATE, gate64(HANDLER, 0, 0x50, 0xc, 0, 0));
  expectFault(m, 13, 0x50, CODE);
});

// ---- #GP/#NP/#TS/#SS rules of CALL and JMP (SDM Vol.2 CALL/JMP, Protected Mode Exceptions) -------------

test('call gate DPL < CPL → #GP(gate selector)', () => {
  const m = pm32(callFar(GATE | 3), 3);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE0, 0xc, 0));
  expectFault(m, 13, GATE, CODE);
  assert.equal(m.cpu.cpl, 3, 'nothing changed');
  assert.equal(m.cpu.lo[Reg.RSP] >>> 0, USER_STACK);
});

test('call gate DPL < selector RPL → #GP(gate selector)', () => {
  const m = pm32(callFar(GATE | 3), 0);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE0, 0xc, 2));
  expectFault(m, 13, GATE, CODE);
});

test('call gate not present → #NP(gate selector)', () => {
  const m = pm32(callFar(GATE), 0);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE0, 0xc, 0, 0, false));
  expectFault(m, 11, GATE, CODE);
});

test('call gate with a null code-segment selector → #GP(0)', () => {
  const m = pm32(callFar(GATE), 0);
  setGdt(m, GATE, gate(HANDLER, 0, 0xc, 0));
  expectFault(m, 13, 0, CODE);
});

test('call gate code selector beyond the GDT limit → #GP(code selector)', () => {
  const m = pm32(callFar(GATE), 0);
  setGdt(m, GATE, gate(HANDLER, 0x400, 0xc, 0));
  expectFault(m, 13, 0x400, CODE);
});

test('call gate to a data segment → #GP(code selector)', () => {
  const m = pm32(callFar(GATE), 0);
  setGdt(m, GATE, gate(HANDLER, SEL.DATA0, 0xc, 0));
  expectFault(m, 13, SEL.DATA0, CODE);
});

test('call gate to code with DPL > CPL → #GP(code selector)', () => {
  const m = pm32(callFar(GATE), 0);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE3, 0xc, 0));
  expectFault(m, 13, SEL.CODE3 & 0xfffc, CODE);
});

test('call gate to a code segment that is not present → #NP(code selector)', () => {
  const m = pm32(callFar(GATE), 0);
  setGdt(m, 0x50, descriptor(0, 0xfffff, A_CODE32_0 & ~0x80));
  setGdt(m, GATE, gate(HANDLER, 0x50, 0xc, 0));
  expectFault(m, 11, 0x50, CODE);
});

test('call gate offset beyond the code segment limit → #GP(0)', () => {
  const m = pm32(callFar(GATE), 0);
  setGdt(m, GATE, gate(0x12345, SEL.CODE16_0, 0xc, 0));
  expectFault(m, 13, 0, CODE);
});

test('more privilege: SS0 in the TSS null → #TS(0) (EXT = 0 for CALL)', () => {
  const m = pm32(callFar(GATE | 3), 3);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE0, 0xc, 3));
  w16(m, TSS + 8, 0);
  expectFault(m, 10, 0, CODE);
  assert.equal(m.cpu.cpl, 3);
});

test('more privilege: SS0 RPL ≠ code DPL → #TS(SS selector)', () => {
  const m = pm32(callFar(GATE | 3), 3);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE0, 0xc, 3));
  w16(m, TSS + 8, SEL.DATA0 | 1);
  expectFault(m, 10, SEL.DATA0, CODE);
});

test('more privilege: SS0 a DPL-3 data segment → #TS(SS selector)', () => {
  const m = pm32(callFar(GATE | 3), 3);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE0, 0xc, 3));
  w16(m, TSS + 8, SEL.DATA3 & 0xfffc);
  expectFault(m, 10, SEL.DATA3 & 0xfffc, CODE);
});

test('more privilege: SS0 a code segment (not writable data) → #TS(SS selector)', () => {
  const m = pm32(callFar(GATE | 3), 3);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE0, 0xc, 3));
  w16(m, TSS + 8, SEL.CODE0);
  expectFault(m, 10, SEL.CODE0, CODE);
});

test('more privilege: SS0 beyond the GDT limit → #TS(SS selector)', () => {
  const m = pm32(callFar(GATE | 3), 3);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE0, 0xc, 3));
  w16(m, TSS + 8, 0x800);
  expectFault(m, 10, 0x800, CODE);
});

test('more privilege: SS0 not present → #SS(SS selector)', () => {
  const m = pm32(callFar(GATE | 3), 3);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE0, 0xc, 3));
  setGdt(m, 0x50, descriptor(0, 0xfffff, 0xc013));
  w16(m, TSS + 8, 0x50);
  expectFault(m, 12, 0x50, CODE);
});

test('more privilege: no room on the new stack for parameters and 16 bytes → #SS(SS selector)', () => {
  const m = pm32(callFar(GATE | 3), 3);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE0, 0xc, 3, 1));
  setGdt(m, 0x50, descriptor(0, 0xfff, 0x4093)); // byte-granular limit FFFH
  w16(m, TSS + 8, 0x50);
  w32(m, TSS + 4, 16); // room for 16 bytes, 20 needed
  expectFault(m, 12, 0x50, CODE);
  assert.equal(m.cpu.segSel[Seg.SS], SEL.DATA3, 'SS unchanged');
});

test('more privilege: TSS too small to hold SS0:ESP0 → #TS(TSS selector) (SDM Vol.2 CALL: "TSS limit")', () => {
  const m = pm32(callFar(GATE | 3), 3);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE0, 0xc, 3));
  m.cpu.segLimit[Seg.TR] = 8; // SS0 lies at 8..9
  expectFault(m, 10, SEL.TSS, CODE);
});

test('JMP through a call gate to a non-conforming segment of another privilege → #GP(code selector) (SDM Vol.2 JMP, CALL-GATE)', () => {
  const m = pm32(jmpFar(GATE | 3), 3);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE0, 0xc, 3));
  expectFault(m, 13, SEL.CODE0, CODE);
});

test('JMP through a call gate at the same privilege: no stack change, nothing pushed (SDM Vol.2 JMP)', () => {
  const m = pm32(jmpFar(GATE | 3), 3);
  setGdt(m, GATE, gate(HANDLER, SEL.CODE3, 0xc, 3));
  m.load(HANDLER, Uint8Array.from([0xf4]));
  runToHlt(m);
  assert.equal(m.cpu.segSel[Seg.CS], SEL.CODE3);
  assert.equal(m.cpu.lo[Reg.RSP] >>> 0, USER_STACK);
});

test('direct far CALL/JMP: null → #GP(0); beyond the GDT → #GP(sel); data segment → #GP(sel) (SDM Vol.2 CALL/JMP)', () => {
  expectFault(pm32(callFar(0), 0), 13, 0, CODE);
  expectFault(pm32(jmpFar(0x3), 0), 13, 0, CODE);
  expectFault(pm32(callFar(0x808), 0), 13, 0x808, CODE);
  expectFault(pm32(jmpFar(SEL.DATA0), 0), 13, SEL.DATA0, CODE);
});

test('direct far CALL to non-conforming code: DPL ≠ CPL or RPL > CPL → #GP(sel); not present → #NP(sel) (SDM Vol.2 CALL NONCONFORMING-CODE-SEGMENT)', () => {
  expectFault(pm32(callFar(SEL.CODE0), 3), 13, SEL.CODE0, CODE);
  expectFault(pm32(callFar(SEL.CODE3 & 0xfffc), 0), 13, SEL.CODE3 & 0xfffc, CODE);
  expectFault(pm32(callFar(SEL.CODE0 | 3), 0), 13, SEL.CODE0, CODE);
  const m = pm32(callFar(0x50), 0);
  setGdt(m, 0x50, descriptor(0, 0xfffff, A_CODE32_0 & ~0x80));
  expectFault(m, 11, 0x50, CODE);
});

test('direct far JMP to conforming code: DPL > CPL → #GP(sel); DPL < CPL jumps keeping CPL (SDM Vol.2 JMP CONFORMING-CODE-SEGMENT)', () => {
  const m = pm32(jmpFar(0x50), 0);
  setGdt(m, 0x50, descriptor(0, 0xfffff, 0xc0ff)); // conforming, DPL 3
  expectFault(m, 13, 0x50, CODE);
  const m3 = pm32(jmpFar(0x58, HANDLER), 3);
  setGdt(m3, 0x58, descriptor(0, 0xfffff, 0xc09f)); // conforming, DPL 0
  m3.load(HANDLER, Uint8Array.from([0xf4]));
  runToHlt(m3);
  assert.equal(m3.cpu.segSel[Seg.CS], 0x5b, 'CS.RPL ← CPL');
  assert.equal(m3.cpu.cpl, 3);
});

test('direct far CALL with EIP beyond the code limit → #GP(0); with no room for CS:EIP → #SS(0) (SDM Vol.2 CALL)', () => {
  expectFault(pm32(callFar(SEL.CODE16_0, 0x10000), 0), 13, 0, CODE);
  const m = pm32(callFar(SEL.CODE0, HANDLER), 0);
  setGdt(m, 0x50, descriptor(0, 0xfff, 0x4093));
  m.cpu.segSel[Seg.SS] = 0x50; m.cpu.segLimit[Seg.SS] = 0xfff; m.cpu.segAttr[Seg.SS] = 0x4093;
  m.cpu.lo[Reg.RSP] = 4;
  m.stateChanged();
  expectFault(m, 12, 0, CODE);
});

// ---- Far RET checks (SDM Vol.2 RET, Protected Mode Exceptions) -----------------------------------------

/** CPL-0 code that pushes SS, ESP, CS, EIP (32-bit) and executes RETF. */
function retfFrame(ss: number, esp: number, cs: number, eip: number): number[] {
  return [...pushImm32(ss), ...pushImm32(esp), ...pushImm32(cs), ...pushImm32(eip), 0xcb];
}

test('RET: return CS RPL < CPL → #GP(CS selector)', () => {
  const m = pm32([...pushImm32(SEL.CODE0), ...pushImm32(HANDLER), 0xcb], 3);
  expectFault(m, 13, SEL.CODE0, CODE + 10);
});

test('RET: return CS null → #GP(0); return CS not present → #NP(selector)', () => {
  expectFault(pm32([...pushImm32(0), ...pushImm32(HANDLER), 0xcb], 0), 13, 0, CODE + 10);
  const m = pm32([...pushImm32(0x50), ...pushImm32(HANDLER), 0xcb], 0);
  setGdt(m, 0x50, descriptor(0, 0xfffff, A_CODE32_0 & ~0x80));
  expectFault(m, 11, 0x50, CODE + 10);
});

test('RET to CPL 3: SS RPL ≠ return CS RPL → #GP(SS selector); SS not present → #SS(SS selector); SS null → #GP(0)', () => {
  expectFault(pm32(retfFrame(SEL.DATA0, USER_STACK, SEL.CODE3, HANDLER), 0), 13, SEL.DATA0, CODE + 20);
  const m = pm32(retfFrame(0x53, USER_STACK, SEL.CODE3, HANDLER), 0);
  setGdt(m, 0x50, descriptor(0, 0xfffff, 0xc073)); // DPL 3 writable data, P = 0
  expectFault(m, 12, 0x50, CODE + 20);
  expectFault(pm32(retfFrame(0, USER_STACK, SEL.CODE3, HANDLER), 0), 13, 0, CODE + 20);
});

test('RET to CPL 3 succeeds with a proper frame: CS, SS, ESP, CPL 3 (SDM Vol.2 RET)', () => {
  const m = pm32(retfFrame(SEL.DATA3, USER_STACK - 4, SEL.CODE3, HANDLER), 0);
  m.load(HANDLER, Uint8Array.from([0xf4]));
  runToHlt(m);
  assert.equal(m.cpu.cpl, 3);
  assert.equal(m.cpu.segSel[Seg.SS], SEL.DATA3);
  assert.equal(m.cpu.lo[Reg.RSP] >>> 0, USER_STACK - 4);
  assert.equal(m.cpu.segSel[Seg.DS], 0, 'DS had DPL 0');
});

test('IA-32e: INT 80h from 64-bit CPL 3 through a DPL-3 64-bit interrupt gate: RSP0 aligned to 16, null SS (RPL 0), 64-bit SS:RSP:RFLAGS:CS:RIP; IRETQ back (SDM Vol.3A §6.14.2–6.14.4; Vol.2 IRET IA-32e)', () => {
  const m = long64([0xcd, 0x80, 0xf4], 3);
  const at = HANDLER + 0x100;
  m.load(at, Uint8Array.from([0xf4, 0x48, 0xcf])); // hlt; iretq
  m.load(IDT + 0x80 * 16, Uint8Array.from(gate64(at, 0, SEL.CODE0, 0xe, 3)));
  w32(m, TSS + 4, KERNEL_STACK + 8); // RSP0 not 16-byte aligned
  const cpu = m.cpu;
  cpu.flags |= 0x200;
  runToHlt(m);
  assert.equal(cpu.ripLo, at + 1);
  assert.equal(cpu.cpl, 0);
  assert.equal(cpu.segSel[Seg.SS], 0);
  const rsp = KERNEL_STACK - 40;
  assert.equal(cpu.lo[Reg.RSP] >>> 0, rsp);
  assert.equal(r32(m, rsp), CODE + 2, 'RIP');
  assert.equal(r32(m, rsp + 8), SEL.CODE3, 'CS');
  assert.equal(r32(m, rsp + 16) & 0x200, 0x200, 'RFLAGS');
  assert.equal(r32(m, rsp + 24), USER_STACK, 'RSP');
  assert.equal(r32(m, rsp + 32), SEL.DATA3, 'SS');
  assert.equal(cpu.flags & 0x200, 0);
  resumeAt(m, at + 1);
  runToHlt(m);
  assert.equal(cpu.ripLo, CODE + 3);
  assert.equal(cpu.cpl, 3);
  assert.equal(cpu.segSel[Seg.SS], SEL.DATA3);
  assert.equal(cpu.lo[Reg.RSP] >>> 0, USER_STACK);
  assert.equal(cpu.flags & 0x200, 0x200);
});

test('IA-32e: 32-bit RETF from 64-bit CPL 0 to compatibility-mode CPL 3 pops EIP, CS, ESP, SS as dwords (SDM Vol.2 RET, IA-32e RETURN-TO-OUTER-PRIVILEGE-LEVEL)', () => {
  // push 23h; push USER_STACK; push 3Bh; push CODE + 40h → 4 qwords; the 32-bit RETF reads dwords, so
  // build the dword frame with mov dword [rsp+n] instead: sub rsp, 16; mov [rsp], …; retf
  const m = long64([0x48, 0x83, 0xec, 0x10,
    0xc7, 0x04, 0x24, ...le32(CODE + 0x40), 0xc7, 0x44, 0x24, 0x04, ...le32(0x3b),
    0xc7, 0x44, 0x24, 0x08, ...le32(USER_STACK - 4), 0xc7, 0x44, 0x24, 0x0c, ...le32(SEL.DATA3), 0xcb], 0);
  m.load(CODE + 0x40, Uint8Array.from([0xf4]));
  runToHlt(m);
  const cpu = m.cpu;
  assert.equal(cpuMode(cpu), 'compat32');
  assert.equal(cpu.cpl, 3);
  assert.equal(cpu.segSel[Seg.CS], 0x3b);
  assert.equal(cpu.segSel[Seg.SS], SEL.DATA3);
  assert.equal(cpu.lo[Reg.RSP] >>> 0, USER_STACK - 4);
  assert.equal(cpu.ripLo, CODE + 0x41);
});
