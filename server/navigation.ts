// navigation.ts: textDocument/definition, references, prepareRename and rename (LSP 3.17) for labels,
// numeric local labels (`1b` is the latest `1:` before it, `1f` the next after it: GAS manual §5.3),
// .macro names, #defines and equates, across every file the assembly read.
import { Location, Range, ResponseError, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { Analysis, Word, definitionsOf, occurrencesOf, wordAt } from '../assembler/analysis';
import { pathToUri } from './documents';

const ErrorCodes = { InvalidRequest: -32600, RequestFailed: -32803 };

export function wordRange(w: Word): Range {
  return Range.create(w.line - 1, w.col - 1, w.line - 1, w.end - 1);
}

function unique(ws: Word[]): Word[] {
  const seen = new Set<string>();
  return ws.filter((w) => {
    const k = `${w.file}:${w.line}:${w.col}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The word at a position in each analysis the file takes part in. */
function wordsAt(contexts: Analysis[], file: string, line: number, character: number): { a: Analysis; w: Word }[] {
  const out: { a: Analysis; w: Word }[] = [];
  for (const a of contexts) {
    const w = wordAt(a, file, line + 1, character + 1);
    if (w) out.push({ a, w });
  }
  return out;
}

export function definition(contexts: Analysis[], file: string, line: number, character: number): Location[] {
  const defs = wordsAt(contexts, file, line, character).flatMap(({ a, w }) => definitionsOf(a, w));
  return unique(defs).map((d) => Location.create(pathToUri(d.file), wordRange(d)));
}

export function references(contexts: Analysis[], file: string, line: number, character: number, includeDeclaration: boolean): Location[] {
  const occ = wordsAt(contexts, file, line, character).flatMap(({ a, w }) => occurrencesOf(a, w));
  return unique(occ).filter((w) => includeDeclaration || w.role !== 'def').map((w) => Location.create(pathToUri(w.file), wordRange(w)));
}

/** Why the word cannot be renamed, or null when it can. */
export function refusal(w: Word | undefined): string | null {
  if (!w) return 'Nothing to rename here: place the cursor on a label, macro, #define or equate.';
  switch (w.what) {
    case 'local': return `Numeric local label '${w.text}' cannot be renamed: GAS numbers them by position (1:, 1b, 1f); give it a name instead.`;
    case 'register': return `'${w.text}' is a register: registers cannot be renamed.`;
    case 'mnemonic': case 'prefix': return `'${w.text}' is an instruction mnemonic, not a symbol.`;
    case 'directive': return `'${w.text}' is an assembler directive, not a symbol.`;
    case 'number': return `'${w.text}' is a number, not a symbol.`;
    case 'include': return 'An include file name cannot be renamed here.';
  }
  if (w.kind === 'section') return 'Sections cannot be renamed.';
  if (w.kind === undefined) return `'${w.text}' is not defined in this assembly, so it cannot be renamed.`;
  return null;
}

export function prepareRename(contexts: Analysis[], file: string, line: number, character: number): Range {
  const w = wordsAt(contexts, file, line, character)[0]?.w;
  const why = refusal(w);
  if (why) throw new ResponseError(ErrorCodes.RequestFailed, why);
  return wordRange(w as Word);
}

/** Refuses a new name that is not a GAS symbol name (GAS manual §5.3); a #define's must be a C identifier. */
export function checkNewName(w: Word, newName: string): void {
  const valid = w.kind === 'define' ? /^[A-Za-z_]\w*$/ : /^[A-Za-z_.][\w.$]*$/;
  if (!valid.test(newName)) throw new ResponseError(ErrorCodes.InvalidRequest, `'${newName}' is not a valid ${w.kind === 'define' ? 'macro name' : 'symbol name'}.`);
}

export function rename(contexts: Analysis[], file: string, line: number, character: number, newName: string): WorkspaceEdit {
  const found = wordsAt(contexts, file, line, character);
  const why = refusal(found[0]?.w);
  if (why) throw new ResponseError(ErrorCodes.RequestFailed, why);
  const w = found[0].w;
  checkNewName(w, newName);
  const changes: Record<string, TextEdit[]> = {};
  for (const o of unique(found.flatMap(({ a, w: x }) => occurrencesOf(a, x)))) {
    (changes[pathToUri(o.file)] ??= []).push(TextEdit.replace(wordRange(o), newName));
  }
  return { changes };
}
