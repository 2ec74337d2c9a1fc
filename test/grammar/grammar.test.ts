// grammar.test.ts: the TextMate grammar of the extension (extension/syntaxes/gas.tmLanguage.json) scopes
// mnemonics, prefixes, registers, directives, labels (numeric locals too), numbers, strings, character
// constants, comments (#, /* */), `;` separators and C preprocessor lines as the assertion comments of
// test/grammar/*.S say (vscode-tmgrammar-test; the files declare `#` as their comment token).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..', '..');

test('the GAS grammar gives the scopes test/grammar/*.S asserts', (t) => {
  const cli = path.join(ROOT, 'node_modules', 'vscode-tmgrammar-test', 'dist', 'unit.js');
  if (!existsSync(cli)) { t.skip('vscode-tmgrammar-test is not installed'); return; }
  // The repository's copies: the test runner copies .S fixtures to out/ as well, but the grammar is read from the source tree.
  const r = spawnSync(process.execPath, [cli, '-g', 'extension/syntaxes/gas.tmLanguage.json', 'test/grammar/*.S'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /gas\.test\.S run successfuly/);
});
