// apic.test.ts: the local APIC (SDM Vol.3A chapter 11) from a 64-bit guest with an IDT — the timer in
// one-shot and periodic mode with EOI, TPR masking (and CR8 as TPR[7:4]), a self-IPI — and its registers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StopReason } from '../../emulator/cpu/step';
import { APIC_VERSION_VALUE } from '../../emulator/devices/apic';
import { longGuest } from './support';

/** APIC register page (default IA32_APIC_BASE, §11.4.4) in %rsi; SVR = 1FFh: software enable (§11.4.7.2). */
const ENABLE = `
        mov $0xfee00000, %esi
        movl $0x1ff, 0xf0(%rsi)`;

/** Vector 0x40 handler: count, EOI (write 0 to FEE000B0h, §11.8.5), IRETQ. */
const TIMER_HANDLER = `
timer:  incl count(%rip)
        movl $0, 0xb0(%rsi)
        iretq
count:  .long 0`;

test('APIC timer one-shot: one interrupt after initial count × divisor bus clocks, then the count stays 0 (§11.5.4)', () => {
  const g = longGuest(`
${ENABLE}
        movl $0xb, 0x3e0(%rsi)      # divide by 1 (Figure 11-10)
        movl $0x40, 0x320(%rsi)     # LVT timer: vector 40h, one-shot, unmasked
        movl $1000, 0x380(%rsi)     # initial count
        movl 0x390(%rsi), %eax
        mov %eax, cc0(%rip)         # current count just after
        sti
1:      cmpl $0, count(%rip)
        je 1b
        mov $3000, %ecx
2:      loop 2b                     # no second interrupt in one-shot mode
        movl 0x390(%rsi), %eax
        mov %eax, cc1(%rip)
        cli
        hlt
${TIMER_HANDLER}
cc0:    .long 0
cc1:    .long 0`, { 0x40: 'timer' });
  assert.equal(g.m.run({ maxInstructions: 100_000 }), StopReason.Halt);
  assert.equal(g.dword(g.sym('count')), 1);
  const cc0 = g.dword(g.sym('cc0'));
  assert.ok(cc0 <= 1000 && cc0 > 990, `current count ${cc0}`);
  assert.equal(g.dword(g.sym('cc1')), 0);
});

test('APIC timer periodic: reloads and interrupts every period; HLT sleeps between ticks', () => {
  const g = longGuest(`
${ENABLE}
        movl $0x0, 0x3e0(%rsi)      # divide by 2
        movl $0x20040, 0x320(%rsi)  # LVT timer: vector 40h, periodic (bits 18:17 = 01b)
        movl $500, 0x380(%rsi)      # period 1000 bus clocks
        sti
1:      hlt
        cmpl $5, count(%rip)
        jb 1b
        cli
        hlt
${TIMER_HANDLER}`, { 0x40: 'timer' });
  assert.equal(g.m.run({ maxInstructions: 100_000 }), StopReason.Halt);
  assert.equal(g.dword(g.sym('count')), 5);
  const icount = g.m.cpu.icount;
  assert.ok(icount >= 5000 && icount < 5050, `icount ${icount}`);
});

test('TPR masks interrupts of its priority class and below; CR8 is TPR[7:4] (§11.8.3.1, §11.8.6.5)', () => {
  const g = longGuest(`
${ENABLE}
        movl $0x50, 0x80(%rsi)      # TPR class 5 blocks vector 40h (class 4)
        mov %cr8, %rax
        mov %eax, cr8v(%rip)
        movl $0xb, 0x3e0(%rsi)
        movl $0x40, 0x320(%rsi)
        movl $100, 0x380(%rsi)
        sti
        mov $500, %ecx
1:      loop 1b                     # the timer fires into IRR, but is not delivered
        mov count(%rip), %eax
        mov %eax, before(%rip)
        movl 0x220(%rsi), %eax      # IRR bits 95:64 (vector 40h is bit 64)
        mov %eax, irr(%rip)
        movl 0xa0(%rsi), %eax
        mov %eax, ppr(%rip)
        xor %eax, %eax
        mov %rax, %cr8              # TPR 0: delivered at once
        nop
        mov count(%rip), %eax
        mov %eax, afterv(%rip)
        cli
        hlt
${TIMER_HANDLER}
cr8v:   .long 0
before: .long 0
irr:    .long 0
ppr:    .long 0
afterv: .long 0`, { 0x40: 'timer' });
  assert.equal(g.m.run({ maxInstructions: 100_000 }), StopReason.Halt);
  assert.equal(g.dword(g.sym('cr8v')), 5);
  assert.equal(g.dword(g.sym('before')), 0);
  assert.equal(g.dword(g.sym('irr')), 1);
  assert.equal(g.dword(g.sym('ppr')), 0x50);
  assert.equal(g.dword(g.sym('afterv')), 1);
});

