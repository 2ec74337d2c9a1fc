// hover.ts: textDocument/hover (LSP 3.17). An instruction shows the table row its bytes decode to (the
// SDM's instruction text), the bytes the assembler produced and the flags the row writes; a label its
// address and section from the assembly; an equate its value; a #define its replacement; a .macro its
// parameters.
import { Hover, MarkupKind } from 'vscode-languageserver';
import { Analysis, Word, bytesAt, definitionsOf, modeAt } from '../assembler/analysis';
import { InsnInfo, mnemonicForms } from '../assembler/analysisInsn';
import type { Mode } from '../assembler/select';

const hex = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(n > 0xffff ? 8 : 4, '0');
const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

function flagsLine(i: InsnInfo): string {
  const parts: string[] = [];
  if (i.written.length) parts.push(`writes ${i.written.join(' ')}`);
  if (i.undefined.length) parts.push(`leaves undefined ${i.undefined.join(' ')}`);
  if (i.read.length) parts.push(`reads ${i.read.join(' ')}`);
  return `Flags: ${parts.length ? parts.join('; ') : 'none affected'}`;
}

function mnemonicHover(a: Analysis, w: Word): string {
  const produced = bytesAt(a, w.file, w.line);
  const decoded = produced.filter((b) => b.insn);
  const lines = [`**${w.text}**`];
  if (decoded.length) {
    for (const b of decoded) {
      const i = b.insn as InsnInfo;
      lines.push('', `\`${i.instruction}\` (${i.form})`, '', `Encoding: \`${hexBytes(b.bytes)}\` at ${hex(b.address)} in ${b.section}`, '', flagsLine(i));
    }
    return lines.join('\n');
  }
  // No bytes for this line (inside a .macro body, a false .if, or an error): the rows it may stand for.
  return formsHover(w.text, modeAt(a, w.file, w.line));
}

/** The table rows a mnemonic may stand for in a code size. */
function formsHover(mnemonic: string, mode: Mode): string {
  const forms = mnemonicForms(mnemonic, mode);
  if (forms.length === 0) return `**${mnemonic}**: not an instruction the assembler knows in ${mode}-bit code`;
  const lines = [`**${mnemonic}**`, ''];
  lines.push(...forms.slice(0, 12).map((f) => `- \`${f.instruction}\` — ${flagsLine(f)}`));
  if (forms.length > 12) lines.push(`- … ${forms.length - 12} more forms`);
  return lines.join('\n');
}

function symbolHover(a: Analysis, w: Word): string | null {
  const defs = definitionsOf(a, w);
  const d = defs[0];
  const where = (x: Word): string => `${x.file.split('/').pop()}:${x.line}`;
  if (w.what === 'local') {
    if (!d) return `local label \`${w.text}\`: no ${w.text.endsWith('f') ? 'following' : 'preceding'} definition`;
    const at = bytesAt(a, d.file, d.line)[0];
    return `local label \`${d.text}:\` at ${where(d)}${at ? ` — ${hex(at.address)} in ${at.section}` : ''}`;
  }
  if (!d) return w.kind === undefined ? `\`${w.text}\`: not defined in this assembly` : null;
  switch (d.kind) {
    case 'define': return '```c\n#define ' + d.text + (d.detail ?? '').replace(/^ /, ' ') + '\n```\n' + `defined at ${where(d)}`;
    case 'macro': return '```gas\n.macro ' + d.text + ' ' + (d.detail ?? '') + '\n```\n' + `defined at ${where(d)}`;
    case 'section': return `section \`${d.text}\``;
    case 'label': case 'equ': {
      const s = a.symbols.get(d.text);
      const value = s ? `${hex(s.value)}${s.section ? ` in ${s.section}` : ' (absolute)'}` : 'no value (not assembled)';
      const head = d.kind === 'label' ? `label \`${d.text}\`` : `\`${d.text}\` = \`${d.detail ?? ''}\``;
      return `${head} — ${value}${s?.global ? ', global' : ''}\n\ndefined at ${where(d)}`;
    }
  }
  return null;
}

/**
 * Hover for a word. `line` is the (0-based) line asked about, when the analysis predates edits that moved
 * it; `modeLine` is given when the word was read from a line edited since that analysis (its bytes are
 * not known until the next assembly): the analysis' line whose code size applies.
 */
export function hover(a: Analysis, w: Word, line = w.line - 1, modeLine?: number): Hover | null {
  let value: string | null = null;
  if (w.what === 'mnemonic' && modeLine !== undefined) value = formsHover(w.text, modeAt(a, a.file, modeLine));
  else if (w.what === 'mnemonic') value = mnemonicHover(a, w);
  else if (w.what === 'symbol' || w.what === 'local') value = symbolHover(a, w);
  else if (w.what === 'include') value = `include \`${w.path ?? w.text}\`${w.path ? '' : ' (not read)'}`;
  if (!value) return null;
  return {
    contents: { kind: MarkupKind.Markdown, value },
    range: { start: { line, character: w.col - 1 }, end: { line, character: w.end - 1 } },
  };
}
