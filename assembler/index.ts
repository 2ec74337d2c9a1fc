// index.ts: the built-in GNU as (AT&T syntax) compatible assembler: assemble() turns source text into
// sections, symbols and a line table, reporting every error of the file in GAS's words.
// Covered so far: the C preprocessor for .S files (cpp.ts), GAS macros, .rept/.irp, .if and .include
// (reader.ts), expressions, labels (numeric locals too), equates, section/data/alignment directives, every
// instruction of emulator/isa/table.ts with GAS's encoding choices and branch relaxation; listings
// (listing.ts), ELF images (elf.ts) and relocatable objects (relocate.ts, elfObject.ts).
import { Diagnostic, Diagnostics } from './errors';
import { Unit } from './layout';
import { nopPadding } from './nops';
import { LineEntry, SectionOut, SymbolOut, flatBinary, linesOut, sectionsOut, symbolsOut } from './output';
import { Parser } from './parser';
import { SourceLine, preprocessC } from './cpp';
import { Reader } from './reader';
import { formatListing } from './listing';
import type { RelocOut } from './relocate';

export interface AssembleOptions {
  /** File name used in diagnostics and the line table. */
  file: string;
  /** Reads an included file (#include, .include, and .incbin without readBinary); null when it does not exist. */
  readFile?: (path: string) => string | null;
  /** Reads a file's bytes for .incbin; null when it does not exist. */
  readBinary?: (path: string) => Uint8Array | null;
  /** -D definitions for the C preprocessor (name → replacement; '' means 1, as `-DNAME` does). */
  defines?: Record<string, string>;
  /** -I directories, searched after the including file's own directory. */
  includePaths?: string[];
  /**
   * Run the C preprocessor first. Default: when the file name ends in `.S` or `.sx` (case-sensitive), as
   * `gcc -c` decides; a lowercase `.s` goes to GAS as it stands, where `#` starts a comment. `cpp: true`
   * preprocesses any name (gcc -x assembler-with-cpp), `cpp: false` none. Files pulled in with `.include`
   * are never preprocessed (GAS reads them), `#include`d ones always are.
   */
  cpp?: boolean;
  /** Filled with the object-like #defines in force at the end of the file (name → replacement text). */
  macrosOut?: Map<string, string>;
  /**
   * As `as --32`: code starts 32-bit and the default architecture is generic32, which lacks NOPL, so code
   * alignment pads with LEA-based NOPs (nops.ts). Default: the x86-64 `as` (64-bit code, NOPL).
   */
  i386?: boolean;
  /** Load address of the first section (default 0); later sections follow it. */
  origin?: number;
  /**
   * Assemble for a relocatable object (elfObject(), as `as -o x.o` does): references to undefined
   * symbols and to addresses become relocations (result.relocations) instead of errors and values.
   */
  relocatable?: boolean;
}

export interface AssemblyResult {
  sections: SectionOut[];
  symbols: SymbolOut[];
  lines: LineEntry[];
  errors: Diagnostic[];
  warnings: Diagnostic[];
  /** Text written by .print, in order. */
  printed: string[];
  /** The source lines assembled, in listing order: after the C preprocessor, .include'd files in place. */
  source: SourceLine[];
  /** Each item of each section with the source line the listing shows it at (a macro's call, not its body). */
  listed: ListedItem[];
  /** With options.relocatable: the relocations, by section and offset (the fields hold 0). */
  relocations?: RelocOut[];
  /** With options.relocatable: symbols declared .globl (or .weak) and never defined. */
  undefinedGlobals?: string[];
}

export interface ListedItem {
  section: string;
  /** Offset in the section. */
  offset: number;
  size: number;
  file: string;
  line: number;
}

export function assemble(source: string, options: AssembleOptions): AssemblyResult {
  const diags = new Diagnostics();
  const file = options.file;
  const unit = new Unit(diags, options.origin ?? 0);
  if (options.relocatable) unit.relocs = [];
  if (options.i386) unit.mode = 32;
  let lines: SourceLine[] = [];
  let printed: string[] = [];
  let listed: ListedItem[] = [];
  try {
    unit.current = unit.section('.text');
    const parser = new Parser(unit, diags, file);
    const cpp = options.cpp ?? usesCpp(file);
    lines = cpp ? preprocessC(source, file, options, diags) : source.split('\n').map((text, k) => ({ text, file, line: k + 1 }));
    const reader = new Reader(parser, diags, options);
    printed = reader.printed;
    reader.run(lines);
    if (lines.length > 1 && lines[lines.length - 1].text === '' && !cpp) lines.pop();
    const withIncludes = (ls: SourceLine[], depth: number): SourceLine[] => ls.flatMap((l) => {
      const inc = depth < 100 ? reader.included.get(`${l.file}:${l.line}`) : undefined;
      return inc ? [l, ...withIncludes(inc, depth + 1)] : [l];
    });
    lines = withIncludes(lines, 0);
    unit.layout();
    // GAS 2.40 picks the NOP patterns of code alignment by the code size in force at the end of the file.
    const nopl = !options.i386;
    const bytes = unit.emit(unit.mode, (count, mode) => nopPadding(count, mode, nopl));
    listed = unit.sections.flatMap((s) => s.items.map((it) => {
      const at = reader.listOf.get(it) ?? it;
      return { section: s.name, offset: it.addr, size: it.size, file: at.file, line: at.line };
    }));
    const result: AssemblyResult = { sections: sectionsOut(unit, bytes), symbols: symbolsOut(unit), lines: linesOut(unit), errors: diags.errors,
      warnings: diags.warnings, printed, source: lines, listed };
    if (unit.relocs) {
      result.relocations = unit.relocs;
      result.undefinedGlobals = [...unit.symbols.values()].filter((x) => x.kind === 'undef' && (x.global || x.weak)).map((x) => x.name);
    }
    return result;
  } catch (e) {
    diags.caught(file, 1, 1, e);
    return { sections: [], symbols: [], lines: [], errors: diags.errors, warnings: diags.warnings, printed, source: lines, listed };
  }
}

/** Whether `gcc -c` runs the C preprocessor on a file of this name (GCC manual "Options Controlling the Kind of Output"). */
export function usesCpp(file: string): boolean {
  return file.endsWith('.S') || file.endsWith('.sx');
}

export { flatBinary, formatListing };
export { elfImage } from './elf';
export { elfObject } from './elfObject';
export type { RelocOut } from './relocate';
export { formatDiagnostic } from './errors';
export type { Diagnostic, LineEntry, SectionOut, SymbolOut, SourceLine };
