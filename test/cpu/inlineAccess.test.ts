// inlineAccess.test.ts: MOV loads and stores that translated blocks do inline (emulator/cpu/inlineAccess.ts)
// against the MOV/MOVZX semantics of SDM Vol.2B: every address form and size, a byte register AH–BH
// source, zero extension of 32-bit destinations (Vol.1 §3.4.1.1), a page-crossing access, the #GP(0) of a
// non-canonical address (Vol.3A §3.3.7.1) at an exact instruction count, a store into the running block
// (Vol.3A §11.6) and a data watchpoint on an inline store (Vol.3B §17.3.1.2: reported after it). Each
// loop runs well past TRANSLATE_AFTER passes, so the later passes run translated. Machine code from GNU
// as (objdump -d listings in the comments); expected values are computed here from the data written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatMachine } from '../support/flat';
import { StopReason } from '../../emulator/cpu/step';
import { TRANSLATE_AFTER } from '../../emulator/cpu/translate';

// 1000: mov eax, [rbx+rcx*4+0x10]        | 1004: mov [rdi+rcx*8-8], rax
// 1009: movzx edx, word [rbx+rcx*4+0x10] | 100e: mov [rdi+0x800], dx   | 1015: mov [rdi+0x810], dh
// 101b: movzx edx, byte [rbx+rcx*4+0x12] | 1020: mov [rdi+0x818], dl
// 1026: mov r8, [rdi+rcx*8-8]            | 102b: add r9, r8
// 102e: mov r11d, [rcx*4+0x20010]        | 1036: add r12, r11
// 1039: mov dword [rdi+0x820], 0x12345678 | 1043: mov qword [rdi+0x828], -2
// 104e: mov r10, [rip+0x100] (0x1155)    | 1055: mov r13, [r14]
// 1058: add rcx, 1 | 105c: cmp rcx, rsi | 105f: jne 1000 | 1061: hlt
const FORMS = '8b448b10488944cff80fb7548b106689970008000088b7100800000fb6548b128897180800004c8b44cff84d01c1448b1c8d100002004d01dcc787200800007856341248c78728080000feffffff4c8b15000100004d8b2e4883c1014839f1759ff4';
const PASS = 18;
const SOURCE = 0x20000, DEST = 0x30000, CROSS = 0x40ffc;

/** The dword at SOURCE + 4·j: every byte differs, bit 31 set in some. */
function word(j: number): number {
  return (Math.imul(j + 1, 0x9e3779b1) ^ 0x5a5a5a5a) >>> 0;
}

function formsMachine(passes: number) {
  const m = flatMachine(64);
  m.load(0x1000, Uint8Array.from(Buffer.from(FORMS, 'hex')));
  const src = new Uint8Array(4 * (passes + 8));
  const dv = new DataView(src.buffer);
  for (let j = 0; j < passes + 8; j++) dv.setUint32(4 * j, word(j), true);
  m.load(SOURCE, src);
  m.load(0x1155, Uint8Array.from([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]));
  m.load(CROSS, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])); // straddles the page boundary at 0x41000
  const c = m.cpu;
  for (let r = 0; r < 16; r++) { c.lo[r] = 0; c.hi[r] = 0; }
  c.lo[3] = SOURCE; // rbx
  c.lo[7] = DEST; // rdi
  c.lo[1] = 1; // rcx
  c.lo[6] = passes + 1; // rsi
  c.lo[14] = CROSS; // r14
  c.ripLo = 0x1000;
  m.stateChanged();
  return m;
}

