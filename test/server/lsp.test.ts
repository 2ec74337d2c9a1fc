// lsp.test.ts: the GAS language server, driven over JSON-RPC on stdio as an editor drives it, answering
// on the examples: definitions and references across #include, numeric local labels as GAS resolves
// them (GAS manual §5.3), hover checked against GNU as/nm and the SDM, completion per code size,
// rename refusals, symbols, folding and semantic tokens.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CompletionItem, DocumentSymbol, FoldingRange, Hover, Location, MarkupContent, SemanticTokens, SemanticTokensOptions, SymbolInformation, SymbolKind, WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { Server, lineOf, repoFile, startServer, uriOf } from './client';
import { assembleAndDump, binutilsMissing } from '../support/objdump';

const LVL5 = repoFile('examples/lvl5-trampoline/lvl5.S');
const CONSOLE = repoFile('examples/common/console.S');
const REAL = repoFile('examples/real-to-long/real2long.S');
const lvl5Text = readFileSync(LVL5, 'utf8');
const consoleText = readFileSync(CONSOLE, 'utf8');
const realText = readFileSync(REAL, 'utf8');

let server: Server;
let tmp: string;
before(async () => {
  server = await startServer();
  tmp = mkdtempSync(path.join(tmpdir(), 'gas-lsp-'));
  const diags = server.diagnosticsFor(uriOf(LVL5));
  await server.open(LVL5);
  await server.open(REAL);
  // The examples assemble without a diagnostic.
  assert.deepEqual(await diags, []);
});
after(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

const pos = (text: string, re: RegExp, word: string, nth = 0): { line: number; character: number } => {
  const line = lineOf(text, re);
  const l = text.split('\n')[line];
  let at = -1;
  for (let k = 0; k <= nth; k++) at = l.indexOf(word, at + 1);
  assert.ok(at >= 0, `${word} on line ${line}`);
  return { line, character: at + 1 };
};
const request = <T>(method: string, uri: string, p: { line: number; character: number }, extra: object = {}): Promise<T> =>
  server.conn.sendRequest(method, { textDocument: { uri }, position: p, ...extra });
/** `uri:line:character` of each whole-word `word` outside block comments (the examples have no # comments). */
function codeOccurrences(file: string, source: string, word: string): string[] {
  const out: string[] = [];
  source.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).split('\n').forEach((l, k) => {
    for (const m of l.matchAll(new RegExp(`\\b${word}\\b`, 'g'))) out.push(`${uriOf(file)}:${k}:${m.index}`);
  });
  return out;
}
const text = (m: string | MarkupContent): string => (typeof m === 'string' ? m : m.value);
const hoverText = (h: Hover | null): string => ((h?.contents ?? { value: '' }) as MarkupContent).value;

test('definition of a label is the line that defines it', async () => {
  const at = pos(lvl5Text, /leaq\s+lvl5_trampoline\(%rip\)/, 'lvl5_trampoline');
  const defs = await request<Location[]>('textDocument/definition', uriOf(LVL5), at);
  assert.equal(defs.length, 1);
  assert.equal(defs[0].uri, uriOf(LVL5));
  assert.equal(defs[0].range.start.line, lineOf(lvl5Text, /^lvl5_trampoline:/));
  assert.equal(defs[0].range.start.character, 0);
});

