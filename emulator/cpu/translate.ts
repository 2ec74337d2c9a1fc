// translate.ts: the block translator. A block the run loop has interpreted often enough becomes one
// JavaScript function (built once with `new Function`) that calls its instructions' handlers in order
// with each Insn as a constant. Every call site then sees a single target, so V8 can inline the
// handler, and the loop's per-instruction loads and indirect call disappear. The handlers stay the
// definition of what an instruction does; this file strings calls together, and pastes in their place
// the exact inline forms of the commonest ones: register-only bodies (inlineBody.ts), and in 64-bit
// code MOV loads and stores through the TLB fast path and LEA (inlineAccess.ts), and Jcc (inlineBranch.ts).
import type { Block } from './codeCache';
import { INLINE_LEA, INLINE_MOV, INLINE_NAMES, inlineLea, inlineMov } from './inlineAccess';
import { BRANCH_NAMES, inlineJcc } from './inlineBranch';
import { INLINE_BODY, inlineBody } from './inlineBody';
import { cf, of, pf, sf, zf } from './flags';
import { RIP_FREE } from './insn';
import { CodeSize, type Cpu } from './state';

/** Runs the whole block (or up to the first instruction that sets cpu.attention); returns how many retired. */
export type BlockFn = (cpu: Cpu) => number;

/** Interpretations of a block before it is translated: code that runs a few times is not worth compiling. */
export const TRANSLATE_AFTER = 12;

/** Index in its block of the instruction that raised the last fault out of a translated block. */
export const blockFault = { pos: 0 };

/**
 * Builds the function for a block of the Executor `cpu` belongs to. Semantics match Executor.run's
 * interpreter loop exactly:
 * - RIP holds the next instruction's address while a handler runs. Handlers in RIP_FREE do not look
 *   at it, so it is stored only before the others and before the last instruction, and when the block
 *   leaves early for cpu.attention after an RIP_FREE instruction.
 * - cpu.attention is checked after every instruction (self-modifying code, STI/MOV SS shadows …),
 *   except after inline code that cannot set it: a MOV that took the TLB fast path, LEA, Jcc, and
 *   register-only bodies.
 * - A Jcc before the last instruction leaves the block when taken, as in the interpreter loop.
 * - A fault leaves the index of the faulting instruction in blockFault.pos; the caller restores RIP
 *   and the instruction count from it as for the interpreter.
 */
export function translate(b: Block, cpu: Cpu): BlockFn {
  const insns = b.insns;
  const code64 = b.codeSize === CodeSize.Bits64;
  const n = insns.length;
  const body: string[] = [];
  for (let k = 0; k < n; k++) {
    const i = insns[k];
    const last = k === n - 1;
    const free = !last && RIP_FREE.has(i.fn);
    if (k !== 0) body.push(`k = ${k};`);
    if (!free) body.push(`cpu.ripLo = ${i.nextLo}; cpu.ripHi = ${i.nextHi};`);
    const call = `f${k}(cpu, i${k});`;
    let check: string;
    if (last) check = `return ${n};`;
    // A Jcc inside the block (Executor.build): taken, it leaves the block (RIP is no longer the next one).
    else if (i.form.branch) check = `if (cpu.attention !== 0 || cpu.ripLo !== ${i.nextLo} || cpu.ripHi !== ${i.nextHi}) return ${k + 1};`;
    else if (free) check = `if (cpu.attention !== 0) { cpu.ripLo = ${i.nextLo}; cpu.ripHi = ${i.nextHi}; return ${k + 1}; }`;
    else check = `if (cpu.attention !== 0) return ${k + 1};`;
    // 64-bit code only: there the segment bases the inline address ignores are 0 (inlineAccess.ts), and
    // a branch target is checked for canonical form alone (inlineBranch.ts).
    const jcc = code64 && i.form.branch ? inlineJcc(i, k + 1) : null;
    if (jcc !== null) {
      body.push(jcc);
      if (last) body.push(`return ${n};`);
      continue;
    }
    const source = INLINE_BODY.get(i.fn);
    const pasted = source !== undefined ? inlineBody(source, i) : null;
    if (pasted !== null) {
      // A register-only body: no fault, no attention (inlineBody.ts).
      body.push(pasted);
      if (last) body.push(check);
      continue;
    }
    const leaBits = code64 ? INLINE_LEA.get(i.fn) : undefined;
    const lea = leaBits !== undefined ? inlineLea(i, leaBits) : null;
    if (lea !== null) {
      // LEA touches neither memory nor attention: only the last instruction stores RIP and returns.
      body.push(lea);
      if (last) body.push(check);
      continue;
    }
    const shape = code64 ? INLINE_MOV.get(i.fn) : undefined;
    const inline = shape !== undefined ? inlineMov(i, shape, last ? call : `${call} ${check}`) : null;
    if (inline === null) body.push(call, check);
    else body.push(inline, ...(last ? [check] : []));
  }
  const consts = insns.map((_, k) => `const f${k} = F[${k}], i${k} = I[${k}];`).join('\n');
  const src = `${consts}
return function block(cpu) {
  let k = 0;
  try {
    ${body.join('\n    ')}
  } catch (e) {
    out.pos = k;
    throw e;
  }
};`;
  const make = new Function('F', 'I', 'out', ...INLINE_NAMES, ...BRANCH_NAMES, src) as (...deps: unknown[]) => BlockFn;
  const mem = cpu.mem;
  return make(insns.map((i) => i.fn), insns, blockFault, cpu.lo, cpu.hi, mem.tagLo, mem.tagHi, mem.rd, mem.wr, mem.pool, mem.view,
    of, cf, zf, sf, pf);
}
