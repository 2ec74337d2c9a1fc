// translate.test.ts: translated blocks (emulator/cpu/translate.ts) behave like the interpreter loop —
// a fault mid-block restarts at the faulting instruction with an exact instruction count, the
// instruction budget is never overrun, and a store into the running block takes effect at once.
// Each loop runs well past TRANSLATE_AFTER iterations, so the checks hit translated code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatMachine } from '../support/flat';
import { StopReason } from '../../emulator/cpu/step';
import { TRANSLATE_AFTER } from '../../emulator/cpu/translate';

// 1000: add rcx, 1 | 1004: dec rsi | 1007: xor edx, edx | 1009: mov rax, rcx | 100c: div rsi | 100f: jmp 1000
const DIV_LOOP = '4883c10148ffce31d24889c848f7f6ebef';

function divLoop(rsi: number) {
  const m = flatMachine(64);
  m.load(0x1000, Uint8Array.from(Buffer.from(DIV_LOOP, 'hex')));
  m.cpu.lo[6] = rsi;
  m.cpu.ripLo = 0x1000;
  m.stateChanged();
  return m;
}

test('a fault in a translated block restarts at the faulting instruction with an exact count', () => {
  const n = TRANSLATE_AFTER + 8;
  const m = divLoop(n);
  m.exec.stopOnException = true;
  // DIV by zero is #DE (SDM Vol.2A DIV) on iteration n, at the fifth instruction of the block.
  assert.equal(m.run({ maxInstructions: 1_000_000 }), StopReason.Exception);
  assert.equal(m.exec.lastException?.vector, 0);
  assert.equal(m.cpu.ripLo, 0x100c);
  assert.equal(m.cpu.icount, (n - 1) * 6 + 4);
  assert.equal(m.cpu.lo[1], n);
});

test('the instruction budget stops a translated loop exactly', () => {
  const m = divLoop(1000);
  assert.equal(m.run({ maxInstructions: 6 * (TRANSLATE_AFTER + 4) + 3 }), StopReason.Limit);
  assert.equal(m.cpu.icount, 6 * (TRANSLATE_AFTER + 4) + 3);
  assert.equal(m.cpu.ripLo, 0x1009);
  assert.equal(m.run({ maxInstructions: 2 }), StopReason.Limit);
  assert.equal(m.cpu.ripLo, 0x100f);
  assert.equal(m.cpu.lo[1], TRANSLATE_AFTER + 5);
});

test('a store into the running translated block takes effect at the next instruction', () => {
  const m = flatMachine(64);
  // 1000: add rcx, 1 | 1004: cmp rcx, N | 1008: cmove rdi, rbx | 100c: mov byte [rdi], 5
  // 100f: add rdx, 1 (imm8 at 1012) | 1013: jmp 1000
  const n = TRANSLATE_AFTER + 8;
  const code = Buffer.from('4883c1014883f9' + n.toString(16).padStart(2, '0') + '480f44fbc607054883c201ebeb', 'hex');
  m.load(0x1000, Uint8Array.from(code));
  m.cpu.lo[3] = 0x1012; // rbx: the imm8 of add rdx, 1
  m.cpu.lo[7] = 0x3000; // rdi: data until iteration n
  m.cpu.lo[2] = 0; // rdx (RESET leaves the processor signature there)
  m.cpu.ripLo = 0x1000;
  m.stateChanged();
  assert.equal(m.run({ maxInstructions: 6 * n }), StopReason.Limit);
  assert.equal(m.cpu.lo[2], n - 1 + 5, 'iteration n adds the new immediate');
  assert.equal(m.cpu.ripLo, 0x1000);
  assert.equal(m.cpu.icount, 6 * n);
});

test('a Jcc inside a translated block leaves it when taken, with exact counts either way', () => {
  const m = flatMachine(64);
  // 1000: test cl, 1 | 1003: jz 1008 | 1005: inc rdx | 1008: inc rcx | 100b: cmp rcx, 1000 | 1012: jne 1000 | 1014: hlt
  // The block at 1000 goes on past the jz (Executor.build), so an even RCX leaves it after two instructions.
  m.load(0x1000, Uint8Array.from(Buffer.from('f6c101740348ffc248ffc14881f9e803000075ecf4', 'hex')));
  m.cpu.lo[1] = 0;
  m.cpu.lo[2] = 0;
  m.cpu.ripLo = 0x1000;
  m.stateChanged();
  // 500 even iterations of 5 instructions, 500 odd ones of 6.
  const budget = 500 * 5 + 250 * 6 + 3;
  assert.equal(m.run({ maxInstructions: budget }), StopReason.Limit);
  assert.equal(m.cpu.icount, budget);
  assert.equal(m.run({ maxInstructions: 1_000_000 }), StopReason.Halt);
  assert.equal(m.cpu.lo[1], 1000);
  assert.equal(m.cpu.lo[2], 500, 'odd values of RCX below 1000');
  assert.equal(m.cpu.icount, 500 * 5 + 500 * 6 + 1);
});
