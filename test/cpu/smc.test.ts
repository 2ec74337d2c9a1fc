// smc.test.ts: decoded blocks are cached, and a store into cached code takes effect at the next
// instruction (SDM Vol.3A §11.6, "Self-Modifying Code": a write to a code byte that is about to run
// must be seen; the processor detects it and refetches).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatMachine } from '../support/flat';
import { StopReason } from '../../emulator/cpu/step';

test('a store into the next instruction changes what executes (same block)', () => {
  const m = flatMachine(64);
  // add byte [rip+1], 1   ; bumps the imm8 of the next instruction
  // add al, 0x10          ; now add al, 0x11
  m.load(0x1000, Uint8Array.from([0x80, 0x05, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x10]));
  m.cpu.ripLo = 0x1000;
  m.stateChanged();
  m.run({ maxInstructions: 2 });
  assert.equal(m.cpu.lo[0] & 0xff, 0x11);
  assert.equal(m.cpu.ripLo, 0x1009);
  assert.equal(m.cpu.icount, 2);
});

test('cached code is reused, and replaced code is decoded again', () => {
  const m = flatMachine(64);
  m.load(0x2000, Uint8Array.from([0x04, 0x01])); // add al, 1
  for (let k = 0; k < 3; k++) {
    m.cpu.ripLo = 0x2000;
    m.stateChanged();
    m.run({ maxInstructions: 1 });
  }
  assert.equal(m.cpu.lo[0] & 0xff, 3);
  assert.equal(m.exec.cache.blocksDecoded, 1, 'the block is decoded once and reused');
  m.load(0x2000, Uint8Array.from([0x04, 0x10])); // add al, 0x10
  m.cpu.ripLo = 0x2000;
  m.stateChanged();
  m.run({ maxInstructions: 1 });
  assert.equal(m.cpu.lo[0] & 0xff, 0x13);
  assert.equal(m.exec.cache.blocksDecoded, 2);
});

test('a data store to a code page outside the decoded bytes keeps the block', () => {
  const m = flatMachine(64);
  // add [rip+0x100], al ; add al, 1 — the store lands 256 bytes away, in another 64-byte line.
  m.load(0x3000, Uint8Array.from([0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x04, 0x01]));
  m.cpu.ripLo = 0x3000;
  m.stateChanged();
  m.run({ maxInstructions: 2 });
  assert.equal(m.exec.cache.invalidations, 0);
  assert.equal(m.cpu.lo[0] & 0xff, 1);
});

test('execution breakpoints stop before the instruction and resume past it', () => {
  const m = flatMachine(64);
  m.load(0x4000, Uint8Array.from([0x04, 0x01, 0x04, 0x02, 0x04, 0x04])); // add al,1; add al,2; add al,4
  m.cpu.ripLo = 0x4000;
  m.stateChanged();
  m.exec.addBreakpoint(0x4002, 0);
  assert.equal(m.run({ maxInstructions: 10 }), StopReason.Breakpoint);
  assert.equal(m.cpu.ripLo, 0x4002);
  assert.equal(m.cpu.lo[0] & 0xff, 1);
  assert.equal(m.run({ maxInstructions: 2 }), StopReason.Limit);
  assert.equal(m.cpu.lo[0] & 0xff, 7);
});
