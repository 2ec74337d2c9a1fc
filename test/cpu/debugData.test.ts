// debugData.test.ts: the guest's DR7 data and I/O breakpoints (emulator/cpu/debugRegs.ts) on the SDM rules
// the QEMU cross-check (test/boot/debugdata.S, debugio.S) cannot show, because QEMU 7.2 deviates or cannot
// be observed there: the LENn masking of unaligned addresses (SDM Vol.3B §17.2.5), MOV SS holding the
// trap (Vol.3A §6.8.3), a faulting instruction reporting nothing (§17.3.1.2: the trap follows the
// completed instruction), one #DB for single-step and data conditions (§17.3), REP INS iterations
// (§17.3.1.2), and that the MMU hook exists only while DR7 enables a data breakpoint. The guest runs with
// stopOnException, so each #DB stops the run before delivery with DR6 as the processor wrote it.
// Expected addresses are the assembler's labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reg } from '../../emulator/cpu/state';
import { Vector } from '../../emulator/cpu/fault';
import { GuestBreakpoints } from '../../emulator/cpu/debugRegs';
import { Watchpoints, WatchPair } from '../../emulator/debug/watchpoints';
import { guest64, page, rip, run, StopReason, Guest } from '../debug/support';

/** DR7 bits for breakpoint n (§17.2.4): L (or G), R/W, LEN; bit 10 reads 1. */
function dr7(...bps: { n: number; rw: number; len: number; g?: boolean }[]): number {
  let v = 0x400;
  for (const b of bps) v |= (b.g ? 2 : 1) << (2 * b.n) | b.rw << (16 + 4 * b.n) | b.len << (18 + 4 * b.n);
  return v >>> 0;
}
const W = 1, IO = 2, RW = 3;
const CR4_DE = 1 << 3;
const LEN1 = 0, LEN2 = 1, LEN8 = 2, LEN4 = 3;

const DATA = `
  .org 0x3000
data: .quad 0, 0
sel: .word 0x18
`;

/** Guest code that loads DRn with `addr` and DR7 with `ctl`. */
function setDr(n: number, addr: string, ctl: number): string {
  return `mov $${addr}, %rax\nmov %rax, %dr${n}\nmov $${ctl}, %rax\nmov %rax, %dr7\n`;
}

/** A 64-bit guest (test/debug/support.ts) with CR4.DE = 1, stopping at exceptions. */
function guest(src: string): Guest {
  const g = guest64(src + DATA);
  g.m.cpu.cr4 |= CR4_DE; // set by the host: that guest runs IA-32e mode without CR4.PAE, which MOV to CR4 refuses
  g.m.exec.stopOnException = true;
  return g;
}

/** Runs to the next exception, which must be `vector`; returns RIP and DR6. */
function next(g: Guest, vector: number = Vector.DB): { rip: number; dr6: number } {
  assert.equal(run(g), StopReason.Exception);
  assert.equal(g.m.exec.lastException?.vector, vector, g.m.exec.lastException?.detail);
  return { rip: rip(g), dr6: g.m.cpu.drLo[6] >>> 0 };
}

test('§17.2.5: an unaligned DR0 with LEN = 11b covers the aligned dword holding it', () => {
  const g = guest(`${setDr(0, 'data+1', dr7({ n: 0, rw: W, len: LEN4 }))}
  movb $1, data+4
  movb $1, data
after: hlt
`);
  const t = next(g);
  assert.equal(t.rip, g.sym('after'));
  assert.equal(t.dr6 & 0xf, 1);
  assert.equal(run(g), StopReason.Halt);
});

test('§17.2.4: LEN = 10b is 8 bytes (64-bit mode), masked to a quadword; R/W = 11b traps on reads', () => {
  const g = guest(`${setDr(2, 'data+3', dr7({ n: 2, rw: RW, len: LEN8, g: true }))}
  movb data+8, %al
  movb data+7, %al
after: hlt
`);
  const t = next(g);
  assert.equal(t.rip, g.sym('after'));
  assert.equal(t.dr6 & 0xf, 4);
});

