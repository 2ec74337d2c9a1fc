// program.ts: assembles a whole boot program for loading — the flat image at its origin, its symbols and
// its line table — in the shape the loaders take (emulator/loaders/boot.ts `Assemble`), so `trampoline
// run` and the debug adapter assemble a `.S` file identically.
import { assemble, AssembleOptions, Diagnostic, flatBinary, formatDiagnostic } from './index';

export interface ProgramOptions extends AssembleOptions {
  /** The default code size of the boot state, as `as --32`/`--64` would give; the source's .codeNN rules. */
  codeSize: 16 | 32 | 64;
}

/**
 * The section in which a program declares code that runs from a copy, for the debugger: triples of
 * quads (start, end, runtime address) — `.quad lvl5_trampoline, lvl5_trampoline_end, 0x7c00` says the
 * bytes assembled at [start, end) execute at 0x7c00. GNU as accepts it too; it is left out of the image.
 */
export const COPIES_SECTION = '.trampoline.copies';

export interface CopyRange {
  start: number;
  end: number;
  runtime: number;
}

/** The triples of a COPIES_SECTION's contents (from our assembly, or from a linked ELF's section). */
export function parseCopies(data: Uint8Array): CopyRange[] {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const q = (k: number): number => v.getUint32(k, true) + v.getUint32(k + 4, true) * 2 ** 32;
  const out: CopyRange[] = [];
  for (let k = 0; k + 24 <= data.length; k += 24) out.push({ start: q(k), end: q(k + 8), runtime: q(k + 16) });
  return out;
}

export type ProgramResult =
  | {
    ok: true; image: Uint8Array; symbols: { name: string; value: number }[]; constants: { name: string; value: number }[];
    lines: { address: number; size: number; file: string; line: number }[]; copies: CopyRange[]; warnings: string[];
    /** The program's own object-like #defines (name → replacement text; the compiler's predefined ones left out). */
    defines: Map<string, string>;
  }
  | { ok: false; errors: string[] };

export function assembleProgram(text: string, o: ProgramOptions): ProgramResult {
  // The code size goes on line 1 in front of the text, so diagnostics keep their line numbers (columns on
  // line 1 are moved back).
  const prefix = o.codeSize === 16 ? '.code16; ' : o.codeSize === 32 ? '.code32; ' : '';
  const macros = new Map<string, string>();
  const asm = assemble(prefix + text, { ...o, macrosOut: macros });
  for (const k of [...macros.keys()]) if (/^__|^_LP64$/.test(k)) macros.delete(k);
  const unprefix = (d: Diagnostic): Diagnostic => (d.file === o.file && d.line === 1 && d.col > prefix.length ? { ...d, col: d.col - prefix.length } : d);
  if (asm.errors.length) return { ok: false, errors: asm.errors.map((d) => formatDiagnostic(unprefix(d))) };
  const origin = o.origin ?? 0;
  const copies = asm.sections.filter((x) => x.name === COPIES_SECTION).flatMap((x) => parseCopies(x.data));
  return {
    ok: true,
    image: flatBinary(asm.sections.filter((x) => x.name !== COPIES_SECTION), origin),
    symbols: asm.symbols.filter((s) => s.section !== null && s.section !== COPIES_SECTION).map((s) => ({ name: s.name, value: s.value })),
    constants: asm.symbols.filter((s) => s.section === null).map((s) => ({ name: s.name, value: s.value })),
    copies,
    defines: macros,
    lines: asm.lines.filter((l) => l.insn).map((l) => ({ address: l.address, size: l.size, file: l.file, line: l.line })),
    warnings: asm.warnings.map((d) => formatDiagnostic(unprefix(d))),
  };
}
