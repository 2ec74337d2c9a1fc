// sseMove.diff.test.ts: the SSE data moves (MOVAPS, MOVUPS, MOVDQA, MOVDQU, MOVD, MOVQ, PXOR, XORPS) against
// the host CPU: register and memory forms, XMM8–15, the zeroing of the upper bits by MOVD/MOVQ, and #GP(0)
// for a misaligned MOVAPS, MOVDQA, PXOR or XORPS operand. DATA: 0x000 input bytes (a pattern), 0x100 the
// outputs (AAh first), compared byte for byte with the fault vector and place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostCpuAvailable, hostRegs, HostCase } from '../host/hostCpu';
import { blob, DATA, runBoth } from './fpuHost';

const skip = hostCpuAvailable();
const IN = DATA, OUT = DATA + 0x100;
const WINDOW = 0x300;

function input(): Uint8Array {
  const d = new Uint8Array(WINDOW);
  for (let k = 0; k < 0x100; k++) d[k] = (k * 37 + 11) & 0xff;
  d.fill(0xaa, 0x100);
  return d;
}

/** Loads XMM0–7 (and 8–15 in 64-bit code) with distinct values first. */
function prologue(mode: 32 | 64): string {
  const n = mode === 64 ? 16 : 8;
  return Array.from({ length: n }, (_, k) => `movdqu ${IN + 16 * (k % 12)}, %xmm${k}`).join('\n');
}

/** Stores every XMM register at OUT + 0x100 … so register results are compared too. */
function epilogue(mode: 32 | 64): string {
  const n = mode === 64 ? 16 : 8;
  return Array.from({ length: n }, (_, k) => `movups %xmm${k}, ${OUT + 0x100 + 16 * k}`).join('\n');
}

interface Case { name: string; mode: 32 | 64; asm: string }

const CASES: Case[] = [
  { name: 'MOVAPS/MOVUPS/MOVDQA/MOVDQU between registers and memory', mode: 64,
    asm: `movaps ${IN + 0x20}, %xmm1\nmovups ${IN + 0x23}, %xmm9\nmovdqa ${IN + 0x40}, %xmm15\nmovdqu ${IN + 0x41}, %xmm2\n` +
      `movaps %xmm1, ${OUT}\nmovups %xmm9, ${OUT + 0x11}\nmovdqa %xmm15, ${OUT + 0x20}\nmovdqu %xmm2, ${OUT + 0x33}\nmovaps %xmm3, %xmm10\nmovdqa %xmm11, %xmm4\nmovups %xmm5, %xmm5` },
  { name: 'MOVD/MOVQ with general registers and memory zero bits 127:32 / 127:64', mode: 64,
    asm: `movq $-2, %rax\nmovd %eax, %xmm1\nmovq %rax, %xmm2\nmovd ${IN + 5}, %xmm3\nmovq ${IN + 9}, %xmm4\nmovq %xmm5, %xmm12\n` +
      `movd %xmm6, %ecx\nmovq %xmm7, %rdx\nmovd %xmm8, ${OUT}\nmovq %xmm9, ${OUT + 7}\nmov %ecx, ${OUT + 0x10}\nmov %rdx, ${OUT + 0x18}\n` +
      `.byte 0x66, 0x41, 0x0f, 0xd6, 0xc3 # movq %xmm0,%xmm11 (66 0F D6, register destination)` },
  { name: 'PXOR and XORPS, register and aligned memory', mode: 64,
    asm: `pxor %xmm1, %xmm2\npxor ${IN + 0x30}, %xmm3\nxorps %xmm4, %xmm4\nxorps ${IN + 0x50}, %xmm13\npxor %xmm14, %xmm14` },
  { name: '32-bit code: the same moves', mode: 32,
    asm: `movaps ${IN + 0x10}, %xmm1\nmovdqu ${IN + 0x17}, %xmm2\nmovd ${IN + 3}, %xmm3\nmovq ${IN + 0x21}, %xmm4\nmovq %xmm5, ${OUT}\nmovd %xmm6, %eax\nmov %eax, ${OUT + 8}\npxor %xmm7, %xmm1\nxorps ${IN + 0x60}, %xmm0` },
  { name: 'MOVAPS from a misaligned address: #GP(0)', mode: 64, asm: `movaps ${IN + 8}, %xmm0` },
  { name: 'MOVDQA to a misaligned address: #GP(0)', mode: 64, asm: `movdqa %xmm0, ${OUT + 4}` },
  { name: 'PXOR with a misaligned operand: #GP(0)', mode: 32, asm: `pxor ${IN + 1}, %xmm0` },
  { name: 'XORPS with a misaligned operand: #GP(0)', mode: 64, asm: `xorps ${IN + 12}, %xmm3` },
];

test('SSE data moves leave the same bytes and faults as the host CPU', { skip: skip ?? false }, () => {
  const hostCases: HostCase[] = CASES.map((c) => ({ mode: c.mode, code: blob(c.mode, `${prologue(c.mode)}\n${c.asm}\n${epilogue(c.mode)}`), regs: hostRegs(), rflags: 0, data: { offset: 0, bytes: input() } }));
  const results = runBoth(hostCases);
  const problems: string[] = [];
  results.forEach(({ host, emu }, k) => {
    const c = CASES[k];
    if (host.vector !== emu.vector || host.at !== emu.at) problems.push(`${c.name}: fault host ${host.vector}@${host.at}, emulator ${emu.vector}@${emu.at}`);
    for (let o = 0x100; o < WINDOW; o += 16) {
      const hs = Buffer.from(host.data.subarray(o, o + 16)).toString('hex'), es = Buffer.from(emu.data.subarray(o, o + 16)).toString('hex');
      if (hs !== es) problems.push(`${c.name}: DATA+${o.toString(16)} host ${hs} emulator ${es}`);
    }
  });
  assert.deepEqual(problems, []);
  // Guards against vacuous agreement: the misaligned cases really fault on the host, the others do not.
  assert.deepEqual(results.map((r) => r.host.vector), [-1, -1, -1, -1, 13, 13, 13, 13]);
});
