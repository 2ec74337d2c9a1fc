// completion.ts: textDocument/completion (LSP 3.17). After `%`: the registers of the code size in force
// (.code16/.code32/.code64); after `.` at a statement's start: the directives the assembler implements;
// at a statement's start: the mnemonics valid in that code size (no movq in .code32) and the macros;
// in operands: labels, equates and #defines of the assembly.
import { CompletionItem, CompletionItemKind, Position, Range } from 'vscode-languageserver';
import { Analysis, modeAt } from '../assembler/analysis';
import { DIRECTIVES, mnemonicNames, registerNames } from '../assembler/analysisInsn';

const KIND: Record<string, CompletionItemKind> = {
  label: CompletionItemKind.Reference, equ: CompletionItemKind.Constant, define: CompletionItemKind.Constant,
  macro: CompletionItemKind.Function, section: CompletionItemKind.Module,
};

/** `analysisLine` is the analysis' 1-based line for pos.line (they differ when it predates edits that moved lines). */
export function complete(a: Analysis, file: string, pos: Position, lineText: string, analysisLine = pos.line + 1): CompletionItem[] {
  const before = lineText.slice(0, pos.character);
  // The statement being typed: after the last `;` (GAS manual §3.5), comments excluded.
  const stmt = before.slice(before.lastIndexOf(';') + 1);
  if (/#|\/\*/.test(stmt) && !/^\s*#\s*\w*$/.test(stmt)) return [];
  const mode = modeAt(a, file, analysisLine);
  const edit = (from: number, text: string): { range: Range; newText: string } =>
    ({ range: Range.create(pos.line, from, pos.line, pos.character), newText: text });

  const reg = /%([A-Za-z0-9_]*)$/.exec(stmt);
  if (reg) {
    const from = pos.character - reg[0].length;
    return registerNames(mode).map((r) => ({ label: '%' + r, kind: CompletionItemKind.Variable, filterText: '%' + r, textEdit: edit(from, '%' + r) }));
  }
  const headWord = /^\s*(?:(?:[A-Za-z_.$][\w.$]*|\d+):\s*)*([A-Za-z_.$][\w.$]*)?$/.exec(stmt);
  if (headWord) {
    const typed = headWord[1] ?? '';
    const from = pos.character - typed.length;
    if (typed.startsWith('.')) {
      return DIRECTIVES.map((d) => ({ label: d, kind: CompletionItemKind.Keyword, filterText: d, textEdit: edit(from, d) }));
    }
    const items: CompletionItem[] = mnemonicNames(mode).map((m) => ({ label: m, kind: CompletionItemKind.Keyword, detail: `instruction (${mode}-bit code)` }));
    for (const [, ds] of a.defs) {
      const d = ds.find((x) => x.kind === 'macro');
      if (d) items.push({ label: d.text, kind: KIND.macro, detail: `.macro ${d.text} ${d.detail ?? ''}`.trim() });
    }
    return items;
  }
  const items: CompletionItem[] = [];
  const seen = new Set<string>();
  for (const [, ds] of a.defs) {
    for (const d of ds) {
      if (d.kind === 'section' || d.kind === 'macro' || seen.has(d.text)) continue;
      seen.add(d.text);
      const s = a.symbols.get(d.text);
      items.push({ label: d.text, kind: KIND[d.kind ?? 'label'], detail: d.kind === 'define' ? `#define ${d.text}${d.detail ?? ''}` : s ? `${d.kind} = 0x${(s.value >>> 0).toString(16)}` : d.kind });
    }
  }
  return items;
}
