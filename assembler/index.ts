// index.ts: the built-in GNU as (AT&T syntax) compatible assembler: assemble() turns source text into
// sections, symbols and a line table, reporting every error of the file in GAS's words.
// Covered so far: expressions, labels (numeric locals too), equates, section/data/alignment directives,
// and every instruction of emulator/isa/table.ts with GAS's encoding choices and branch relaxation.
import { Diagnostic, Diagnostics } from './errors';
import { Unit } from './layout';
import { nopPadding } from './nops';
import { LineEntry, SectionOut, SymbolOut, flatBinary, linesOut, sectionsOut, symbolsOut } from './output';
import { Parser } from './parser';
import { splitStatements } from './preprocess';

export interface AssembleOptions {
  /** File name used in diagnostics and the line table. */
  file: string;
  /** Reads an included file (for .include, not supported yet); null when it does not exist. */
  readFile?: (path: string) => string | null;
  /** Preprocessor definitions (for the C preprocessor, not supported yet). */
  defines?: Record<string, string>;
  includePaths?: string[];
  /** Load address of the first section (default 0); later sections follow it. */
  origin?: number;
}

export interface AssemblyResult {
  sections: SectionOut[];
  symbols: SymbolOut[];
  lines: LineEntry[];
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

export function assemble(source: string, options: AssembleOptions): AssemblyResult {
  const diags = new Diagnostics();
  const file = options.file;
  const unit = new Unit(diags, options.origin ?? 0);
  try {
    unit.current = unit.section('.text');
    const parser = new Parser(unit, diags, file);
    for (const st of splitStatements(source)) {
      if (parser.done) break;
      try {
        parser.statement(st);
      } catch (e) {
        diags.caught(file, st.line, st.col, e);
      }
    }
    unit.layout();
    // GAS 2.40 picks the NOP patterns of code alignment by the code size in force at the end of the file.
    const bytes = unit.emit(unit.mode, nopPadding);
    return { sections: sectionsOut(unit, bytes), symbols: symbolsOut(unit), lines: linesOut(unit), errors: diags.errors, warnings: diags.warnings };
  } catch (e) {
    diags.caught(file, 1, 1, e);
    return { sections: [], symbols: [], lines: [], errors: diags.errors, warnings: diags.warnings };
  }
}

export { flatBinary };
export { formatDiagnostic } from './errors';
export type { Diagnostic, LineEntry, SectionOut, SymbolOut };
