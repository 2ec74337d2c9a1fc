// symbols.ts: textDocument/documentSymbol and workspace/symbol (LSP 3.17): the labels, .macro
// definitions, #defines, .equ/.set constants and sections an assembly defines.
import { DocumentSymbol, Location, Range, SymbolInformation, SymbolKind } from 'vscode-languageserver';
import { Analysis, Word } from '../assembler/analysis';
import { pathToUri } from './documents';

const KIND: Record<string, SymbolKind> = {
  label: SymbolKind.Function, macro: SymbolKind.Method, define: SymbolKind.Constant, equ: SymbolKind.Constant, section: SymbolKind.Namespace,
};

function wordRange(w: Word): Range {
  return Range.create(w.line - 1, w.col - 1, w.line - 1, w.end - 1);
}

function detail(a: Analysis, d: Word): string {
  if (d.kind === 'define') return `#define${(d.detail ?? '').replace(/^\(/, ' (')}`.trim();
  if (d.kind === 'macro') return `.macro ${d.detail ?? ''}`.trim();
  const s = a.symbols.get(d.text);
  if ((d.kind === 'label' || d.kind === 'equ') && s) return `0x${(s.value >>> 0).toString(16)}${s.section ? ` ${s.section}` : ''}`;
  return d.kind ?? '';
}

/** The definitions of one file, in order (one per name and kind: sections appear once). */
export function documentSymbols(a: Analysis, file: string): DocumentSymbol[] {
  const scan = a.files.get(file);
  if (!scan) return [];
  const out: DocumentSymbol[] = [];
  const seen = new Set<string>();
  for (const ws of scan.words) {
    for (const w of ws) {
      if (w.what !== 'symbol' || w.role !== 'def' || !w.kind) continue;
      const k = `${w.kind}:${w.text}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const line = scan.lines[w.line - 1] ?? '';
      out.push({ name: w.text, kind: KIND[w.kind], detail: detail(a, w), range: Range.create(w.line - 1, 0, w.line - 1, Math.max(line.length, w.end - 1)), selectionRange: wordRange(w) });
    }
  }
  return out;
}

/** Definitions across the given analyses whose name contains the query (case-insensitive), at most `limit`. */
export function workspaceSymbols(analyses: Analysis[], query: string, limit = 500): SymbolInformation[] {
  const q = query.toLowerCase();
  const out: SymbolInformation[] = [];
  const seen = new Set<string>();
  for (const a of analyses) {
    for (const [, ds] of a.defs) {
      for (const d of ds) {
        if (!d.kind || !d.text.toLowerCase().includes(q)) continue;
        const k = `${d.file}:${d.line}:${d.col}`;
        if (seen.has(k)) continue;
        seen.add(k);
        out.push({ name: d.text, kind: KIND[d.kind], location: Location.create(pathToUri(d.file), wordRange(d)), containerName: d.file.split('/').pop() });
        if (out.length >= limit) return out;
      }
    }
  }
  return out;
}
