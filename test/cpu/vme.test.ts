// vme.test.ts: CLI and STI under the virtual-interrupt extensions — CR4.VME in virtual-8086 mode and
// CR4.PVI in protected mode at CPL 3 (SDM Vol.2 CLI and STI, Operation; Vol.3A §20.3 and §20.4) — which
// act on EFLAGS.VIF instead of IF where IOPL would otherwise make them #GP(0). QEMU (TCG) does not model
// VME/PVI for CLI/STI, so the expected values here come from the SDM's Operation sections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatMachine } from '../support/flat';
import { Machine } from '../../emulator/machine';
import { StopReason } from '../../emulator/cpu/step';
import { Seg } from '../../emulator/cpu/state';
import { CR4_PVI, CR4_VME } from '../../emulator/cpu/controlRegs';
import { EFLAGS_VM } from '../../emulator/cpu/modes';

const ORG = 0x7c00;
const IF = 1 << 9, VIF = 1 << 19, VIP = 1 << 20, IOPL3 = 3 << 12;
const CLI = 0xfa, STI = 0xfb;

/** Protected mode, 32-bit code at CPL `cpl` (CS RPL), with `flags` and CR4 bits `cr4`. */
function prot(code: number[], cpl: number, flags: number, cr4: number): Machine {
  const m = flatMachine(32);
  m.load(ORG, Uint8Array.from(code));
  m.cpu.ripLo = ORG;
  m.cpu.segSel[Seg.CS] = 0x10 | cpl;
  m.cpu.flags = 2 | flags;
  m.cpu.cr4 |= cr4;
  m.stateChanged();
  m.exec.stopOnException = true;
  return m;
}

/** Virtual-8086 mode at 0000:7C00 (CPL 3, real-mode segments) with `flags` and CR4 bits `cr4`. */
function v86(code: number[], flags: number, cr4: number): Machine {
  const m = flatMachine(32);
  m.load(ORG, Uint8Array.from(code));
  const cpu = m.cpu;
  for (let s = 0; s < 6; s++) { cpu.segSel[s] = 0; cpu.segBaseLo[s] = 0; cpu.segLimit[s] = 0xffff; cpu.segAttr[s] = s === Seg.CS ? 0xfb : 0xf3; }
  cpu.ripLo = ORG;
  cpu.flags = 2 | EFLAGS_VM | flags;
  cpu.cr4 |= cr4;
  m.stateChanged();
  m.exec.stopOnException = true;
  return m;
}

function step(m: Machine): StopReason {
  return m.run({ maxInstructions: 1 });
}

test('PVI: CLI/STI at CPL 3 with IOPL 0 clear/set VIF and leave IF alone (SDM Vol.2 CLI, STI; Vol.3A §20.4)', () => {
  const m = prot([CLI, STI], 3, IF | VIF, CR4_PVI);
  assert.equal(step(m), StopReason.Limit);
  assert.equal(m.cpu.flags & (IF | VIF), IF, 'CLI: VIF 0, IF still 1');
  assert.equal(step(m), StopReason.Limit);
  assert.equal(m.cpu.flags & (IF | VIF), IF | VIF, 'STI: VIF 1');
});

test('PVI: STI while VIP is set is #GP(0); without PVI, CLI at CPL 3 > IOPL is #GP(0) (SDM Vol.2 STI, CLI)', () => {
  const a = prot([STI], 3, VIP, CR4_PVI);
  assert.equal(step(a), StopReason.Exception);
  assert.equal(a.exec.lastException?.vector, 13);
  assert.equal(a.cpu.flags & VIF, 0);
  const b = prot([CLI], 3, IF, 0);
  assert.equal(step(b), StopReason.Exception);
  assert.equal(b.exec.lastException?.vector, 13);
  assert.equal(b.cpu.flags & IF, IF);
});

test('PVI applies at CPL 3 only: CLI at CPL 2 > IOPL is #GP(0) even with CR4.PVI (SDM Vol.2 CLI)', () => {
  const m = prot([CLI], 2, IF | VIF, CR4_PVI);
  assert.equal(step(m), StopReason.Exception);
  assert.equal(m.exec.lastException?.vector, 13);
  assert.equal(m.cpu.flags & (IF | VIF), IF | VIF);
});

test('VME: CLI/STI in virtual-8086 mode with IOPL < 3 act on VIF; without VME they are #GP(0) (SDM Vol.3A §20.3)', () => {
  const m = v86([CLI, STI], IF | VIF, CR4_VME);
  assert.equal(step(m), StopReason.Limit);
  assert.equal(m.cpu.flags & (IF | VIF), IF);
  assert.equal(step(m), StopReason.Limit);
  assert.equal(m.cpu.flags & (IF | VIF), IF | VIF);
  const vip = v86([STI], VIP, CR4_VME);
  assert.equal(step(vip), StopReason.Exception);
  assert.equal(vip.exec.lastException?.vector, 13);
  const none = v86([CLI], IF, 0);
  assert.equal(step(none), StopReason.Exception);
  assert.equal(none.exec.lastException?.vector, 13);
});

