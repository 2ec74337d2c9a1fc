// interrupts.test.ts: external interrupts through the machine's run loop in real mode — PIT counter 0
// ticks through the 8259 and the IVT, the STI shadow, HLT waking on the timer (virtual time skipping
// ahead), HLT with IF=0, NMI blocking, the exit port, and determinism.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StopReason } from '../../emulator/cpu/step';
import { PIT_HZ, VIRTUAL_HZ, icountAtTick } from '../../emulator/devices/time';
import { realGuest } from './support';

/** PIT counter 0 in mode 2 (rate generator) with `count`: control word 34h (Intel 8254 datasheet, "Control Word Format"). */
const PIT = (count: number) => `
        mov $0x34, %al
        out %al, $0x43
        mov $${count & 0xff}, %al
        out %al, $0x40
        mov $${count >> 8}, %al
        out %al, $0x40`;

/** IVT entry for vector 8 (IRQ 0 after the BIOS's ICW2 = 08h) → `irq0` (SDM Vol.3A §21.1.4: 4-byte entries at 0). */
const IVT8 = `
        movw $irq0, 0x20
        movw $0, 0x22`;

/** The IRQ 0 handler: count, non-specific EOI to the master 8259 (OCW2 20h, 8259A datasheet), IRET. */
const HANDLER = `
irq0:   incw ticks
        push %ax
        mov $0x20, %al
        out %al, $0x20
        pop %ax
        iret
ticks:  .word 0`;

const TICK = 100; // PIT clocks per period
const PERIOD = (TICK * VIRTUAL_HZ) / PIT_HZ; // instructions per period (≈ 8381)

const TICKER = `
        cli
${IVT8}
${PIT(TICK)}
        sti
wait:   cmpw $10, ticks
        jb wait
        mov ticks, %ax
        add $'0', %al
        out %al, $0xe9
        mov $5, %al
        out %al, $0xf4
        hlt
${HANDLER}`;

test('PIT counter 0 interrupts through the 8259 and the IVT; the exit port stops the run with (V<<1)|1', () => {
  const g = realGuest(TICKER);
  const r = g.m.run({ maxInstructions: 1_000_000 });
  assert.equal(r, StopReason.Exit, g.m.lastStop.detail);
  // isa-debug-exit: status (5 << 1) | 1 (design.md, QEMU hw/misc/debugexit.c).
  assert.equal(g.m.exitCode, 11);
  assert.deepEqual(g.m.lastStop, { reason: StopReason.Exit, exitCode: 11, detail: g.m.lastStop.detail });
  assert.equal(g.word(g.sym('ticks')), 10);
  assert.equal(String.fromCharCode(...g.out), ':'); // '0' + 10
  // Mode 2: OUT rises every `count` clocks after the count is loaded (8254 datasheet, "Mode 2"), so the
  // tenth interrupt comes about 10 periods after the programming; the run ends a few instructions later.
  const icount = g.m.cpu.icount;
  assert.ok(icount >= 10 * PERIOD && icount < 10 * PERIOD + 200, `icount ${icount}, period ${PERIOD}`);
});

test('two runs are identical: instruction counts and console output (virtual time)', () => {
  const runs = [0, 1].map(() => {
    const g = realGuest(TICKER);
    g.m.run({ maxInstructions: 1_000_000 });
    return { icount: g.m.cpu.icount, out: g.out.join(','), ip: g.m.cpu.ripLo };
  });
  assert.deepEqual(runs[0], runs[1]);
});

test('an interrupt pending at STI is taken only after the next instruction (SDM Vol.2 STI)', () => {
  const g = realGuest(`
        cli
        movw $handler, 0x20
        movw $0, 0x22
${PIT(10)}
        mov $2000, %cx
spin:   loop spin               # IRQ 0 becomes pending while IF=0
        xor %bx, %bx
        sti
        mov $1, %bx             # the shadowed instruction: runs before the interrupt
after:  nop
        mov $2, %bx
        cli
        hlt
handler:
        mov %bx, seen
        mov %sp, %bp
        mov (%bp), %ax
        mov %ax, retip
        mov $0x20, %al
        out %al, $0x20
        iret
seen:   .word 0xffff
retip:  .word 0`);
  assert.equal(g.m.run({ maxInstructions: 100_000 }), StopReason.Halt);
  assert.equal(g.word(g.sym('seen')), 1);
  assert.equal(g.word(g.sym('retip')), g.sym('after'));
});

test('the interrupt shadow holds across the end of a run (the instruction after STI still runs first)', () => {
  const g = realGuest(`
        cli
        movw $handler, 0x20
        movw $0, 0x22
${PIT(10)}
        mov $2000, %cx
spin:   loop spin
        xor %bx, %bx
        sti
        mov $1, %bx
after:  cli
        hlt
handler:
        mov %bx, seen
        mov $0x20, %al
        out %al, $0x20
        iret
seen:   .word 0xffff`);
  const cpu = g.m.cpu;
  // Step until STI has run, then continue one instruction at a time.
  for (let n = 0; n < 100_000 && cpu.ripLo !== g.sym('after') - 3; n++) g.m.step();
  assert.equal(cpu.ripLo, g.sym('after') - 3); // at `mov $1, %bx`, right after STI
  g.m.step(); // runs the MOV; at the boundary after it the interrupt is delivered
  assert.equal(cpu.ripLo, g.sym('handler'));
  assert.equal(g.word(cpu.lo[4] & 0xffff), g.sym('after')); // the IVT frame's IP (SDM Vol.3A §21.1.4)
  assert.equal(g.m.run({ maxInstructions: 1000 }), StopReason.Halt);
  assert.equal(g.word(g.sym('seen')), 1);
});

