// semanticTokens.ts: textDocument/semanticTokens/full (LSP 3.17 §semanticTokens; the `label` type is 3.18) for what the TextMate
// grammar cannot know: whether a name in an operand is a label, an .equ/.set constant, a .macro or a
// #define, and which statement heads are macro calls.
import { SemanticTokens, SemanticTokensBuilder, SemanticTokensLegend } from 'vscode-languageserver';
import { FileScan } from '../assembler/analysis';

export const LEGEND: SemanticTokensLegend = {
  tokenTypes: ['label', 'variable', 'function', 'macro', 'namespace'],
  tokenModifiers: ['declaration', 'readonly'],
};

const TYPE: Record<string, number> = { label: 0, local: 0, equ: 1, macro: 2, define: 3, section: 4 };

export function semanticTokens(scan: FileScan): SemanticTokens {
  const b = new SemanticTokensBuilder();
  scan.words.forEach((ws, k) => {
    for (const w of ws) {
      if ((w.what !== 'symbol' && w.what !== 'local') || !w.kind) continue;
      const type = TYPE[w.kind];
      if (type === undefined || w.end <= w.col) continue;
      const mods = (w.role === 'def' ? 1 : 0) | (w.kind === 'equ' || w.kind === 'define' ? 2 : 0);
      b.push(k, w.col - 1, w.end - w.col, type, mods);
    }
  });
  return b.build();
}
