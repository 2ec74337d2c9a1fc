// variableTree.ts: the shape the variables view is built from — entries with lazily computed children
// and an optional setter — and the number formatting and parsing every view shares. Views (registerViews.ts,
// tableViews.ts) produce entries; variables.ts turns them into DAP variables and references.

export interface Entry {
  name: string;
  value: string;
  /** Shown as the variable's type (DAP `type`): the SDM description of a field, the width of a value. */
  type?: string;
  /** Linear address for VS Code's memory view (DAP `memoryReference`). */
  memoryReference?: string;
  /** An expression that reads it (DAP `evaluateName`). */
  evaluateName?: string;
  children?: Children;
  /** Sets it from the user's text; returns null or an error message. */
  set?: (text: string) => string | null;
}

/** Children: a named list, or an indexed one computed per index (GDT/IDT entries). */
export type Children =
  | { kind: 'named'; list: () => Entry[] }
  | { kind: 'indexed'; count: number; at: (index: number) => Entry };

export const named = (list: () => Entry[]): Children => ({ kind: 'named', list });

export { hex, hexPad } from './format';

/**
 * Parses a value typed into the variables view: 0x hex, 0b binary, decimal (optionally negative,
 * `_` separators allowed), `true`/`false` where `bits` is 1, or a label of the program. null when none fits.
 */
export function parseValue(text: string, bits: number, label?: (name: string) => number | undefined): bigint | null {
  // A value copied from the view keeps its annotation (`0x…446 [PF ZF DF]`, `0x… <label>`): drop it.
  const t = text.trim().replace(/\s+[[<(].*$/, '').replace(/_/g, '');
  if (bits === 1 && /^(true|false)$/i.test(t)) return t.toLowerCase() === 'true' ? 1n : 0n;
  const m = /^(-)?(0x[0-9a-f]+|0b[01]+|[0-9]+)$/i.exec(t);
  if (m !== null) {
    const v = BigInt(m[2]);
    return m[1] === undefined ? v : -v;
  }
  const l = label?.(t);
  return l === undefined ? null : BigInt(l);
}

/** The message for text parseValue rejected. */
export function badValue(text: string, what: string, bits: number): string {
  const forms = bits === 1 ? '0, 1, true or false' : 'a number (0x… hex, 0b… binary or decimal) or a label';
  return `${what}: '${text.trim()}' is not ${forms}`;
}
