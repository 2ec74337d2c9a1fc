// decodeFaults.test.ts: encodings that must fault inside the guest, never in JavaScript.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatMachine } from '../support/flat';
import { StopReason } from '../../emulator/cpu/step';

function firstFault(bits: 16 | 32 | 64, bytes: number[]) {
  const m = flatMachine(bits);
  m.exec.stopOnException = true;
  m.load(0x1000, Uint8Array.from(bytes));
  m.cpu.ripLo = 0x1000;
  m.stateChanged();
  const r = m.run({ maxInstructions: 1 });
  return { r, e: m.exec.lastException, rip: m.cpu.ripLo };
}

test('LOCK on a non-lockable form is #UD (SDM Vol.2 LOCK: "#UD if the LOCK prefix is used with an instruction not listed")', () => {
  const { r, e, rip } = firstFault(64, [0xf0, 0x48, 0x01, 0xc8]); // lock add %rcx,%rax (register destination)
  assert.equal(r, StopReason.Exception);
  assert.equal(e?.vector, 6);
  assert.equal(rip, 0x1000, 'the fault restarts at the instruction');
});

test('LOCK on a memory destination of a lockable form is accepted', () => {
  const { r } = firstFault(64, [0xf0, 0x01, 0x08]); // lock add %ecx,(%rax)
  assert.equal(r, StopReason.Limit);
});

test('an instruction longer than 15 bytes is #GP(0) (SDM Vol.2 §2.3.11)', () => {
  const { r, e } = firstFault(64, [...Array(14).fill(0x66), 0x01, 0xc8]); // 16 bytes
  assert.equal(r, StopReason.Exception);
  assert.equal(e?.vector, 13);
  assert.equal(e?.errorCode, 0);
});

test('15 bytes exactly is still an instruction', () => {
  const { r } = firstFault(64, [...Array(13).fill(0x66), 0x01, 0xc8]);
  assert.equal(r, StopReason.Limit);
});

test('an undefined opcode is #UD with RIP at the instruction', () => {
  const { r, e, rip } = firstFault(64, [0x0f, 0x0b]); // ud2 (or undecodable)
  assert.equal(r, StopReason.Exception);
  assert.equal(e?.vector, 6);
  assert.equal(rip, 0x1000);
});

test('opcodes invalid in 64-bit mode are #UD there (SDM Vol.2 Appendix A, i64)', () => {
  for (const op of [0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x60, 0x61, 0xce, 0xd4, 0xd5, 0xd6]) {
    const { r, e } = firstFault(64, [op, 0x0a]);
    assert.equal(r, StopReason.Exception, `opcode ${op.toString(16)}`);
    assert.equal(e?.vector, 6, `opcode ${op.toString(16)}`);
  }
});

test('random bytes never throw a JavaScript error in any mode', () => {
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
  for (const bits of [16, 32, 64] as const) {
    const m = flatMachine(bits);
    m.exec.stopOnException = true;
    for (let n = 0; n < 3000; n++) {
      const bytes = Uint8Array.from({ length: 16 }, next);
      m.load(0x1000, bytes);
      m.exec.cache.clear();
      m.cpu.ripLo = 0x1000;
      m.cpu.ripHi = 0;
      m.stateChanged();
      m.run({ maxInstructions: 1 });
    }
  }
});

test('a VEX form that has no vvvv operand requires VEX.vvvv = 1111b, else #UD (SDM Vol.2 §2.3.6)', () => {
  // rorx $0x12,%esp,%ebx with vvvv = 0101b instead of 1111b (objdump still names it; the CPU faults).
  const { r, e } = firstFault(64, [0xc4, 0xe3, 0x53, 0xf0, 0xdc, 0x12]);
  assert.equal(r, StopReason.Exception);
  assert.equal(e?.vector, 6);
  assert.equal(firstFault(64, [0xc4, 0xe3, 0x7b, 0xf0, 0xdc, 0x12]).r, StopReason.Limit); // vvvv = 1111b
});

test('a fault whose handler faults again still ends the run at its limit', () => {
  // Real mode, IVT entry 6 points at a ud2 that raises #UD again: delivery repeats forever.
  const m = flatMachine(16);
  m.load(0x18, Uint8Array.from([0x00, 0x10, 0x00, 0x00])); // vector 6 → 0000:1000
  m.load(0x1000, Uint8Array.from([0x0f, 0x0b]));
  m.cpu.lo[4] = 0x8000;
  m.cpu.ripLo = 0x1000;
  m.stateChanged();
  assert.equal(m.run({ maxInstructions: 1000 }), StopReason.Limit);
});