test('HLT with IF=1 wakes on the timer: virtual time (and the TSC) skips ahead to the interrupt', () => {
  const COUNT = 60000; // ≈ 50 ms of PIT clocks ≈ 5 M instructions
  const g = realGuest(`
        cli
${IVT8}
${PIT(COUNT)}
        rdtsc
        mov %eax, t0
        sti
        hlt
woke:   rdtsc
        mov %eax, t1
        cli
        hlt
${HANDLER}
t0:     .long 0
t1:     .long 0`);
  const r = g.m.run({ maxInstructions: 50_000_000 });
  assert.equal(r, StopReason.Halt);
  assert.equal(g.word(g.sym('ticks')), 1);
  // The count is loaded on the CLK pulse after it is written and OUT rises COUNT clocks later (8254
  // datasheet, "Mode 2"): allow two PIT clocks (≈ 84 instructions each) of phase.
  const due = icountAtTick(COUNT, PIT_HZ);
  const clock = VIRTUAL_HZ / PIT_HZ;
  const dt = g.dword(g.sym('t1')) - g.dword(g.sym('t0'));
  assert.ok(dt >= due && dt < due + 2 * clock + 20, `TSC advanced ${dt}, period ${due}`);
  // Only a few dozen instructions ran; the rest of the virtual time passed in HLT.
  assert.ok(g.m.cpu.icount >= due && g.m.cpu.icount < due + 2 * clock + 40, `icount ${g.m.cpu.icount}`);
});

test('HLT with IF=0 stops the run with halt (exit status 0), without skipping time', () => {
  const g = realGuest(`
${IVT8}
${PIT(100)}
        cli
        hlt
${HANDLER}`);
  assert.equal(g.m.run({ maxInstructions: 1_000_000 }), StopReason.Halt);
  assert.ok(g.m.cpu.icount < 20);
  assert.equal(g.word(g.sym('ticks')), 0);
});

test('HLT with IF=1 and nothing that can interrupt (IRQ 0 masked) stops with halt', () => {
  const g = realGuest(`
${IVT8}
${PIT(100)}
        mov $0xff, %al
        out %al, $0x21          # OCW1: mask every master IRQ
        sti
        hlt
${HANDLER}`);
  assert.equal(g.m.run({ maxInstructions: 1_000_000 }), StopReason.Halt);
  assert.equal(g.word(g.sym('ticks')), 0);
});

test('a halt longer than the budget ends at the limit, and the next run wakes on the timer', () => {
  const g = realGuest(`
        cli
${IVT8}
${PIT(60000)}
        sti
        hlt
        cli
        hlt
${HANDLER}`);
  assert.equal(g.m.run({ maxInstructions: 1_000_000 }), StopReason.Limit);
  assert.equal(g.m.cpu.icount, 1_000_000);
  assert.equal(g.m.run({ maxInstructions: 10_000_000 }), StopReason.Halt);
  assert.equal(g.word(g.sym('ticks')), 1);
});

test('NMI is taken with IF=0 and blocked until the IRET of its handler (SDM Vol.3A §6.7.1)', () => {
  const g = realGuest(`
        cli
        movw $nmi, 0x08
        movw $0, 0x0a
main:   jmp main
nmi:    incw count
1:      cmpb $0, go
        je 1b
        iret
count:  .word 0
go:     .byte 0`);
  const m = g.m;
  m.run({ maxInstructions: 100 });
  m.nmi();
  m.run({ maxInstructions: 1000 });
  assert.equal(g.word(g.sym('count')), 1);
  m.nmi(); // blocked: the handler has not returned
  m.run({ maxInstructions: 1000 });
  assert.equal(g.word(g.sym('count')), 1);
  m.load(g.sym('go'), new Uint8Array([1]));
  m.run({ maxInstructions: 1000 }); // IRET unblocks: the held NMI is delivered
  assert.equal(g.word(g.sym('count')), 2);
});

test('the exit port accepts any width: a 16-bit write of V gives status (V<<1)|1', () => {
  const g = realGuest(`
        mov $0x1234, %ax
        out %ax, $0xf4
        hlt`);
  assert.equal(g.m.run({ maxInstructions: 100 }), StopReason.Exit);
  assert.equal(g.m.lastStop.exitCode, (0x1234 << 1) | 1);
});

test('a reset request through port 0x92 stops the run with reset', () => {
  const g = realGuest(`
        mov $1, %al
        out %al, $0x92
        hlt`);
  assert.equal(g.m.run({ maxInstructions: 100 }), StopReason.Reset);
});

test('a mid-block IN reads the PIT at the exact instruction count', () => {
  // Counter 0 in mode 2 with count 0 (65536) counts down one per PIT clock; latch and read it after a
  // straight run of NOPs (one block), then again after 1000 more: the difference is exact.
  const nops = '        nop\n'.repeat(40);
  const g = realGuest(`
        cli
${PIT(0)}
${nops}
        mov $0x00, %al
        out %al, $0x43          # counter latch command for counter 0
        in $0x40, %al
        mov %al, %bl
        in $0x40, %al
        mov %al, %bh
        cli
        hlt`);
  assert.equal(g.m.run({ maxInstructions: 1000 }), StopReason.Halt);
  const latchedAt = 9 + 40 + 1; // the OUT to 0x43 is the 51st instruction (icount 50 before it)
  const expected = (65536 - Math.floor((latchedAt * PIT_HZ) / VIRTUAL_HZ) + Math.floor((9 * PIT_HZ) / VIRTUAL_HZ)) & 0xffff;
  const got = g.m.cpu.lo[3] & 0xffff;
  assert.ok(Math.abs(got - expected) <= 1, `read ${got}, expected about ${expected}`);
});