test('a self-IPI is delivered at once; ISR is set in the handler and cleared by EOI (§11.6.1, §11.8.4)', () => {
  const g = longGuest(`
${ENABLE}
        sti
        movl $0, 0x310(%rsi)
        movl $0x40041, 0x300(%rsi)  # ICR: fixed, vector 41h, shorthand self (bits 19:18 = 01b)
        mov count(%rip), %eax
        mov %eax, seen(%rip)
        movl 0x120(%rsi), %eax      # ISR bits 95:64 after EOI
        mov %eax, isrAfter(%rip)
        cli
        hlt
ipi:    incl count(%rip)
        movl 0x120(%rsi), %eax
        mov %eax, isrIn(%rip)
        movl 0xa0(%rsi), %eax
        mov %eax, pprIn(%rip)
        movl $0, 0xb0(%rsi)
        iretq
count:  .long 0
seen:   .long 0
isrIn:  .long 0
pprIn:  .long 0
isrAfter: .long 0`, { 0x41: 'ipi' });
  assert.equal(g.m.run({ maxInstructions: 10_000 }), StopReason.Halt);
  assert.equal(g.dword(g.sym('seen')), 1);
  assert.equal(g.dword(g.sym('isrIn')), 2); // bit 65
  assert.equal(g.dword(g.sym('pprIn')), 0x40); // the in-service class (§11.8.3.1)
  assert.equal(g.dword(g.sym('isrAfter')), 0);
});

test('APIC registers: version, reset values, software disable masks the LVT (§11.4.7.1, §11.4.8)', () => {
  const g = longGuest('hlt', {});
  const apic = g.m.apic!;
  assert.equal(apic.readRegister(0x30), APIC_VERSION_VALUE);
  assert.equal(apic.readRegister(0xf0), 0xff);
  assert.equal(apic.readRegister(0xe0), -1);
  assert.equal(apic.readRegister(0x320), 0x10000);
  // programAsBios: virtual-wire mode.
  assert.equal(apic.readRegister(0x350), 0x700);
  assert.equal(apic.readRegister(0x360), 0x400);
  apic.writeRegister(0xf0, 0x1ff);
  apic.writeRegister(0x320, 0x40);
  assert.equal(apic.readRegister(0x320), 0x40);
  apic.writeRegister(0xf0, 0xff); // software disable: every LVT mask bit is set
  assert.equal(apic.readRegister(0x320), 0x10040);
  apic.writeRegister(0x320, 0x40); // and cannot be cleared while disabled
  assert.equal(apic.readRegister(0x320), 0x10040);
  // Byte-wise MMIO writes (the bus splits dwords) take effect on byte 3.
  for (const [k, b] of [0x1ff & 0xff, 0x1, 0, 0].entries()) apic.write(0xf0 + k, 1, b);
  assert.equal(apic.readRegister(0xf0), 0x1ff);
  // Divide configuration 1011b = divide by 1; current count counts in bus clocks (instructions).
  apic.writeRegister(0x3e0, 0xb);
  apic.writeRegister(0x380, 10);
  assert.equal(apic.readRegister(0x390), 10);
  // Illegal vector in a self-IPI: ESR "send illegal vector" after the ESR write (§11.5.3).
  apic.writeRegister(0x300, 0x40005);
  apic.writeRegister(0x280, 0);
  assert.equal(apic.readRegister(0x280) & 0x60, 0x60);
});
