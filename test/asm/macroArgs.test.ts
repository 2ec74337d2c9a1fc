// asm/macroArgs.test.ts: how blanks split macro arguments — GAS's scrubber keeps a blank only between
// symbol characters (letters, digits, `_ . $`, i386's `* % - ( [ { }`) or quotes, so `1 + 2` is one
// argument and `1 - 2` three — compared with what GNU as prints (.print) or reports for each invocation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../../assembler/index';
import { gasMissing } from './gas';

const missing = gasMissing();

const INVOCATIONS = [
  '1 + 2', '1 +2', '1+ 2', 'x + y', '(1) + 2', '1 + (2)', '1 - 2', '1 -2', '1- 2', 'x - y', '(1) - 2', '1 - (2)',
  '1 * 2', '1 *2', '1* 2', '(1) * 2', '1 % 2', '1 / 2', '1 | 2', '1 ^ 2', '1 & 2', '1 << 2', '1 >> 2', '1 < 2',
  '1 > 2', '1 || 2', '1 && 2', '1 ! 2', '1 ~ 2', '(1) 2', '1 (2)', 'x [y]', 'x {y}', 'x }y', 'x @y', 'x $y',
  '1 .y', 'a ,b', 'a, -1 -2', '1 -(2)', '[1] 2', '1 : 2', '"a" "b"', '"a" b', 'b "a"', 'pt32 + (A >> 12) * 4',
  'A, 0x1111, pt32 + (A >> 12) * 4', '1 2 3 4 5 6',
];

const MACRO = '.macro P a, b, c, d, e\n.print "[\\a][\\b][\\c][\\d][\\e]"\n.endm\n';

/** What GNU as prints for `P <args>`: the .print line, or its error message. */
function gnu(args: string): string {
  const work = mkdtempSync(join(tmpdir(), 'trampoline-macroargs-'));
  try {
    writeFileSync(join(work, 'a.s'), `${MACRO}P ${args}\n`);
    const r = spawnSync('as', ['-o', join(work, 'a.o'), join(work, 'a.s')], { encoding: 'utf8' });
    const error = /Error: (.*)/.exec(r.stderr);
    return error ? `error: ${error[1]}` : r.stdout.trim();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

test('macro arguments: blanks split them as GNU as splits them', { skip: missing ?? undefined }, () => {
  for (const args of INVOCATIONS) {
    const r = assemble(`${MACRO}P ${args}\n`, { file: 'a.s' });
    const ours = r.errors.length ? `error: ${r.errors[0].message}` : r.printed.join('\n');
    assert.equal(ours, gnu(args), `P ${args}`);
  }
});