test('§17.2.4: R/W = 01b ignores reads; R/W = 11b ignores instruction fetches of its bytes', () => {
  const g = guest(`${setDr(0, 'data', dr7({ n: 0, rw: W, len: LEN4 }, { n: 1, rw: RW, len: LEN1 }))}
  mov $code, %rax
  mov %rax, %dr1
  movl data, %eax
code: nop
  hlt
`);
  assert.equal(run(g), StopReason.Halt);
});

test('§17.2.5: an I/O breakpoint at port 0x81 with LEN = 01b covers ports 0x80-0x81 (CR4.DE = 1)', () => {
  const g = guest(`${setDr(0, '0x81', dr7({ n: 0, rw: IO, len: LEN2 }))}
  out %al, $0x82
  out %al, $0x80
after: hlt
`);
  const t = next(g);
  assert.equal(t.rip, g.sym('after'));
  assert.equal(t.dr6 & 0xf, 1);
});

test('§17.3.1.2: REP INSB with an I/O breakpoint traps after each iteration, RCX counting them', () => {
  const g = guest(`${setDr(3, '0x80', dr7({ n: 3, rw: IO, len: LEN1 }))}
  mov $0x80, %dx
  mov $data, %edi
  mov $2, %ecx
rep_at: rep insb
after: hlt
`);
  let t = next(g);
  assert.equal(t.rip, g.sym('rep_at'));
  assert.equal(t.dr6 & 0xf, 8);
  assert.equal(g.m.cpu.lo[Reg.RCX], 1);
  assert.equal(g.m.cpu.lo[Reg.RDI], g.sym('data') + 1);
  t = next(g);
  assert.equal(t.rip, g.sym('after'));
  assert.equal(g.m.cpu.lo[Reg.RCX], 0);
});

test('§17.3.1.2: an instruction that faults after meeting a data breakpoint reports none (it did not complete)', () => {
  const g = guest(`${setDr(0, 'data', dr7({ n: 0, rw: RW, len: LEN1 }))}
  mov $data, %esi
  mov $0x400000, %edi
  movsb
  hlt
`);
  page(g); // 0x400000 is not mapped: MOVSB reads the watched byte, then its write faults
  const t = next(g, Vector.PF);
  assert.equal(t.dr6 & 0xf, 0);
});

test('Vol.3A §6.8.3: the data breakpoint of MOV SS traps after the next instruction', () => {
  const g = guest(`${setDr(0, 'sel', dr7({ n: 0, rw: RW, len: LEN2 }))}
  mov sel, %ss
  nop
after: hlt
`);
  const t = next(g);
  assert.equal(t.rip, g.sym('after'));
  assert.equal(t.dr6 & 0xf, 1);
});

test('§17.3: single-step and a data breakpoint met by one instruction: one #DB with BS and B0', () => {
  const g = guest(`${setDr(0, 'data', dr7({ n: 0, rw: W, len: LEN4 }))}
  pushfq
  orq $0x100, (%rsp)
  popfq
  movl $1, data
after: hlt
`);
  const t = next(g);
  assert.equal(t.rip, g.sym('after'));
  assert.equal(t.dr6 & 0x400f, 0x4001);
});

test('§17.3.1.4: single-stepping REP STOSB with RCX = 0 traps once, past it', () => {
  const g = guest(`  xor %ecx, %ecx
  mov $data, %edi
  pushfq
  orq $0x100, (%rsp)
  popfq
  rep stosb
after: hlt
`);
  assert.equal(next(g).rip, g.sym('after'));
});

test('§17.3.1.3: with DR7.GD, MOV to DR0 faults before it runs (DR6.BD) and GD is cleared', () => {
  const g = guest(`  mov $0x2400, %rax
  mov %rax, %dr7
  mov $0x1234, %rax
at: mov %rax, %dr0
  hlt
`);
  const t = next(g);
  assert.equal(t.rip, g.sym('at'));
  assert.equal(t.dr6 & 0x2000, 0x2000);
  assert.equal(g.m.cpu.drLo[7] & 0x2000, 0);
  assert.equal(g.m.cpu.drLo[0], 0);
  assert.equal(run(g), StopReason.Halt);
  assert.equal(g.m.cpu.drLo[0], 0x1234);
});

test('a breakpoint set on a page the TLB already holds still traps (the TLB is refilled)', () => {
  const g = guest(`  movl $1, data
${setDr(1, 'data', dr7({ n: 1, rw: W, len: LEN4 }))}
  movl $2, data
after: hlt
`);
  const t = next(g);
  assert.equal(t.rip, g.sym('after'));
  assert.equal(t.dr6 & 0xf, 2);
});