test('definition follows #include into examples/common/console.S', async () => {
  const defs = await request<Location[]>('textDocument/definition', uriOf(LVL5), pos(lvl5Text, /call\s+puts/, 'puts'));
  assert.deepEqual(defs.map((d) => [d.uri, d.range.start.line]), [[uriOf(CONSOLE), lineOf(consoleText, /^puts:/)]]);
  // And a #define used in the included file resolves to its #define line there.
  const port = pos(consoleText, /movw\s+\$DEBUG_PORT/, 'DEBUG_PORT');
  const d2 = await request<Location[]>('textDocument/definition', uriOf(CONSOLE), port);
  assert.deepEqual(d2.map((d) => d.range.start.line), [lineOf(consoleText, /#define\s+DEBUG_PORT/)]);
});

test('numeric local labels: Nf is the next N:, Nb the latest N: (GAS manual §5.3)', async () => {
  const lines = realText.split('\n');
  const check = async (refLine: RegExp, word: string, dir: 'f' | 'b', from = 0): Promise<void> => {
    const line = lineOf(realText, refLine, from);
    const character = lines[line].indexOf(word) + 1;
    const defs = await request<Location[]>('textDocument/definition', uriOf(REAL), { line, character });
    const n = word[0];
    const isDef = (l: string): boolean => new RegExp(`^\\s*${n}:`).test(l);
    let want = -1;
    if (dir === 'f') { for (let k = line + 1; k < lines.length; k++) if (isDef(lines[k])) { want = k; break; } }
    else for (let k = isDef(lines[line]) ? line : line - 1; k >= 0; k--) if (isDef(lines[k])) { want = k; break; }
    assert.ok(want >= 0);
    assert.deepEqual(defs.map((d) => d.range.start.line), [want], `${word} at line ${line + 1}`);
  };
  await check(/jz\s+1f/, '1f', 'f');
  await check(/jmp\s+1b/, '1b', 'b');
  await check(/jz\s+1f/, '1f', 'f', lineOf(realText, /^print16:/));
  // In the included console.S, through the includer's context.
  const c = consoleText.split('\n');
  const jz = lineOf(consoleText, /jz\s+2f/);
  const d = await request<Location[]>('textDocument/definition', uriOf(CONSOLE), { line: jz, character: c[jz].indexOf('2f') });
  assert.deepEqual(d.map((x) => x.range.start.line), [lineOf(consoleText, /^2:/, jz)]);
});

test('references of puts span both files; rename changes exactly those', async () => {
  const at = pos(lvl5Text, /call\s+puts/, 'puts');
  const refs = await request<Location[]>('textDocument/references', uriOf(LVL5), at, { context: { includeDeclaration: true } });
  // Expected: every `puts` word outside comments, in both files.
  const expected = [...codeOccurrences(LVL5, lvl5Text, 'puts'), ...codeOccurrences(CONSOLE, consoleText, 'puts')];
  assert.deepEqual(refs.map((r) => `${r.uri}:${r.range.start.line}:${r.range.start.character}`).sort(), expected.sort());
  const edit = await request<WorkspaceEdit>('textDocument/rename', uriOf(LVL5), at, { newName: 'put_string' });
  const edits = Object.entries(edit.changes ?? {}).flatMap(([uri, es]) => es.map((e) => `${uri}:${e.range.start.line}:${e.range.start.character}:${e.newText}`));
  assert.deepEqual(edits.sort(), expected.map((e) => `${e}:put_string`).sort());
});

test('rename refuses numeric local labels and registers with a reason', async () => {
  const local = pos(realText, /jmp\s+1b/, '1b');
  await assert.rejects(request('textDocument/prepareRename', uriOf(REAL), local), /Numeric local label '1b' cannot be renamed/);
  await assert.rejects(request('textDocument/rename', uriOf(REAL), local, { newName: 'x' }), /Numeric local label/);
  const reg = pos(lvl5Text, /movq\s+%rsi, %r9/, '%r9');
  await assert.rejects(request('textDocument/rename', uriOf(LVL5), { ...reg, character: reg.character + 1 }, { newName: 'x' }), /register: registers cannot be renamed/);
  const define = pos(lvl5Text, /movq\s+\$LVL5_TRAMPOLINE, %rdi/, 'LVL5_TRAMPOLINE');
  const edit = await request<WorkspaceEdit>('textDocument/rename', uriOf(LVL5), define, { newName: 'TRAMPOLINE_AT' });
  const count = codeOccurrences(LVL5, lvl5Text, 'LVL5_TRAMPOLINE').length;
  assert.equal(edit.changes?.[uriOf(LVL5)]?.length, count);
  await assert.rejects(request('textDocument/rename', uriOf(LVL5), define, { newName: '1bad' }), /not a valid macro name/);
});

test('hover on an instruction: the SDM row, the bytes GNU as produces, the flags', async (t) => {
  const h = hoverText(await request<Hover>('textDocument/hover', uriOf(LVL5), pos(lvl5Text, /movq\s+%rsi, %r9/, 'movq')));
  // SDM Vol.2B MOV: REX.W + 89 /r is MOV r/m64, r64; MOV affects no flags.
  assert.match(h, /`MOV r\/m64, r64`/);
  assert.match(h, /Flags: none affected/);
  const why = binutilsMissing(true);
  if (why) { t.skip(why); return; }
  const gas = assembleAndDump('.code64\n movq %rsi, %r9\n', 64)[0].bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
  assert.ok(h.includes(`Encoding: \`${gas}\``), `${h} has ${gas}`);
  // SDM Vol.2B XOR "Flags Affected": OF and CF cleared, SF ZF PF set by the result, AF undefined.
  const x = hoverText(await request<Hover>('textDocument/hover', uriOf(REAL), pos(realText, /xorl\s+%eax, %eax/, 'xorl')));
  assert.match(x, /`XOR r\/m32, r32`|`XOR r32, r\/m32`/);
  assert.match(x, /writes OF SF ZF PF CF; leaves undefined AF/);
});

test('hover on a label: its address and section, as GNU as + nm place it', async (t) => {
  const h = hoverText(await request<Hover>('textDocument/hover', uriOf(LVL5), pos(lvl5Text, /leaq\s+lvl5\(%rip\), %rdi/, 'lvl5')));
  assert.match(h, /label `lvl5` — 0x[0-9a-f]+ in \.text/);
  const why = binutilsMissing(true);
  if (why) { t.skip(why); return; }
  try { execFileSync('gcc', ['--version'], { stdio: 'ignore' }); } catch { t.skip('gcc is not installed'); return; }
  const obj = path.join(tmp, 'lvl5.o');
  execFileSync('gcc', ['-c', '-o', obj, LVL5]);
  const nm = execFileSync('nm', [obj], { encoding: 'utf8' });
  const value = /^([0-9a-f]+) t lvl5$/m.exec(nm);
  assert.ok(value, nm);
  assert.match(h, new RegExp(`0x0*${parseInt(value[1], 16).toString(16)} in \\.text`));
});

test('hover on a #define shows its replacement; on a local label its definition', async () => {
  const h = hoverText(await request<Hover>('textDocument/hover', uriOf(LVL5), pos(lvl5Text, /movq\s+\$LVL5_TRAMPOLINE, %rdi/, 'LVL5_TRAMPOLINE')));
  const body = /#define\s+LVL5_TRAMPOLINE\s+(\S+)/.exec(lvl5Text)?.[1] as string;
  assert.ok(h.includes(`#define LVL5_TRAMPOLINE ${body}`), h);
  const l = hoverText(await request<Hover>('textDocument/hover', uriOf(REAL), pos(realText, /jmp\s+1b/, '1b')));
  assert.match(l, /local label `1:` at real2long\.S:\d+/);
});

test('completion: mnemonics per code size, registers after %, directives after .', async () => {
  const file = path.join(tmp, 'complete.S');
  const text = '\t.code32\n\tmov\n\tmovl %\n\t.co\n\t.code64\n\tmov\n\tmovq %\nhere:\tjmp h\n';
  await server.open(file, text);
  const at = async (line: number, character: number): Promise<string[]> =>
    (await request<CompletionItem[]>('textDocument/completion', uriOf(file), { line, character })).map((i) => i.label);
  const m32 = await at(1, 4);
  assert.ok(m32.includes('movl') && m32.includes('movw') && !m32.includes('movabsq'), 'no movabsq in .code32'); // movq is SSE there too
  const r32 = await at(2, 7);
  assert.ok(r32.includes('%eax') && r32.includes('%cr0') && !r32.includes('%rax') && !r32.includes('%r8d'), 'no 64-bit registers in .code32');
  const d = await at(3, 4);
  assert.ok(d.includes('.code16') && d.includes('.macro') && d.includes('.include'));
  const m64 = await at(5, 4);
  assert.ok(m64.includes('movq') && m64.includes('movl'));
  const r64 = await at(6, 7);
  assert.ok(r64.includes('%rax') && r64.includes('%r15'));
  const ops = await at(7, 11);
  assert.ok(ops.includes('here'));
});

test('diagnostics: the assembler\'s errors at their line and column, also inside an #include', async (t) => {
  const inc = path.join(tmp, 'inc.S');
  const main = path.join(tmp, 'main.S');
  const incText = '/* included */\n\tnop\n\tmovq %rax, %ebx\n';
  writeFileSync(inc, incText);
  const mainText = '\t.code64\nstart:\tnop\n\tfoo %eax\n#include "inc.S"\n\tjmp start\n';
  const mainDiags = server.diagnosticsFor(uriOf(main));
  const incDiags = server.diagnosticsFor(uriOf(inc));
  await server.open(main, mainText);
  const md = await mainDiags;
  const id = await incDiags;
  const fooLine = lineOf(mainText, /foo/);
  assert.ok(md.some((d) => d.range.start.line === fooLine && d.range.start.character === 1 && /no such instruction: 'foo %eax'/.test(text(d.message))), JSON.stringify(md));
  const incLine = lineOf(mainText, /#include/);
  assert.ok(md.some((d) => d.range.start.line === incLine && /1 error in included file .*inc\.S/.test(text(d.message))), JSON.stringify(md));
  const bad = lineOf(incText, /movq/);
  assert.deepEqual(id.map((d) => d.range.start.line), [bad]);
  const why = binutilsMissing(true);
  if (why) { t.skip(why); return; }
  // GNU as reports both errors on the same lines.
  const src = path.join(tmp, 'gas.s');
  writeFileSync(src, mainText.replace('#include "inc.S"', incText));
  let stderr = '';
  try { execFileSync('as', ['--64', '-o', path.join(tmp, 'gas.o'), src], { stdio: ['ignore', 'ignore', 'pipe'] }); } catch (e) { stderr = String((e as { stderr: Buffer }).stderr); }
  const gasLines = [...stderr.matchAll(/gas\.s:(\d+): Error/g)].map((m) => Number(m[1]) - 1);
  assert.deepEqual(gasLines, [fooLine, incLine + bad]);
});

test('diagnostics follow edits (debounced) and clear when fixed', async () => {
  const file = path.join(tmp, 'edit.S');
  const first = server.diagnosticsFor(uriOf(file));
  await server.open(file, '\tnop\n');
  assert.deepEqual(await first, []);
  const second = server.diagnosticsFor(uriOf(file));
  await server.conn.sendNotification('textDocument/didChange', { textDocument: { uri: uriOf(file), version: 2 }, contentChanges: [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '\tbogus\n' }] });
  assert.equal((await second).length, 1);
  const third = server.diagnosticsFor(uriOf(file));
  await server.conn.sendNotification('textDocument/didChange', { textDocument: { uri: uriOf(file), version: 3 }, contentChanges: [{ text: '\tnop\n' }] });
  assert.deepEqual(await third, []);
});

test('document and workspace symbols: labels, #defines, macros, equates, sections', async () => {
  const file = path.join(tmp, 'symbols.S');
  const text = '#define COUNT 4\n\t.equ PORT, 0xe9\n\t.set LIMIT, 8\n\t.macro out1 v\n\tmovb $\\v, %al\n\t.endm\n\t.section .text.boot, "ax"\nentry:\tout1 1\n\t.data\nvalue:\t.long COUNT\n';
  await server.open(file, text);
  const syms = await server.conn.sendRequest<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: uriOf(file) } });
  const got = syms.map((s) => `${s.name}/${s.kind}/${s.selectionRange.start.line}`);
  assert.deepEqual(got, [
    `COUNT/${SymbolKind.Constant}/0`, `PORT/${SymbolKind.Constant}/1`, `LIMIT/${SymbolKind.Constant}/2`, `out1/${SymbolKind.Method}/3`,
    `.text.boot/${SymbolKind.Namespace}/6`, `entry/${SymbolKind.Function}/7`, `.data/${SymbolKind.Namespace}/8`, `value/${SymbolKind.Function}/9`,
  ]);
  const lvl5Syms = await server.conn.sendRequest<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: uriOf(LVL5) } });
  for (const name of ['startup_64', 'lvl5_trampoline', 'LVL5_TRAMPOLINE', 'gdt_desc']) assert.ok(lvl5Syms.some((s) => s.name === name), name);
  const ws = await server.conn.sendRequest<SymbolInformation[]>('workspace/symbol', { query: 'lvl5_tramp' });
  assert.ok(ws.some((s) => s.name === 'lvl5_trampoline' && s.location.uri === uriOf(LVL5) && s.location.range.start.line === lineOf(lvl5Text, /^lvl5_trampoline:/)));
  // A macro call's definition is its .macro line.
  const defs = await request<Location[]>('textDocument/definition', uriOf(file), { line: 7, character: 8 });
  assert.deepEqual(defs.map((d) => d.range.start.line), [3]);
});

