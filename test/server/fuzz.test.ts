// fuzz.test.ts: the language server keeps answering whatever the text: seeded random edits (random
// bytes, truncated and huge lines, unbalanced .macro/#if, recursive #include and .include, 1,000-level
// macro recursion) with requests in between, then a hover that must still be right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Hover, LogMessageNotification, MarkupContent } from 'vscode-languageserver-protocol/node';
import { lineOf, repoFile, startServer, uriOf } from './client';
import { rng } from '../support/random';


const SEED = 0x5eed1e55;
const BUDGET_MS = 3000;

test('random edits never stop the server answering', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gas-fuzz-'));
  // The example's layout: lvl5/fuzz.S #includes ../common/console.S.
  mkdirSync(path.join(dir, 'lvl5'));
  mkdirSync(path.join(dir, 'common'));
  copyFileSync(repoFile('examples/common/console.S'), path.join(dir, 'common', 'console.S'));
  const file = path.join(dir, 'lvl5', 'fuzz.S');
  const uri = uriOf(file);
  const base = readFileSync(repoFile('examples/lvl5-trampoline/lvl5.S'), 'utf8');
  const server = await startServer({ rootUri: null, workspaceFolders: null });
  const problems: string[] = [];
  server.conn.onNotification(LogMessageNotification.type, (m) => { if (/failed|uncaught/.test(m.message)) problems.push(m.message); });
  const random = rng(SEED);
  const int = (n: number): number => Math.floor(random() * n);
  const pieces = [
    '\t.macro m\n', '\t.endm\n', '#if 1\n', '#endif\n', '#else\n', '\t.if 1\n', '\t.endif\n', '#include "fuzz.S"\n', '\t.include "fuzz.S"\n',
    '\t.macro r n\n\t.if \\n\n\tr "(\\n-1)"\n\t.endif\n\t.endm\n\tr 1000\n', '\t.rept 100000\n\tnop\n\t.endr\n', '1:\tjmp 1b\n', '\tjmp 9f\n',
    '#define X(a) X(a) a\n\tmovq $X(1), %rax\n', '"unterminated\n', '/* open comment\n', "\tmovb $'", '\\\n', '\t.code16\n\tmovq %rax, %rbx\n',
  ];
  let text = base;
  let previous = base;
  let version = 1;
  await server.open(file, text, version);
  const started = Date.now();
  let edits = 0;
  let answered = 0;
  let slowest = 0;
  try {
    while (Date.now() - started < BUDGET_MS) {
      const at = int(text.length + 1);
      switch (int(8)) {
        case 0: text = text.slice(0, at) + String.fromCharCode(...Array.from({ length: 1 + int(40) }, () => int(0x110) ^ (random() < 0.1 ? 0xd800 : 0))) + text.slice(at); break;
        case 1: text = text.slice(0, at); break;
        case 2: if (random() < 0.3) text = text.slice(0, at) + 'x'.repeat(20_000 + int(100_000)).replace(/x/g, () => 'a(%,$1:;#"'[int(10)]) + '\n' + text.slice(at); break;
        case 3: case 4: case 7: text = text.slice(0, at) + pieces[int(pieces.length)] + text.slice(at); break;
        case 5: text = text.slice(0, at) + text.slice(Math.min(text.length, at + int(200))); break;
        default: if (text.length < 1000) text += base; else text = text.slice(0, at) + '\n' + text.slice(at); break;
      }
      if (text.length > 400_000) text = text.slice(0, 100_000);
      edits++;
      // Half the edits as whole-text changes, half as a range change (which the server follows line by line).
      const change = edits % 2 ? { text } : { range: { start: { line: 0, character: 0 }, end: { line: previous.split('\n').length, character: 0 } }, text };
      previous = text;
      await server.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [change] });
      const lines = text.split('\n');
      const line = int(lines.length);
      const position = { line, character: int((lines[line]?.length ?? 0) + 2) };
      const method = ['textDocument/hover', 'textDocument/completion', 'textDocument/definition', 'textDocument/references', 'textDocument/documentSymbol',
        'textDocument/foldingRange', 'textDocument/semanticTokens/full'][int(7)];
      const t0 = Date.now();
      await server.conn.sendRequest(method, { textDocument: { uri }, position, context: { includeDeclaration: true } });
      slowest = Math.max(slowest, Date.now() - t0);
      answered++;
    }
    // Back to the example: the answer is right again.
    await server.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [{ text: base }] });
    const line = lineOf(base, /movq\s+%rsi, %r9/);
    const h = await server.conn.sendRequest<Hover>('textDocument/hover', { textDocument: { uri }, position: { line, character: base.split('\n')[line].indexOf('movq') + 1 } });
    assert.match((h.contents as MarkupContent).value, /MOV r\/m64, r64/);
    assert.equal(server.proc.exitCode, null, 'server still running');
    assert.ok(edits > 20 && answered === edits, `${edits} edits, ${answered} answers`);
    assert.deepEqual(problems, []);
    t.diagnostic(`${edits} edits with a request after each (slowest answer ${slowest} ms), seed ${SEED.toString(16)}`);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
