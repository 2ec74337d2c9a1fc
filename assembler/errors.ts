// errors.ts: diagnostics of the assembler, worded as GNU as words them, and the exception a statement
// raises to abandon itself (caught per statement, so every error of a file is reported in one pass).

export interface Diagnostic {
  file: string;
  line: number;
  /** 1-based column of the offending text, or 1 when the whole statement is meant. */
  col: number;
  message: string;
  severity: 'error' | 'warning';
}

/** Raised while handling one statement; the driver turns it into a Diagnostic at that statement. */
export class AsmError extends Error {
  constructor(message: string, public readonly col = 0) {
    super(message);
  }
}

/** `file:line:col: error: message`, the format editors and the VS Code problem matcher understand. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`;
}

/** Collects diagnostics of one assembly. */
export class Diagnostics {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];

  error(file: string, line: number, col: number, message: string): void {
    this.errors.push({ file, line, col: Math.max(1, col), message, severity: 'error' });
  }

  warn(file: string, line: number, col: number, message: string): void {
    this.warnings.push({ file, line, col: Math.max(1, col), message, severity: 'warning' });
  }

  /** Reports an exception caught at a statement: AsmError as itself, anything else as an internal error. */
  caught(file: string, line: number, col: number, e: unknown): void {
    if (e instanceof AsmError) this.error(file, line, e.col > 0 ? e.col : col, e.message);
    else this.error(file, line, col, `internal assembler error: ${e instanceof Error ? e.message : String(e)}`);
  }
}