test('folding: .macro/.endm, #if/#endif, .if/.endif, comment blocks, label blocks', async () => {
  const file = path.join(tmp, 'fold.S');
  const text = '/* one\n * two\n */\n\t.macro m\n\tnop\n\t.endm\n#if 1\n\tnop\n#endif\n\t.if 1\n\tnop\n\t.endif\nfirst:\tnop\n\tnop\nsecond:\tnop\n';
  await server.open(file, text);
  const folds = await server.conn.sendRequest<FoldingRange[]>('textDocument/foldingRange', { textDocument: { uri: uriOf(file) } });
  const got = folds.map((f) => `${f.startLine}-${f.endLine}${f.kind === 'comment' ? 'c' : ''}`).sort();
  assert.deepEqual(got, ['0-2c', '3-5', '6-8', '9-11', '12-13'].sort());
});

test('semantic tokens tell labels, equates, macros and #defines apart', async () => {
  const file = path.join(tmp, 'sem.S');
  const text = '#define D 1\n\t.equ E, 2\n\t.macro M\n\t.endm\nL:\tmovl $E, %eax\n\tmovl $D, %eax\n\tjmp L\n\tM\n';
  await server.open(file, text);
  const types = (server.initialized.capabilities.semanticTokensProvider as SemanticTokensOptions).legend.tokenTypes;
  const st = await server.conn.sendRequest<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri: uriOf(file) } });
  const lines = text.split('\n');
  const out: string[] = [];
  let line = 0, ch = 0;
  for (let k = 0; k < st.data.length; k += 5) {
    line += st.data[k];
    ch = st.data[k] ? st.data[k + 1] : ch + st.data[k + 1];
    out.push(`${lines[line].slice(ch, ch + st.data[k + 2])}:${types[st.data[k + 3]]}`);
  }
  assert.deepEqual(out, ['D:macro', 'E:variable', 'M:function', 'L:label', 'E:variable', 'D:macro', 'L:label', 'M:function']);
});

