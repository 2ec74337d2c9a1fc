// translate.ts: the block translator. A block the run loop has interpreted often enough becomes one
// JavaScript function (built once with `new Function`) that calls its instructions' handlers in order
// with each Insn as a constant. Every call site then sees a single target, so V8 can inline the
// handler, and the loop's per-instruction loads and indirect call disappear. The handlers stay the
// only definition of what an instruction does; this file only strings calls together.
import type { Block } from './codeCache';
import { RIP_FREE } from './insn';
import type { Cpu } from './state';

/** Runs the whole block (or up to the first instruction that sets cpu.attention); returns how many retired. */
export type BlockFn = (cpu: Cpu) => number;

/** Interpretations of a block before it is translated: code that runs a few times is not worth compiling. */
export const TRANSLATE_AFTER = 12;

/** Index in its block of the instruction that raised the last fault out of a translated block. */
export const blockFault = { pos: 0 };

/**
 * Builds the function for a block. Semantics match Executor.run's interpreter loop exactly:
 * - RIP holds the next instruction's address while a handler runs. Handlers in RIP_FREE do not look
 *   at it, so it is stored only before the others and before the last instruction, and when the block
 *   leaves early for cpu.attention after an RIP_FREE instruction.
 * - cpu.attention is checked after every instruction (self-modifying code, STI/MOV SS shadows …).
 * - A Jcc before the last instruction leaves the block when taken, as in the interpreter loop.
 * - A fault leaves the index of the faulting instruction in blockFault.pos; the caller restores RIP
 *   and the instruction count from it as for the interpreter.
 */
export function translate(b: Block): BlockFn {
  const insns = b.insns;
  const n = insns.length;
  const body: string[] = [];
  for (let k = 0; k < n; k++) {
    const i = insns[k];
    const last = k === n - 1;
    const free = !last && RIP_FREE.has(i.fn);
    if (k !== 0) body.push(`k = ${k};`);
    if (!free) body.push(`cpu.ripLo = ${i.nextLo}; cpu.ripHi = ${i.nextHi};`);
    body.push(`f${k}(cpu, i${k});`);
    if (last) body.push(`return ${n};`);
    // A Jcc inside the block (Executor.build): taken, it leaves the block (RIP is no longer the next one).
    else if (i.form.branch) body.push(`if (cpu.attention !== 0 || cpu.ripLo !== ${i.nextLo} || cpu.ripHi !== ${i.nextHi}) return ${k + 1};`);
    else if (free) body.push(`if (cpu.attention !== 0) { cpu.ripLo = ${i.nextLo}; cpu.ripHi = ${i.nextHi}; return ${k + 1}; }`);
    else body.push(`if (cpu.attention !== 0) return ${k + 1};`);
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
  const make = new Function('F', 'I', 'out', src) as (f: unknown[], i: unknown[], out: { pos: number }) => BlockFn;
  return make(insns.map((i) => i.fn), insns, blockFault);
}
