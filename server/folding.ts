// folding.ts: textDocument/foldingRange (LSP 3.17): .macro/.endm, .rept/.irp/.endr, .if/.endif,
// #if/#endif, runs of comment lines, and each label's block up to the next label.
import { FoldingRange, FoldingRangeKind } from 'vscode-languageserver';
import { FileScan } from '../assembler/analysis';

export function foldingRanges(scan: FileScan): FoldingRange[] {
  const out: FoldingRange[] = scan.folds.map((f) => ({ startLine: f.start - 1, endLine: f.end - 1, kind: f.kind === 'comment' ? FoldingRangeKind.Comment : FoldingRangeKind.Region }));
  // Label blocks: from a (non-local) label to the last non-blank line before the next one.
  const labels: number[] = [];
  scan.words.forEach((ws, k) => { if (ws.some((w) => w.what === 'symbol' && w.role === 'def' && w.kind === 'label')) labels.push(k); });
  labels.push(scan.lines.length);
  for (let j = 0; j + 1 < labels.length; j++) {
    let end = labels[j + 1] - 1;
    while (end > labels[j] && (scan.lines[end] ?? '').trim() === '') end--;
    if (end > labels[j]) out.push({ startLine: labels[j], endLine: end, kind: FoldingRangeKind.Region });
  }
  return out;
}