test('hover and completion while typing: answers follow moved lines and edited text', async () => {
  const file = path.join(tmp, 'typing.S');
  await server.open(file, '\t.code32\nstart:\tmovl %eax, %ebx\n\tnop\n');
  const h1 = await request<Hover>('textDocument/hover', uriOf(file), { line: 1, character: 8 });
  assert.match(hoverText(h1), /MOV r\/m32, r32/);
  // Two lines inserted above: the same instruction is now on line 3.
  await server.conn.sendNotification('textDocument/didChange', { textDocument: { uri: uriOf(file), version: 2 },
    contentChanges: [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '\tnop\n\tnop\n' }] });
  const h2 = await request<Hover>('textDocument/hover', uriOf(file), { line: 3, character: 8 });
  assert.match(hoverText(h2), /MOV r\/m32, r32/);
  assert.equal(h2.range?.start.line, 3);
  // Completion on a moved line still knows the code size (.code32: no movabsq).
  const items = (await request<CompletionItem[]>('textDocument/completion', uriOf(file), { line: 4, character: 2 })).map((i) => i.label);
  assert.ok(items.includes('movl') && !items.includes('movabsq'));
  // The hovered line itself edited: the answer is about the new text at once (its rows), and with the
  // bytes once the new text is assembled (after the diagnostics' pause).
  const assembled = server.diagnosticsFor(uriOf(file));
  await server.conn.sendNotification('textDocument/didChange', { textDocument: { uri: uriOf(file), version: 3 },
    contentChanges: [{ range: { start: { line: 3, character: 7 }, end: { line: 3, character: 11 } }, text: 'addl' }] });
  const h3 = await request<Hover>('textDocument/hover', uriOf(file), { line: 3, character: 8 });
  assert.match(hoverText(h3), /ADD r\/m32, r32/);
  await assembled;
  const h4 = hoverText(await request<Hover>('textDocument/hover', uriOf(file), { line: 3, character: 8 }));
  assert.match(h4, /`ADD r\/m32, r32` \(add_rm32_r32\)\n\nEncoding: `01 c3`/);
});