test('Virtual-8086 mode with IOPL 3: CLI/STI change IF whatever CR4.VME (SDM Vol.2 CLI, STI)', () => {
  const m = v86([CLI, STI], IF | VIF | IOPL3, CR4_VME);
  assert.equal(step(m), StopReason.Limit);
  assert.equal(m.cpu.flags & (IF | VIF), VIF);
  assert.equal(step(m), StopReason.Limit);
  assert.equal(m.cpu.flags & (IF | VIF), IF | VIF);
});

/**
 * Virtual-8086 mode for INT n with a 32-bit TSS at 0x3000 whose I/O map base is 0x88, so the interrupt
 * redirection bit map is TSS bytes 0x68–0x87 (SDM Vol.3A §20.3.3, Figure 20-5): all 0 except the bit of
 * INT 21h. IVT[10h] = 1234:0056. SS:SP = 0000:7000.
 */
function v86Int(code: number[], flags: number, cr4: number): Machine {
  const m = v86(code, flags, cr4);
  const cpu = m.cpu;
  cpu.segBaseLo[Seg.TR] = 0x3000;
  cpu.segLimit[Seg.TR] = 0x88;
  cpu.segAttr[Seg.TR] = 0x8b;
  m.phys.writeBytes(0x3000 + 102, Uint8Array.from([0x88, 0]));
  const map = new Uint8Array(32);
  map[0x21 >> 3] = 1 << (0x21 & 7);
  m.phys.writeBytes(0x3068, map);
  m.phys.writeBytes(0x10 * 4, Uint8Array.from([0x56, 0x00, 0x34, 0x12]));
  cpu.lo[4] = 0x7000; // SP
  m.stateChanged();
  return m;
}

function stackWords(m: Machine): number[] {
  const b = m.phys.readBytes(0x7000 - 6, 6);
  return [0, 2, 4].map((k) => b[k] | (b[k + 1] << 8));
}

test('VME, IOPL 0: INT n whose redirection bit is 0 goes to the 8086 handler through the IVT at 0, FLAGS image IF = VIF, IOPL = 3; VIF cleared (SDM Vol.3A §20.3.3.5, method 6)', () => {
  const m = v86Int([0xcd, 0x10], VIF | (1 << 8 /* TF */), CR4_VME);
  assert.equal(step(m), StopReason.Limit);
  assert.equal(m.cpu.segSel[Seg.CS], 0x1234);
  assert.equal(m.cpu.ripLo, 0x56);
  assert.deepEqual(stackWords(m), [ORG + 2, 0, 0x3000 | IF | (1 << 8) | 2], 'IP, CS, FLAGS (IF from VIF, IOPL 3, TF)');
  assert.equal(m.cpu.flags & (VIF | IF | (1 << 8) | IOPL3), 0, 'VIF and TF cleared; IF and IOPL as they were');
  assert.equal(m.cpu.flags & EFLAGS_VM, EFLAGS_VM, 'still in virtual-8086 mode');
});

test('VME, IOPL 3: INT n with redirection bit 0 goes to the 8086 handler and clears IF (SDM Vol.3A §20.3.3.4, method 5)', () => {
  const m = v86Int([0xcd, 0x10], IF | VIF | IOPL3, CR4_VME);
  assert.equal(step(m), StopReason.Limit);
  assert.equal(m.cpu.segSel[Seg.CS], 0x1234);
  assert.deepEqual(stackWords(m), [ORG + 2, 0, 0x3000 | IF | 2]);
  assert.equal(m.cpu.flags & (IF | VIF), VIF);
});

test('VME, IOPL 0: INT n whose redirection bit is 1 is #GP(0); without VME any INT n with IOPL < 3 is (SDM Vol.3A §20.3.3 Table 20-2, methods 3 and 2)', () => {
  const a = v86Int([0xcd, 0x21], VIF, CR4_VME);
  assert.equal(step(a), StopReason.Exception);
  assert.equal(a.exec.lastException?.vector, 13);
  assert.equal(a.exec.lastException?.errorCode, 0);
  const b = v86Int([0xcd, 0x10], VIF, 0);
  assert.equal(step(b), StopReason.Exception);
  assert.equal(b.exec.lastException?.vector, 13);
});

test('Virtual-8086 mode, IOPL 0: INT3 and INTO are not IOPL-sensitive (they go to the IDT), INT 3 (CD 03) is #GP(0) (SDM Vol.3A §20.2.7; Vol.2 INT n)', () => {
  // The IDT (base 0) holds no gate for vector 3: reaching it shows as #GP(3 × 8 + 2), not #GP(0).
  const a = v86Int([0xcc], 0, 0);
  assert.equal(step(a), StopReason.Exception);
  assert.equal(a.exec.lastException?.vector, 13);
  assert.equal(a.exec.lastException?.errorCode, 3 * 8 + 2);
  const b = v86Int([0xcd, 0x03], 0, 0);
  assert.equal(step(b), StopReason.Exception);
  assert.equal(b.exec.lastException?.errorCode, 0);
});
