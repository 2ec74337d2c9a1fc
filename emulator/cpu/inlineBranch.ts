// inlineBranch.ts: source text for a Jcc in a translated block of 64-bit code (translate.ts): the
// condition (SDM Vol.1 Appendix B, read through the lazy-flag functions of flags.ts, as exec/branch.ts's
// jccN handlers read it) and the jump out of the block, without a call. Only for a target whose bits
// 63:32 are all 0 or all 1: that is canonical with 48- and 57-bit linear addresses alike, so the #GP(0)
// check of the handler (branch.ts checkTarget, SDM Vol.2A Jcc) cannot fire; other targets keep the call.
import type { Insn } from './insn';

/** Names the generated code uses, bound by translate.ts to flags.ts's functions of the same names. */
export const BRANCH_NAMES = ['of', 'cf', 'zf', 'sf', 'pf'];

/** The condition of cc 2n; cc 2n + 1 is its negation (SDM Vol.1 Table B-1). */
const CONDITIONS = [
  'of(cpu)', 'cf(cpu)', 'zf(cpu)', 'cf(cpu) || zf(cpu)', 'sf(cpu)', 'pf(cpu)', 'sf(cpu) !== of(cpu)', 'zf(cpu) || sf(cpu) !== of(cpu)',
];

/**
 * The inline Jcc of 64-bit code, or null: when taken it sets RIP to the target and returns `position`
 * (the instructions retired, this one included); not taken, it falls through. RIP is left as the
 * caller stored it (the next instruction's address) otherwise. A Jcc sets no attention bit, so no
 * attention check follows.
 */
export function inlineJcc(i: Insn, position: number): string | null {
  if (!i.form.name.startsWith('jcc_')) return null;
  const hi = i.targetHi | 0;
  if (hi !== 0 && hi !== -1) return null;
  const cc = i.cc & 15;
  const test = (cc & 1) === 0 ? `(${CONDITIONS[cc >> 1]})` : `!(${CONDITIONS[cc >> 1]})`;
  return `if (${test}) { cpu.ripLo = ${i.targetLo | 0}; cpu.ripHi = ${hi}; return ${position}; }`;
}