test('.include is followed too: definitions and equates from the included file', async () => {
  const defs = path.join(tmp, 'defs.s');
  const defsText = '\t.equ K, 3\nhelper:\tret\n';
  writeFileSync(defs, defsText);
  const main = path.join(tmp, 'main.s');
  const mainText = '\t.include "defs.s"\n\tcall helper\n\tmovl $K, %eax\n';
  await server.open(main, mainText);
  const d = await request<Location[]>('textDocument/definition', uriOf(main), pos(mainText, /call helper/, 'helper'));
  assert.deepEqual(d.map((x) => [x.uri, x.range.start.line]), [[uriOf(defs), lineOf(defsText, /^helper:/)]]);
  const h = hoverText(await request<Hover>('textDocument/hover', uriOf(main), pos(mainText, /\$K/, 'K')));
  assert.match(h, /`K` = `3` — 0x0*3 \(absolute\)/);
});

test('initializationOptions.includePaths are searched after the including file\'s folder (-I)', async () => {
  const inc = path.join(tmp, 'incdir');
  mkdirSync(inc, { recursive: true });
  writeFileSync(path.join(inc, 'far.h'), '#define FAR_VALUE 0x1234\n');
  const other = await startServer({ initializationOptions: { includePaths: [inc], defines: { FROM_CLIENT: '7' } } });
  try {
    const main = path.join(tmp, 'usesfar.S');
    const mainText = '#include "far.h"\n\tmovl $FAR_VALUE, %eax\n#if FROM_CLIENT != 7\n\t.error "defines not passed"\n#endif\n';
    const diags = other.diagnosticsFor(uriOf(main));
    await other.open(main, mainText);
    assert.deepEqual(await diags, []);
    const d = await other.conn.sendRequest<Location[]>('textDocument/definition', { textDocument: { uri: uriOf(main) }, position: pos(mainText, /FAR_VALUE/, 'FAR_VALUE') });
    assert.deepEqual(d.map((x) => [x.uri, x.range.start.line]), [[uriOf(path.join(inc, 'far.h')), 0]]);
  } finally {
    await other.close();
  }
});