test('inline MOV loads and stores in a translated loop: every address form and size', () => {
  const n = TRANSLATE_AFTER * 3;
  const m = formsMachine(n);
  assert.equal(m.run({ maxInstructions: 1_000_000 }), StopReason.Halt);
  const c = m.cpu;
  assert.equal(c.icount, n * PASS + 1);
  let sum = 0n;
  for (let k = 1; k <= n; k++) {
    const q = m.phys.readBytes(DEST + 8 * (k - 1), 8);
    // MOV r32 zero-extends into RAX, so the qword stored is the dword read.
    assert.equal(Buffer.from(q).readBigUInt64LE(), BigInt(word(k + 4)), `qword ${k}`);
    sum += BigInt(word(k + 4));
  }
  const r9 = (BigInt(c.hi[9] >>> 0) << 32n) | BigInt(c.lo[9] >>> 0);
  assert.equal(r9, sum, 'R9: sum of the qwords read back');
  const r12 = (BigInt(c.hi[12] >>> 0) << 32n) | BigInt(c.lo[12] >>> 0);
  assert.equal(r12, sum, 'R12: the same dwords through [index*4 + disp32]');
  const last = word(n + 4);
  assert.equal(Buffer.from(m.phys.readBytes(DEST + 0x800, 2)).readUInt16LE(), last & 0xffff);
  assert.equal(m.phys.readBytes(DEST + 0x810, 1)[0], (last >>> 8) & 0xff, 'DH: bits 15:8 of EDX');
  assert.equal(m.phys.readBytes(DEST + 0x818, 1)[0], (word(n + 4) >>> 16) & 0xff, 'byte 2 of the dword');
  assert.equal(c.lo[2], (word(n + 4) >>> 16) & 0xff, 'MOVZX r32, r/m8 clears bits 31:8');
  assert.equal(Buffer.from(m.phys.readBytes(DEST + 0x820, 4)).readUInt32LE(), 0x12345678);
  assert.equal(Buffer.from(m.phys.readBytes(DEST + 0x828, 8)).readBigUInt64LE(), 0xffff_ffff_ffff_fffen, 'imm32 sign-extended');
  assert.equal(c.lo[10] >>> 0, 0x44332211);
  assert.equal(c.hi[10] >>> 0, 0x88776655);
  assert.equal(c.lo[13] >>> 0, 0x04030201, 'R13: the qword across the page boundary');
  assert.equal(c.hi[13] >>> 0, 0x08070605);
  assert.equal(c.hi[0], 0, 'MOV r32 clears bits 63:32');
});

test('a write watch on an inline store stops after it, in the pass that makes it', () => {
  const n = TRANSLATE_AFTER * 3;
  const k = TRANSLATE_AFTER + 8;
  const m = formsMachine(n);
  m.watch.add({ space: 'linear', address: DEST + 8 * (k - 1), length: 8, access: 'write' });
  assert.equal(m.run({ maxInstructions: 1_000_000 }), StopReason.Watchpoint);
  assert.equal(m.cpu.ripLo, 0x1009, 'RIP after the store at 1004');
  assert.equal(m.cpu.lo[1], k);
  assert.equal(m.cpu.icount, (k - 1) * PASS + 2);
  assert.equal(Buffer.from(m.phys.readBytes(DEST + 8 * (k - 1), 8)).readBigUInt64LE(), BigInt(word(k + 4)));
});

// 1000: mov rdx, rcx | 1003: shl rdx, 42 | 1007: mov rax, [rbx+rdx] | 100b: add rcx, 1 | 100f: jmp 1000
const NON_CANONICAL = '4889ca48c1e22a488b04134883c101ebef';

test('an inline load of a non-canonical address is #GP(0) at the exact instruction and count', () => {
  const m = flatMachine(64);
  m.load(0x1000, Uint8Array.from(Buffer.from(NON_CANONICAL, 'hex')));
  m.cpu.lo[1] = 0; m.cpu.hi[1] = 0;
  m.cpu.lo[3] = 0x2000; m.cpu.hi[3] = 0;
  m.cpu.ripLo = 0x1000;
  m.stateChanged();
  m.exec.stopOnException = true;
  // RBX + RCX·2^42 is canonical (bit 47 clear) for RCX < 32; RCX = 32 sets bit 47 alone.
  assert.equal(m.run({ maxInstructions: 1_000_000 }), StopReason.Exception);
  assert.equal(m.exec.lastException?.vector, 13);
  assert.equal(m.exec.lastException?.errorCode, 0);
  assert.equal(m.cpu.ripLo, 0x1007);
  assert.equal(m.cpu.lo[1], 32);
  assert.equal(m.cpu.icount, 32 * 5 + 2);
});

// 1000: add rcx, 1 | 1004: cmp rcx, 20 | 1008: cmove rdi, rbx | 100c: mov [rdi], ax
// 100f: add rdx, 1 (imm8 at 1012) | 1013: jmp 1000
const SMC = '4883c1014883f914480f44fb6689074883c201ebeb';

test('an inline store into the running block takes effect at the next instruction', () => {
  const m = flatMachine(64);
  m.load(0x1000, Uint8Array.from(Buffer.from(SMC, 'hex')));
  const c = m.cpu;
  c.lo[0] = 0xeb05; // ax: imm8 5, then the JMP opcode unchanged
  c.lo[1] = 0;
  c.lo[2] = 0;
  c.lo[3] = 0x1012; // rbx: the imm8 of add rdx, 1
  c.lo[7] = 0x3000; // rdi: data until pass 20
  c.ripLo = 0x1000;
  m.stateChanged();
  assert.equal(m.run({ maxInstructions: 6 * 20 }), StopReason.Limit);
  assert.equal(c.lo[2], 19 + 5, 'pass 20 adds the new immediate');
  assert.equal(c.ripLo, 0x1000);
});

