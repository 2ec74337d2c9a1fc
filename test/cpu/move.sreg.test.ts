// move.sreg.test.ts: MOV to and from segment registers and 16-bit moffs, in real mode. The host CPU can't
// run these with our selectors, so expected values come from the SDM: in real mode a segment load sets
// base = selector × 16 (SDM Vol.3A §20.1.1); MOV to CS and Sreg encodings 6–7 are #UD, MOV SS inhibits
// interrupts for one instruction, and a 32-bit register destination of MOV r, Sreg is zero-extended
// (SDM Vol.2B MOV, Description and Operation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatMachine } from '../support/flat';
import { Machine } from '../../emulator/machine';
import { StopReason } from '../../emulator/cpu/step';
import { decode } from '../../emulator/cpu/decode';
import { Insn } from '../../emulator/cpu/insn';
import { HANDLERS } from '../../emulator/cpu/exec/index';
import { ATTN_SHADOW, CodeSize, Seg } from '../../emulator/cpu/state';
import { BAD } from '../../emulator/cpu/decode';

const CODE = 0x1000;

/** A real-mode machine about to run `code` at 0000:1000. */
function real(code: number[]): Machine {
  const m = flatMachine(16);
  m.exec.stopOnException = true;
  m.load(CODE, Uint8Array.from(code));
  m.cpu.ripLo = CODE;
  m.stateChanged();
  return m;
}

function run(m: Machine, steps: number): StopReason {
  let r = StopReason.None;
  for (let k = 0; k < steps; k++) {
    r = m.step();
    if (r !== StopReason.Limit && r !== StopReason.None) break;
  }
  return r;
}

test('MOV Sreg, r16 and r/m16 load selector and base = selector × 16 in real mode', () => {
  // mov ax, 1234h; mov ds, ax; mov bx, 20h; mov es, [bx] (DS:20h = 12360h holds ABCDh)
  const m = real([0xb8, 0x34, 0x12, 0x8e, 0xd8, 0xbb, 0x20, 0x00, 0x8e, 0x07]);
  m.load(0x12360, Uint8Array.from([0xcd, 0xab]));
  run(m, 4);
  const cpu = m.cpu;
  assert.equal(cpu.segSel[Seg.DS], 0x1234);
  assert.equal(cpu.segBaseLo[Seg.DS], 0x12340);
  assert.equal(cpu.segSel[Seg.ES], 0xabcd);
  assert.equal(cpu.segBaseLo[Seg.ES], 0xabcd0);
  assert.equal(cpu.ripLo, CODE + 10);
});

test('MOV FS/GS with a 32-bit operand uses the low 16 bits', () => {
  // mov eax, 5678_9ABCh; mov fs, eax (66 8E E0); mov gs, ax
  const m = real([0x66, 0xb8, 0xbc, 0x9a, 0x78, 0x56, 0x66, 0x8e, 0xe0, 0x8e, 0xe8]);
  run(m, 3);
  assert.equal(m.cpu.segSel[Seg.FS], 0x9abc);
  assert.equal(m.cpu.segBaseLo[Seg.FS], 0x9abc0);
  assert.equal(m.cpu.segSel[Seg.GS], 0x9abc);
});

test('MOV to CS and to Sreg 6–7 raise #UD without changing state', () => {
  for (const modrm of [0xc8, 0xf0, 0xf8]) {
    const m = real([0x8e, modrm]);
    assert.equal(run(m, 1), StopReason.Exception);
    assert.equal(m.exec.lastException?.vector, 6);
    assert.equal(m.cpu.ripLo, CODE);
    assert.equal(m.cpu.segSel[Seg.CS], 0);
  }
  // MOV r/m16, Sreg with Sreg field 6 or 7 is #UD too.
  for (const modrm of [0xf0, 0xf8]) {
    const m = real([0x8c, modrm]);
    assert.equal(run(m, 1), StopReason.Exception);
    assert.equal(m.exec.lastException?.vector, 6);
  }
});

test('MOV SS sets the one-instruction interrupt shadow and ends the decoded block', () => {
  const m = real([0x8e, 0xd0]); // mov ss, ax
  m.cpu.lo[0] = 0x2000;
  const bytes = [0x8e, 0xd0];
  const i = new Insn(() => undefined, BAD);
  decode({ byte: (k) => bytes[k] ?? 0 }, CodeSize.Bits16, CODE, 0, m.features, i);
  assert.equal(i.form.name, 'mov_sreg_rm16');
  assert.ok(i.form.stop);
  m.cpu.attention = 0;
  HANDLERS[i.form.id](m.cpu, i);
  assert.ok(m.cpu.attention & ATTN_SHADOW);
  assert.equal(m.cpu.segSel[Seg.SS], 0x2000);
  assert.equal(m.cpu.segBaseLo[Seg.SS], 0x20000);
});

test('MOV r/m, Sreg: register destinations by operand size, memory always 16 bits', () => {
  // mov ax, 4321h; mov es, ax; mov ecx, -1; mov cx, es; mov edx, -1; mov edx, es (66 8C C2);
  // mov dword [0], -1 (66 C7 06 00 00 FF FF FF FF); mov [0], es (66 8C 06 00 00)
  const m = real([0xb8, 0x21, 0x43, 0x8e, 0xc0, 0x66, 0xb9, 0xff, 0xff, 0xff, 0xff, 0x8c, 0xc1,
    0x66, 0xba, 0xff, 0xff, 0xff, 0xff, 0x66, 0x8c, 0xc2,
    0x66, 0xc7, 0x06, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x66, 0x8c, 0x06, 0x00, 0x00]);
  run(m, 8);
  assert.equal(m.cpu.lo[1] >>> 0, 0xffff4321); // 16-bit destination: bits 31:16 kept
  assert.equal(m.cpu.lo[2] >>> 0, 0x00004321); // 32-bit register: zero-extended
  assert.deepEqual([...m.phys.readBytes(0, 4)], [0x21, 0x43, 0xff, 0xff]); // memory: two bytes written
});

test('MOV with 16-bit moffs reads and writes DS:offset', () => {
  // mov ax, 100h; mov ds, ax; mov al, [1234h]; mov [1236h], ax (A3); mov eax, [1238h] (66 A1)
  const m = real([0xb8, 0x00, 0x01, 0x8e, 0xd8, 0xa0, 0x34, 0x12, 0xa3, 0x36, 0x12, 0x66, 0xa1, 0x38, 0x12]);
  m.load(0x2234, Uint8Array.from([0x5a, 0, 0, 0, 0x11, 0x22, 0x33, 0x44]));
  run(m, 5);
  assert.deepEqual([...m.phys.readBytes(0x2236, 2)], [0x5a, 0x01]);
  assert.equal(m.cpu.lo[0] >>> 0, 0x44332211);
});

test('MOV with a 32-bit moffs beyond the 64 KiB real-mode limit raises #GP(0)', () => {
  // 67 A1 disp32: mov ax, [10000h] — past DS.limit FFFFh (SDM Vol.3A §5.3).
  const m = real([0x67, 0xa1, 0x00, 0x00, 0x01, 0x00]);
  assert.equal(run(m, 1), StopReason.Exception);
  assert.equal(m.exec.lastException?.vector, 13);
});
