// callStack.test.ts: the call trace (emulator/debug/callTrace.ts) and the shadow call stack built from it
// (emulator/debug/callStack.ts). Expected return addresses, targets and stack tops follow the SDM's
// definitions of what each transfer saves — Vol.2 CALL (near: the next instruction's offset is pushed;
// far: CS then the offset), INT n (real mode: FLAGS, CS, IP; IA-32e: SS, RSP, RFLAGS, CS, RIP), Vol.3A
// §6.5 (a fault saves the address of the faulting instruction) — and the assembler's labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallEvent, CallKind, CallTraceListener } from '../../emulator/debug/callTrace';
import { CallStack, MAX_DEPTH } from '../../emulator/debug/callStack';
import { Reg } from '../../emulator/cpu/state';
import { realGuest } from '../machine/support';
import { guest64, rip, run, StopReason, Guest } from './support';

interface Seen { kind: CallKind; rip: number; target: number; ret: number; stack: number; vector: number; from: number }

/** Records every event (copied: the event object is reused) and feeds a CallStack. */
function trace(g: Guest): { events: Seen[]; stack: CallStack } {
  const events: Seen[] = [];
  const stack = new CallStack();
  const listener: CallTraceListener = {
    transfer(e: CallEvent): void {
      events.push({ kind: e.kind, rip: e.ripLo >>> 0, target: e.targetLo >>> 0, ret: e.returnLo >>> 0, stack: e.stackLo >>> 0, vector: e.vector, from: e.fromCodeSize });
      stack.transfer(e);
    },
  };
  g.m.traceCalls(listener);
  return { events, stack };
}

/** Runs to the execution breakpoint at label `at`. */
function runTo(g: Guest, at: string): void {
  g.m.exec.addBreakpoint(g.sym(at), 0);
  assert.equal(run(g), StopReason.Breakpoint);
  assert.equal(rip(g), g.sym(at));
  g.m.exec.removeBreakpoint(g.sym(at), 0);
}

test('nested near calls and returns: frames with return address, target and RSP after the push', () => {
  const g = guest64(`
main:
c1: call f
r1: hlt
f:
c2: call g
r2: ret
g:
inner: nop
  ret
`);
  const { events, stack } = trace(g);
  runTo(g, 'inner');
  assert.deepEqual(events.map((e) => [e.kind, e.rip, e.target, e.ret, e.stack]), [
    [CallKind.Call, g.sym('c1'), g.sym('f'), g.sym('r1'), 0x80000 - 8],
    [CallKind.Call, g.sym('c2'), g.sym('g'), g.sym('r2'), 0x80000 - 16],
  ]);
  const frames = stack.get();
  assert.equal(frames.length, 2);
  assert.equal(frames[0].kind, 'call');
  assert.equal(frames[0].targetLo, g.sym('g'));
  assert.equal(frames[0].returnLo, g.sym('r2'));
  assert.equal(frames[0].codeSize, 64);
  assert.equal(frames[1].returnLo, g.sym('r1'));
  assert.equal(run(g), StopReason.Halt);
  assert.equal(stack.depth, 0);
  assert.deepEqual(events.slice(2).map((e) => [e.kind, e.target, e.stack]), [
    [CallKind.Ret, g.sym('r2'), 0x80000 - 8],
    [CallKind.Ret, g.sym('r1'), 0x80000],
  ]);
});

test('a routine that drops its return address and jumps back is unwound by the next RET above it', () => {
  const g = guest64(`
main:
  call outer
done: hlt
outer:
  call leaf
  ret
leaf:
  add $8, %rsp
  jmp back
back:
  ret
`);
  const { stack } = trace(g);
  // leaf never returns: outer's RET (RSP above leaf's frame) pops both frames.
  assert.equal(run(g), StopReason.Halt);
  assert.equal(rip(g), g.sym('done') + 1);
  assert.equal(stack.depth, 0);
});

test('real mode INT n / IRET: interrupt frame with FLAGS, CS, IP pushed (SP − 6), popped by IRET', () => {
  const g = realGuest(`
  xor %ax, %ax
int_at: int $0x30
back: hlt
handler:
  call sub
ret_h: iret
sub:
inner: ret
`);
  // IVT entry 0x30 → 0:handler (SDM Vol.3A §21.1.4: 4-byte entries at vector × 4).
  g.m.phys.writeBytes(0x30 * 4, Uint8Array.of(g.sym('handler') & 0xff, g.sym('handler') >> 8, 0, 0));
  g.m.mem.flush();
  const { events, stack } = trace(g);
  runTo(g, 'inner');
  const frames = stack.get();
  assert.deepEqual(frames.map((f) => [f.kind, f.returnLo, f.stackLo, f.vector, f.codeSize]), [
    ['call', g.sym('ret_h'), 0x7000 - 8, -1, 16],
    ['interrupt', g.sym('back'), 0x7000 - 6, 0x30, 16],
  ]);
  assert.equal(events[0].kind, CallKind.SoftwareInterrupt);
  assert.equal(events[0].target, g.sym('handler'));
  assert.equal(run(g), StopReason.Halt);
  assert.equal(rip(g), g.sym('back') + 1);
  assert.equal(stack.depth, 0);
  assert.equal(events.at(-1)?.kind, CallKind.Iret);
});

