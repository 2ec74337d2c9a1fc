// ist64.test.ts: which SS an IA-32e interrupt leaves. SDM Vol.3A §6.14.5 "Interrupt Stack Table" (§7.14.5
// in newer editions): with a gate's IST field non-zero "the new SS selector is forced to NULL and the SS
// selector's RPL field is set to the new CPL", also when the CPL does not change; without IST and without
// a privilege change SS is left alone (INT n Operation, INTRA-PRIVILEGE-LEVEL-INTERRUPT). QEMU agrees
// (test/boot/ist64.S runs the same cases on it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reg, Seg } from '../../emulator/cpu/state';
import { HANDLER, KERNEL_STACK, SEL, TSS, gate64, long64, r32, runToHlt, setIdt, w32 } from './protHelpers';

const IST1 = 0x6008;

function deliver(ist: number): ReturnType<typeof long64> {
  const m = long64([0xcd, 0x40]); // int $0x40 at CPL 0
  setIdt(m, 0x40, gate64(HANDLER, 0, SEL.CODE0, 0xe, 0, ist));
  w32(m, TSS + 0x24, IST1); // IST1 (SDM Vol.3A Figure 7-11)
  m.load(HANDLER, Uint8Array.from([0xf4]));
  runToHlt(m);
  assert.equal(m.cpu.ripLo, HANDLER + 1, 'reached the handler');
  return m;
}

test('IA-32e interrupt through a gate with IST 1 at CPL 0: RSP from IST1 aligned to 16, SS forced null with RPL 0, old SS pushed (SDM Vol.3A §6.14.5)', () => {
  const m = deliver(1);
  const cpu = m.cpu;
  const frame = (IST1 & ~15) - 40;
  assert.equal(cpu.lo[Reg.RSP] >>> 0, frame);
  assert.equal(cpu.segSel[Seg.SS], 0, 'SS null, RPL = CPL 0');
  assert.equal(r32(m, frame + 32), SEL.DATA0, 'the old SS on the frame');
  assert.equal(r32(m, frame + 24), KERNEL_STACK - 0x400, 'the old RSP on the frame');
});

test('IA-32e interrupt without IST at CPL 0 keeps SS (SDM Vol.2 INT n, INTRA-PRIVILEGE-LEVEL-INTERRUPT)', () => {
  const m = deliver(0);
  assert.equal(m.cpu.segSel[Seg.SS], SEL.DATA0);
  assert.equal(m.cpu.lo[Reg.RSP] >>> 0, KERNEL_STACK - 0x400 - 40);
});
