// nops.ts: the padding GNU as (2.40) writes when aligning code: its multi-byte NOP patterns (tc-i386.c:
// alt_patt for 32/64-bit code when the architecture has NOPL — the x86-64 default —, f32_patt, LEA-based,
// when it has not — `as --32`, whose default generic32 lacks it —, f16_patt for 16-bit code), the longest
// first and the remainder last, and a jump over them once the padding reaches 3 NOPs of the longest size
// (16-bit, f32_patt) or 8 (alt_patt): jmp rel8, or jmp rel32 (66 E9 in 16-bit code) beyond its reach
// (i386_generate_nops). Thresholds checked against GNU as for pad sizes 1–255 (test/asm/fixtures/align*.S;
// f32_patt: test/asm/nops32.test.ts).
import { Mode } from './select';

const ALT: number[][] = [
  [0x90],
  [0x66, 0x90],
  [0x0f, 0x1f, 0x00],
  [0x0f, 0x1f, 0x40, 0x00],
  [0x0f, 0x1f, 0x44, 0x00, 0x00],
  [0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
  [0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
  [0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
  [0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
  [0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
  [0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
];
// 32/64-bit without NOPL: nop; xchg %ax,%ax; lea 0(%esi),%esi; lea 0(%esi,%eiz,1),%esi; (none of 5: the
// 4-byte one and a nop, as i386_output_nops does); lea 0L(%esi),%esi; lea 0L(%esi,%eiz,1),%esi.
const F32: number[][] = [
  [0x90],
  [0x66, 0x90],
  [0x8d, 0x76, 0x00],
  [0x8d, 0x74, 0x26, 0x00],
  [0x8d, 0x74, 0x26, 0x00, 0x90],
  [0x8d, 0xb6, 0x00, 0x00, 0x00, 0x00],
  [0x8d, 0xb4, 0x26, 0x00, 0x00, 0x00, 0x00],
];
// 16-bit: nop; xchg %ax,%ax; lea 0(%si),%si; lea 0w(%si),%si.
const F16: number[][] = [[0x90], [0x66, 0x90], [0x8d, 0x74, 0x00], [0x8d, 0xb4, 0x00, 0x00]];

function fill(count: number, patt: number[][]): number[] {
  const out: number[] = [];
  const max = patt.length;
  while (count > 0) {
    const n = Math.min(count, max);
    out.push(...patt[n - 1]);
    count -= n;
  }
  return out;
}

/** `count` bytes of NOP padding for code of the given mode; `nopl` false for an architecture without NOPL. */
export function nopPadding(count: number, mode: Mode, nopl = true): number[] {
  const patt = mode === 16 ? F16 : nopl ? ALT : F32;
  if (count < (patt === ALT ? 8 : 3) * patt.length) return fill(count, patt);
  if (count - 2 <= 127) return [0xeb, count - 2, ...fill(count - 2, patt)];
  const jmp = mode === 16 ? [0x66, 0xe9] : [0xe9];
  const rest = count - jmp.length - 4;
  return [...jmp, rest & 0xff, (rest >> 8) & 0xff, 0, 0, ...fill(rest, patt)];
}