test('zero cost: the MMU holds a hook only while DR7 enables a data breakpoint; the debugger\'s watchpoints pair with it', () => {
  const g = guest(`${setDr(0, 'data', dr7({ n: 0, rw: W, len: LEN4 }))}
on: nop
${setDr(1, 'data', dr7({ n: 1, rw: 0, len: LEN1 }))}
off: hlt
`);
  const mem = g.m.mem;
  const hook = (): unknown => mem.hook; // read afresh each time (assert.equal would narrow mem.hook to null)
  assert.equal(hook(), null);
  g.m.exec.addBreakpoint(g.sym('on'), 0);
  assert.equal(run(g), StopReason.Breakpoint);
  assert.ok(hook() instanceof GuestBreakpoints);
  const id = g.m.watch.add({ space: 'linear', address: g.sym('data') + 8, length: 1, access: 'write' });
  assert.ok(hook() instanceof WatchPair);
  g.m.watch.remove(id);
  assert.ok(hook() instanceof GuestBreakpoints);
  assert.equal(run(g), StopReason.Halt);
  assert.equal(hook(), null); // an instruction breakpoint alone needs no hook
  assert.ok(g.m.watch instanceof Watchpoints);
});

test('the debugger\'s watchpoint stops REP STOSB after the very iteration that wrote it (§17.3.1.2)', () => {
  const g = guest64(`  mov $0x20000, %edi
  mov $100, %ecx
  mov $0xab, %al
rep_at: rep stosb
after: hlt
`);
  g.m.watch.add({ space: 'linear', address: 0x20000 + 50, length: 1, access: 'write' });
  assert.equal(run(g), StopReason.Watchpoint);
  assert.equal(rip(g), g.sym('rep_at'));
  assert.equal(g.m.cpu.lo[Reg.RCX], 49);
  assert.equal(g.m.cpu.lo[Reg.RDI], 0x20000 + 51);
  assert.equal(run(g), StopReason.Halt);
});

// A REP STOSB of 3·MAX_ITER bytes runs in chunks (exec/string.ts yields between them); the instruction has
// started once, so a DR0 instruction breakpoint on it is recognised once (SDM Vol.3B §17.2.4: instruction
// breakpoints are checked before the instruction starts), and so is the debugger's breakpoint.
const REP_LONG = `
  lea data+0x1000(%rip), %rdi
  mov $${3 * 0x4000}, %ecx
  xor %eax, %eax
rep: rep stosb
after: hlt
`;

test('§17.2.4: a DR0 instruction breakpoint on a long REP STOSB is met once, not at each chunk', () => {
  const g = guest(`${setDr(0, 'rep', dr7({ n: 0, rw: 0, len: LEN1 }))}${REP_LONG}`);
  const t = next(g);
  assert.equal(t.rip, g.sym('rep'), 'the fault-class #DB before the REP starts');
  assert.equal(t.dr6 & 0xf, 1, 'B0');
  // Deliver nothing: let the REP run with RF set, as a handler's IRET would leave it (§17.3.1.1).
  g.m.cpu.flags |= 1 << 16;
  g.m.exec.stopOnException = true;
  assert.equal(run(g), StopReason.Halt, `stopped by ${g.m.lastStop.reason} ${g.m.lastStop.detail}`);
  assert.equal(rip(g), g.sym('after') + 1);
  assert.equal(g.m.cpu.lo[Reg.RCX], 0);
});

test('the debugger\'s breakpoint on a long REP STOSB stops once, before it starts', () => {
  const g = guest(REP_LONG);
  g.m.exec.addBreakpoint(g.sym('rep'), 0);
  assert.equal(run(g), StopReason.Breakpoint);
  assert.equal(rip(g), g.sym('rep'));
  assert.equal(g.m.cpu.lo[Reg.RCX], 3 * 0x4000);
  assert.equal(run(g), StopReason.Halt, `stopped again by ${g.m.lastStop.reason} with RCX ${g.m.cpu.lo[Reg.RCX]}`);
  assert.equal(g.m.cpu.lo[Reg.RCX], 0);
});