test('long mode: INT n and an exception (#UD saves the faulting RIP, SDM Vol.3A §6.5) with IRETQ', () => {
  const g = guest64(`
  int $0x80
after_int:
ud_at: ud2
after_ud: hlt
sys:
sys_in: nop
  iretq
ud:
ud_in: addq $2, (%rsp)
  iretq
`, { 0x80: 'sys', 6: 'ud' });
  const { events, stack } = trace(g);
  runTo(g, 'sys_in');
  assert.deepEqual(stack.get().map((f) => [f.kind, f.vector, f.returnLo, f.targetLo, f.stackLo]), [
    // 64-bit frame: SS, RSP, RFLAGS, CS, RIP (5 qwords) on the 16-byte aligned stack (SDM Vol.3A §6.14.2).
    ['interrupt', 0x80, g.sym('after_int'), g.sym('sys'), 0x80000 - 40],
  ]);
  runTo(g, 'ud_in');
  assert.deepEqual(stack.get().map((f) => [f.kind, f.vector, f.returnLo, f.callerLo]), [
    ['exception', 6, g.sym('ud_at'), g.sym('ud_at')],
  ]);
  // The handler skips the UD2: IRETQ returns elsewhere than saved, and still pops the exception frame.
  assert.equal(run(g), StopReason.Halt);
  assert.equal(rip(g), g.sym('after_ud') + 1);
  assert.equal(stack.depth, 0);
  assert.deepEqual(events.filter((e) => e.kind === CallKind.Iret).map((e) => e.target), [g.sym('after_int'), g.sym('after_ud')]);
});

test('far call from compatibility mode into 64-bit code, LRET back, and an LRETQ used as a mode-switch jump', () => {
  const g = guest64(`
main:
  call f
done: hlt
f:
  pushq $0x20
  pushq $compat
  lretq
.code32
compat:
lcall_at: lcall $0x10, $far64
back32:
  pushl $0x10
  pushl $ret64
  lret
.code64
far64:
far_in: nop
  lretl
ret64:
  ret
`);
  // A 32-bit code segment at selector 0x20 (D = 1, L = 0), beside longGuest's 64-bit CS 0x10.
  g.m.phys.writeBytes(0x500 + 0x20, Uint8Array.of(0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0));
  g.m.cpu.gdtrLimit = 0x27;
  g.m.mem.flush();
  const { events, stack } = trace(g);
  runTo(g, 'far_in');
  assert.deepEqual(stack.get().map((f) => [f.kind, f.codeSize, f.returnCs, f.returnLo, f.stackLo]), [
    // Far CALL with a 32-bit operand size pushes CS and EIP as two dwords (SDM Vol.2 CALL).
    ['farCall', 32, 0x20, g.sym('back32'), 0x80000 - 8 - 8],
    ['call', 64, 0x10, g.sym('done'), 0x80000 - 8],
  ]);
  assert.equal(events[1].kind, CallKind.FarRet); // the LRETQ into compatibility mode: a jump, no frame popped
  assert.equal(run(g), StopReason.Halt);
  assert.equal(rip(g), g.sym('done') + 1);
  assert.equal(stack.depth, 0);
  assert.deepEqual(events.map((e) => [e.kind, e.from]), [
    [CallKind.Call, 64], [CallKind.FarRet, 64], [CallKind.FarCall, 32], [CallKind.FarRet, 64], [CallKind.FarRet, 32], [CallKind.Ret, 64],
  ]);
});

test(`the shadow stack keeps the newest ${MAX_DEPTH} frames of a deep recursion and empties on return`, () => {
  const g = guest64(`
  mov $2000, %ecx
  call rec
done: hlt
rec:
  dec %ecx
  jz bottom
  call rec
  ret
bottom:
  nop
  ret
`);
  const { stack } = trace(g);
  runTo(g, 'bottom');
  assert.equal(g.m.cpu.lo[Reg.RCX], 0);
  assert.equal(stack.depth, MAX_DEPTH);
  assert.equal(stack.dropped, 2000 - MAX_DEPTH);
  assert.equal(stack.get()[0].stackLo, 0x80000 - 8 * 2000);
  assert.equal(run(g), StopReason.Halt);
  assert.equal(stack.depth, 0);
  g.m.traceCalls(null);
  assert.equal(g.m.cpu.calls, null);
});

test('SYSCALL / SYSRET: a syscall frame saving the next RIP (RCX, SDM Vol.2B SYSCALL), popped by SYSRETQ', () => {
  const g = guest64(`
sc_at: syscall
after_sc: nop
  hlt
entry:
  call kfunc
ret_k: sysretq
kfunc:
k_in: ret
`);
  const cpu = g.m.cpu;
  cpu.efer |= 1; // EFER.SCE
  cpu.starHi = (0x18 << 16) | 0x10; // SYSCALL CS = 0x10; SYSRET CS = 0x18 + 16 | 3
  cpu.lstarLo = g.sym('entry');
  const { events, stack } = trace(g);
  runTo(g, 'k_in');
  assert.deepEqual(stack.get().map((f) => [f.kind, f.returnLo, f.callerLo, f.targetLo]), [
    ['call', g.sym('ret_k'), g.sym('entry'), g.sym('kfunc')],
    ['syscall', g.sym('after_sc'), g.sym('sc_at'), g.sym('entry')],
  ]);
  runTo(g, 'after_sc');
  assert.equal(stack.depth, 0);
  assert.deepEqual(events.map((e) => e.kind), [CallKind.Syscall, CallKind.Call, CallKind.Ret, CallKind.Sysret]);
});