test('definition right after an edit: answered from the last assembly, with lines moved by the edit', async () => {
  const file = path.join(tmp, 'moved.S');
  const source = '\t.code64\nstart:\n\tjmp target\n\tnop\ntarget:\n\tret\n';
  writeFileSync(file, source);
  await server.open(file, source, 1);
  const at = { line: 2, character: 6 };
  let defs = await request<Location[]>('textDocument/definition', uriOf(file), at);
  assert.deepEqual(defs.map((d) => d.range.start.line), [4]);
  // Two lines inserted above `target:` (below the asking line): the definition is now two lines lower,
  // whether the server answers from the last assembly or assembles again.
  await server.conn.sendNotification('textDocument/didChange', {
    textDocument: { uri: uriOf(file), version: 2 },
    contentChanges: [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: '\tnop\n\tnop\n' }],
  });
  defs = await request<Location[]>('textDocument/definition', uriOf(file), at);
  assert.deepEqual(defs.map((d) => d.range.start.line), [6]);
  // An edit of the definition's own line: assembled again, the label found where it now is.
  await server.conn.sendNotification('textDocument/didChange', {
    textDocument: { uri: uriOf(file), version: 3 },
    contentChanges: [{ range: { start: { line: 6, character: 0 }, end: { line: 7, character: 0 } }, text: '\tnop\ntarget:\n' }],
  });
  defs = await request<Location[]>('textDocument/definition', uriOf(file), at);
  assert.deepEqual(defs.map((d) => d.range.start.line), [7]);
  // The asking line itself edited (a comment appended): its words are read afresh.
  await server.conn.sendNotification('textDocument/didChange', {
    textDocument: { uri: uriOf(file), version: 4 },
    contentChanges: [{ range: { start: { line: 2, character: 11 }, end: { line: 2, character: 11 } }, text: '\t# go' }],
  });
  defs = await request<Location[]>('textDocument/definition', uriOf(file), at);
  assert.deepEqual(defs.map((d) => d.range.start.line), [7]);
});

