// diagnostics.ts: the assembler's errors and warnings as LSP diagnostics (LSP 3.17
// textDocument/publishDiagnostics), each on the file it is in, spanning the word at its column. An
// error in an included file is also shown on the #include/.include line of the document that reads it.
import { Diagnostic, DiagnosticSeverity, Range } from 'vscode-languageserver';
import { Analysis, Diagnostic as AsmDiagnostic } from '../assembler/analysis';

/** The range a diagnostic at a 1-based line:col spans: the word there, else the rest of the line. */
export function diagnosticRange(a: Analysis, d: { file: string; line: number; col: number }): Range {
  const scan = a.files.get(d.file);
  const line = Math.max(0, d.line - 1);
  const text = scan?.lines[line] ?? '';
  const w = scan?.words[line]?.find((x) => d.col >= x.col && d.col < x.end);
  if (w) return Range.create(line, w.col - 1, line, w.end - 1);
  const start = Math.min(Math.max(0, d.col - 1), text.length);
  let end = text.trimEnd().length;
  if (end <= start) end = Math.max(start + 1, text.length);
  return Range.create(line, start, line, Math.min(end, start + 500));
}

function toLsp(a: Analysis, d: AsmDiagnostic): Diagnostic {
  return {
    range: diagnosticRange(a, d),
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: 'trampoline-as',
    message: d.message,
  };
}

/** The diagnostics of one analysis, by file path: its own file and every file it read. */
export function diagnosticsByFile(a: Analysis): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>([[a.file, []]]);
  for (const f of a.files.keys()) out.set(f, []);
  // The include directive of each file, to carry an included file's errors back to the analyzed file.
  const includedAt = new Map<string, { file: string; line: number; col: number; end: number }>();
  for (const inc of a.includes) if (!includedAt.has(inc.path)) includedAt.set(inc.path, inc.from);
  const counts = new Map<string, { errors: number; warnings: number; first: AsmDiagnostic }>();
  for (const d of [...a.errors, ...a.warnings]) {
    const list = out.get(d.file) ?? [];
    out.set(d.file, list);
    list.push(toLsp(a, d));
    if (d.file === a.file) continue;
    // Walk up the chain of includes to the line of the analyzed file that pulled this one in.
    let at = includedAt.get(d.file);
    for (let guard = 0; at && at.file !== a.file && guard < 200; guard++) at = includedAt.get(at.file);
    if (!at) continue;
    const k = `${at.line}:${at.col}`;
    const c = counts.get(k) ?? { errors: 0, warnings: 0, first: d };
    if (d.severity === 'error') c.errors++; else c.warnings++;
    counts.set(k, c);
  }
  for (const inc of a.includes) {
    const c = counts.get(`${inc.from.line}:${inc.from.col}`);
    if (!c || inc.from.file !== a.file) continue;
    counts.delete(`${inc.from.line}:${inc.from.col}`);
    const what = [c.errors ? `${c.errors} error${c.errors > 1 ? 's' : ''}` : '', c.warnings ? `${c.warnings} warning${c.warnings > 1 ? 's' : ''}` : ''].filter(Boolean).join(' and ');
    (out.get(a.file) as Diagnostic[]).push({
      range: Range.create(inc.from.line - 1, inc.from.col - 1, inc.from.line - 1, inc.from.end - 1),
      severity: c.errors ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      source: 'trampoline-as',
      message: `${what} in included file ${inc.path}: ${c.first.line}:${c.first.col}: ${c.first.message}`,
    });
  }
  return out;
}
