// format.ts: number formatting shared by the evaluator and the REPL — 64-bit values as the debugger
// prints them (0x-prefixed lowercase hex like GDB, fixed-width hex for aligned columns like Bochs).

const MASK64 = (1n << 64n) - 1n;

/** `0x7c00`: GDB's `p/x` form of an unsigned value. */
export function hex(value: bigint | number): string {
  const v = typeof value === 'number' ? BigInt(Math.floor(value)) : value;
  return '0x' + (v & MASK64).toString(16);
}

/** Zero-padded hex of `digits` digits with the 0x prefix: `0x0000000000007c00` (digits 16). */
export function hexPad(value: bigint | number, digits: number): string {
  const v = typeof value === 'number' ? BigInt(Math.floor(value)) : value;
  return '0x' + (v & MASK64).toString(16).padStart(digits, '0');
}

/** A value read as `bytes` bytes, reinterpreted as two's-complement signed (for `d` formats). */
export function signed(value: bigint, bytes: number): bigint {
  return BigInt.asIntN(bytes * 8, value);
}

/** Pads each column of a table to its widest cell (left-aligned; the last column is not padded). */
export function columns(rows: string[][], gap = 2): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, k) => { widths[k] = Math.max(widths[k] ?? 0, c.length); });
  return rows.map((r) => r.map((c, k) => (k === r.length - 1 ? c : c.padEnd(widths[k] + gap))).join('').trimEnd()).join('\n');
}

/** A byte as a printable character, or `\xNN`/C escape the way GDB's `x/c` shows it. */
export function charOf(byte: number): string {
  const escapes: Record<number, string> = { 0: '\\0', 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 39: "\\'", 92: '\\\\' };
  if (escapes[byte] !== undefined) return escapes[byte];
  if (byte >= 0x20 && byte < 0x7f) return String.fromCharCode(byte);
  return '\\' + byte.toString(8).padStart(3, '0');
}

/** Zero-padded hex of a value wider than 64 bits (XMM registers, x87 registers): not masked. */
export function hexWide(value: bigint, digits: number): string {
  return '0x' + value.toString(16).padStart(digits, '0');
}