// 1000: lea rax, [rbx+rcx*8-0x10] | 1005: lea edx, [rbx+rcx*2+0x7fffffff] | 100c: lea r8, [rip-0x2000]
// 1013: lea r9, [rcx*4+0x100] | 101b: lea r10, [rbx+0x40] | 101f: lea r11d, [rsi]
// 1022: add r12, rax | 1025: add r13, rdx | 1028: add rcx, 1 | 102c: cmp rcx, 40 | 1030: jb 1000 | 1032: hlt
const LEA = '488d44cbf08d944bffffff7f4c8d0500e0ffff4c8d0c8d000100004c8d5340448d1e4901c44901d54883c1014883f92872cef4';

test('inline LEA: 64-bit wrap-around, a 32-bit destination truncated and zero-extended, RIP-relative', () => {
  const m = flatMachine(64);
  m.load(0x1000, Uint8Array.from(Buffer.from(LEA, 'hex')));
  const c = m.cpu;
  for (let r = 0; r < 16; r++) { c.lo[r] = 0; c.hi[r] = 0; }
  c.lo[3] = -8; c.hi[3] = -1; // rbx = -8
  c.lo[6] = 0x23456789; c.hi[6] = 1; // rsi
  c.ripLo = 0x1000;
  m.stateChanged();
  assert.equal(m.run({ maxInstructions: 1_000_000 }), StopReason.Halt);
  const M64 = (1n << 64n) - 1n;
  const reg = (r: number): bigint => (BigInt(c.hi[r] >>> 0) << 32n) | BigInt(c.lo[r] >>> 0);
  const rbx = M64 - 7n;
  let r12 = 0n, r13 = 0n;
  for (let n = 0n; n < 40n; n++) {
    r12 = (r12 + ((rbx + 8n * n - 16n) & M64)) & M64;
    r13 = (r13 + ((rbx + 2n * n + 0x7fffffffn) & 0xffff_ffffn)) & M64;
  }
  assert.equal(reg(12), r12);
  assert.equal(reg(13), r13);
  assert.equal(reg(0), (rbx + 8n * 39n - 16n) & M64);
  assert.equal(reg(8), (0x1013n - 0x2000n) & M64, 'next RIP - 0x2000');
  assert.equal(reg(9), 39n * 4n + 0x100n);
  assert.equal(reg(10), (rbx + 0x40n) & M64);
  assert.equal(reg(11), 0x23456789n, 'LEA r32 keeps bits 31:0 and clears 63:32');
  assert.equal(c.icount, 40 * 11 + 1);
});

// 1000: movsxd rax, [rbx+rcx*4] | 1004: add r8, rax | 1007: movsxd rdx, eax | 100a: add r9, rdx
// 100d: mov r10d, 0x89abcdef | 1013: movabs r11, 0x123456789abcdef0
// 101d: add rcx, 1 | 1021: cmp rcx, 40 | 1025: jb 1000 | 1027: hlt
const SIGN = '4863048b4901c04863d04901d141baefcdab8949bbf0debc9a785634124883c1014883f92872d9f4';

test('inline MOVSXD r64, r/m32 copies bit 31 into bits 63:32; MOV r32, imm32 zero-extends, MOV r64, imm64', () => {
  const m = flatMachine(64);
  m.load(0x1000, Uint8Array.from(Buffer.from(SIGN, 'hex')));
  const src = new Uint8Array(4 * 40);
  for (let j = 0; j < 40; j++) new DataView(src.buffer).setUint32(4 * j, word(j), true);
  m.load(SOURCE, src);
  const c = m.cpu;
  for (let r = 0; r < 16; r++) { c.lo[r] = 0; c.hi[r] = 0; }
  c.lo[3] = SOURCE;
  c.lo[10] = -1; c.hi[10] = -1; // r10: bits 63:32 must be cleared
  c.ripLo = 0x1000;
  m.stateChanged();
  assert.equal(m.run({ maxInstructions: 1_000_000 }), StopReason.Halt);
  const reg = (r: number): bigint => (BigInt(c.hi[r] >>> 0) << 32n) | BigInt(c.lo[r] >>> 0);
  let sum = 0n;
  for (let j = 0; j < 40; j++) sum += BigInt(word(j) | 0);
  const M64 = (1n << 64n) - 1n;
  assert.equal(reg(8), sum & M64, 'sum of the sign-extended dwords (memory form)');
  assert.equal(reg(9), sum & M64, 'the same through the register form');
  assert.equal(reg(0), BigInt(word(39) | 0) & M64);
  assert.equal(reg(10), 0x89abcdefn);
  assert.equal(reg(11), 0x123456789abcdef0n);
  assert.equal(c.icount, 40 * 9 + 1);
});
