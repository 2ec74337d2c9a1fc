// inlineBody.ts: handlers whose whole body translated blocks (translate.ts) may paste inline, with the
// Insn's fields as constants. Only register forms are registered (exec/moveFast.ts): their body reads
// and writes registers alone, so it neither faults, nor reads RIP, nor sets cpu.attention, and needs no
// call, no RIP store and no attention check after it.
import type { Handler, Insn } from './insn';

/**
 * Handler → its body, as the source its `new Function` template compiled: statements over `cpu` and
 * the Insn `i`, of which only i.rm, i.reg, i.immLo and i.immHi may appear.
 */
export const INLINE_BODY = new WeakMap<Handler, string>();

/** The body of a registered handler with `i`'s fields as constants; null if it reads any other field. */
export function inlineBody(source: string, i: Insn): string | null {
  const out = source
    .replace(/cpu\.lo\[/g, 'L[')
    .replace(/cpu\.hi\[/g, 'H[')
    .replace(/\bi\.(rm|reg|immLo|immHi)\b/g, (_, f: 'rm' | 'reg' | 'immLo' | 'immHi') => `(${i[f] | 0})`);
  return /\bi\./.test(out) ? null : `{ ${out} }`;
}
