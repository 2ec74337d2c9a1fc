// trap.test.ts: the single-step trap (EFLAGS.TF) and instruction breakpoints (DR0–DR3/DR7) in real mode,
// where #DB goes through the IVT (SDM Vol.3B §17.3.1.1, §17.3.1.4; Vol.3A §21.1.4). The protected-mode
// behaviour is checked against QEMU by test/boot/debug.S; these cases follow the same SDM rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatMachine } from '../support/flat';
import { Machine } from '../../emulator/machine';
import { StopReason } from '../../emulator/cpu/step';
import { Reg } from '../../emulator/cpu/state';

const ORG = 0x7c00;
const HANDLER = 0x7e00;
const COUNT = 0x500;

/**
 * Real mode at 0000:7C00 with IVT[1] → 0000:7E00, a #DB handler that counts in the word at 0x500, stores
 * DR6's low half in the word at 0x502 and the IP it returns to at 0x502 + 2 × count, clears DR6 and
 * IRETs.
 */
function machine(code: number[]): Machine {
  const m = flatMachine(16);
  m.load(ORG, Uint8Array.from(code));
  m.phys.writeBytes(4, Uint8Array.from([HANDLER & 0xff, HANDLER >> 8, 0, 0]));
  m.load(HANDLER, Uint8Array.from([
    0xff, 0x06, 0x00, 0x05, //       inc word [0x500]
    0x8b, 0x1e, 0x00, 0x05, //       mov bx, [0x500]
    0xd1, 0xe3, //                   shl bx, 1
    0x89, 0xe5, //                   mov bp, sp
    0x8b, 0x46, 0x00, //             mov ax, [bp]       (the IP to return to)
    0x89, 0x87, 0x02, 0x05, //       mov [bx+0x502], ax
    0x0f, 0x21, 0xf0, //             mov eax, dr6
    0xa3, 0x02, 0x05, //             mov [0x502], ax
    0x31, 0xc0, //                   xor ax, ax
    0x0f, 0x23, 0xf0, //             mov dr6, eax
    0xcf, //                         iret
  ]));
  m.cpu.ripLo = ORG;
  m.cpu.lo[Reg.RSP] = 0x7000;
  m.stateChanged();
  m.exec.stopOnException = false;
  return m;
}

function word(m: Machine, at: number): number {
  const b = m.phys.readBytes(at, 2);
  return b[0] | (b[1] << 8);
}

test('Real mode TF: a trap after each instruction that began with TF = 1, none after the POPF that set it; DR6.BS (SDM Vol.3B §17.3.1.4)', () => {
  const m = machine([
    0x68, 0x02, 0x01, // 7C00 push 0x0102 (TF)
    0x9d, //             7C03 popf          (sets TF: no trap)
    0x90, //             7C04 nop           → trap at 7C05
    0x90, //             7C05 nop           → trap at 7C06
    0x6a, 0x02, //       7C06 push 2        → trap at 7C08
    0x9d, //             7C08 popf          (clears TF; began with TF = 1) → trap at 7C09
    0x90, //             7C09 nop           (no trap)
    0xf4, //             7C0A hlt
  ]);
  assert.equal(m.run({ maxInstructions: 200 }), StopReason.Halt);
  assert.equal(word(m, COUNT), 4);
  assert.deepEqual([1, 2, 3, 4].map((k) => word(m, 0x502 + 2 * k)), [0x7c05, 0x7c06, 0x7c08, 0x7c09]);
  assert.equal(word(m, 0x502) & 0x4000, 0x4000, 'DR6.BS (bit 14) reported');
});

test('Real mode MOV SS: the trap of the instruction that loads SS is held over the next one (SDM Vol.3A §6.8.3)', () => {
  const m = machine([
    0x68, 0x02, 0x01, // 7C00 push 0x0102
    0x9d, //             7C03 popf
    0x8c, 0xd0, //       7C04 mov ax, ss    → trap at 7C06
    0x8e, 0xd0, //       7C06 mov ss, ax    (no trap)
    0x90, //             7C08 nop           → trap at 7C09
    0x6a, 0x02, //       7C09 push 2        → trap at 7C0B
    0x9d, //             7C0B popf          → trap at 7C0C
    0xf4, //             7C0C hlt
  ]);
  assert.equal(m.run({ maxInstructions: 200 }), StopReason.Halt);
  assert.equal(word(m, COUNT), 4);
  assert.deepEqual([1, 2, 3, 4].map((k) => word(m, 0x502 + 2 * k)), [0x7c06, 0x7c09, 0x7c0b, 0x7c0c]);
});

test('Real mode DR0 instruction breakpoint: #DB before the instruction runs, DR6.B0 (SDM Vol.3B §17.3.1.1, §17.2.3)', () => {
  // The handler at 7E00 (replaced below) counts, saves DR6 and the IP, and clears DR7: a 16-bit IRET
  // cannot set RF, so disabling the breakpoint is how it resumes the instruction.
  const m = machine([
    0x66, 0xb8, 0x14, 0x7c, 0x00, 0x00, // 7C00 mov eax, 0x7c14
    0x0f, 0x23, 0xc0, //                   7C06 mov dr0, eax
    0x66, 0xb8, 0x01, 0x04, 0x00, 0x00, // 7C09 mov eax, 0x401 (L0; R/W0 = LEN0 = 00)
    0x0f, 0x23, 0xf8, //                   7C0F mov dr7, eax
    0x90, 0x90, //                         7C12 nop; nop
    0x43, //                               7C14 inc bx  ← breakpoint
    0xf4, //                               7C15 hlt
  ]);
  m.load(HANDLER, Uint8Array.from([
    0xff, 0x06, 0x00, 0x05, //       inc word [0x500]
    0x89, 0xe5, //                   mov bp, sp
    0x8b, 0x46, 0x00, //             mov ax, [bp]
    0xa3, 0x04, 0x05, //             mov [0x504], ax
    0x0f, 0x21, 0xf0, //             mov eax, dr6
    0xa3, 0x02, 0x05, //             mov [0x502], ax
    0x66, 0x31, 0xc0, //             xor eax, eax
    0x0f, 0x23, 0xf8, //             mov dr7, eax
    0xcf, //                         iret
  ]));
  m.cpu.lo[Reg.RBX] = 0;
  assert.equal(m.run({ maxInstructions: 200 }), StopReason.Halt);
  assert.equal(word(m, COUNT), 1);
  assert.equal(word(m, 0x504), 0x7c14, 'a fault: the saved IP is the breakpoint instruction');
  assert.equal(word(m, 0x502) & 0x400f, 0x0001, 'B0 set, BS clear');
  assert.equal(m.cpu.lo[Reg.RBX] & 0xffff, 1, 'the instruction then ran once');
});