test('references right after an edit: from the last assembly when nothing edited mentions the name, else assembled again', async () => {
  const file = path.join(tmp, 'refs.S');
  const source = '\t.code64\nstart:\n\tjmp target\n\tnop\ntarget:\n\tcall target\n\tret\n';
  writeFileSync(file, source);
  await server.open(file, source, 1);
  const lines = async (): Promise<number[]> => (await request<Location[]>('textDocument/references', uriOf(file), { line: 2, character: 6 }, { context: { includeDeclaration: true } }))
    .map((l) => l.range.start.line).sort((a, b) => a - b);
  assert.deepEqual(await lines(), [2, 4, 5]);
  // A line inserted above the label: every occurrence below it moves.
  await server.conn.sendNotification('textDocument/didChange', {
    textDocument: { uri: uriOf(file), version: 2 },
    contentChanges: [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: '\tnop\n' }],
  });
  assert.deepEqual(await lines(), [2, 5, 6]);
  // A new reference typed on a new line: it must be found too.
  await server.conn.sendNotification('textDocument/didChange', {
    textDocument: { uri: uriOf(file), version: 3 },
    contentChanges: [{ range: { start: { line: 7, character: 0 }, end: { line: 7, character: 0 } }, text: '\tjmp target\n' }],
  });
  assert.deepEqual(await lines(), [2, 5, 6, 7]);
});

test('rename right after an edit renames every occurrence where it now is', async () => {
  const file = path.join(tmp, 'ren.S');
  const source = '\t.code64\nstart:\n\tjmp target\n\tnop\ntarget:\n\tcall target\n\tret\n';
  writeFileSync(file, source);
  await server.open(file, source, 1);
  await request<Location[]>('textDocument/definition', uriOf(file), { line: 2, character: 6 }); // assembled once
  await server.conn.sendNotification('textDocument/didChange', {
    textDocument: { uri: uriOf(file), version: 2 },
    contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '\t/* moved */\n' }],
  });
  const prep = await request<{ start: { line: number } }>('textDocument/prepareRename', uriOf(file), { line: 3, character: 6 });
  assert.equal(prep.start.line, 3);
  const edit = await request<WorkspaceEdit>('textDocument/rename', uriOf(file), { line: 3, character: 6 }, { newName: 'goal' });
  const lines = (edit.changes?.[uriOf(file)] ?? []).map((e) => [e.range.start.line, e.range.start.character, e.newText]).sort();
  assert.deepEqual(lines, [[3, 5, 'goal'], [5, 0, 'goal'], [6, 6, 'goal']]);
  await assert.rejects(request('textDocument/rename', uriOf(file), { line: 3, character: 6 }, { newName: '9bad' }), /not a valid symbol name/);
});
