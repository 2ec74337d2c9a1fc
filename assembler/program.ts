// program.ts: assembles a whole boot program for loading — the flat image at its origin, its symbols and
// its line table — in the shape the loaders take (emulator/loaders/boot.ts `Assemble`), so `trampoline
// run` and the debug adapter assemble a `.S` file identically.
import { assemble, AssembleOptions, Diagnostic, flatBinary, formatDiagnostic } from './index';

export interface ProgramOptions extends AssembleOptions {
  /** The default code size of the boot state, as `as --32`/`--64` would give; the source's .codeNN rules. */
  codeSize: 16 | 32 | 64;
}

export type ProgramResult =
  | { ok: true; image: Uint8Array; symbols: { name: string; value: number }[]; lines: { address: number; size: number; file: string; line: number }[]; warnings: string[] }
  | { ok: false; errors: string[] };

export function assembleProgram(text: string, o: ProgramOptions): ProgramResult {
  // The code size goes on line 1 in front of the text, so diagnostics keep their line numbers (columns on
  // line 1 are moved back).
  const prefix = o.codeSize === 16 ? '.code16; ' : o.codeSize === 32 ? '.code32; ' : '';
  const asm = assemble(prefix + text, o);
  const unprefix = (d: Diagnostic): Diagnostic => (d.file === o.file && d.line === 1 && d.col > prefix.length ? { ...d, col: d.col - prefix.length } : d);
  if (asm.errors.length) return { ok: false, errors: asm.errors.map((d) => formatDiagnostic(unprefix(d))) };
  const origin = o.origin ?? 0;
  return {
    ok: true,
    image: flatBinary(asm.sections, origin),
    symbols: asm.symbols.filter((s) => s.section !== null).map((s) => ({ name: s.name, value: s.value })),
    lines: asm.lines.filter((l) => l.insn).map((l) => ({ address: l.address, size: l.size, file: l.file, line: l.line })),
    warnings: asm.warnings.map((d) => formatDiagnostic(unprefix(d))),
  };
}
