// tables.test.ts: what completion offers is what GNU as takes: every mnemonic offered for .code16/32/64
// is known to GNU as in that mode (no "no such instruction", no "only supported in 64-bit mode", no
// rejected suffix), and every directive offered is implemented by the built-in assembler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DIRECTIVES, mnemonicNames, registerNames } from '../../assembler/analysisInsn';
import { assemble } from '../../assembler/index';
import { binutilsMissing } from '../support/objdump';

const PREFIXES = new Set(['lock', 'rep', 'repe', 'repz', 'repne', 'repnz', 'data16', 'data32', 'addr16', 'addr32', 'rex64']);

for (const mode of [16, 32, 64] as const) {
  test(`GNU as knows every mnemonic completion offers in .code${mode}`, (t) => {
    const why = binutilsMissing(true);
    if (why) { t.skip(why); return; }
    const names = mnemonicNames(mode).filter((n) => !PREFIXES.has(n));
    assert.ok(names.length > 400, `${names.length} mnemonics`);
    // Without operands GNU as says "number of operands mismatch" for most: that is fine here. NOP with
    // a suffix needs its r/m operand (SDM Vol.2B NOP: 0F 1F /0), so it gets one; so do the x87 arithmetic
    // names with a memory-format suffix (fadds), whose bare form GNU as reads as faddp.
    const src = `.code${mode}\n` + names.map((n) => (/^(nop[wlq]|f(add|sub|subr|mul|div|divr)[sl])$/.test(n) ? `\t${n} (%${mode === 64 ? 'r' : 'e'}ax)\n` : `\t${n}\n`)).join('');
    const dir = mkdtempSync(path.join(tmpdir(), 'gas-names-'));
    let stderr = '';
    writeFileSync(path.join(dir, 'x.s'), src);
    try {
      execFileSync('as', [mode === 64 ? '--64' : '--32', '-o', path.join(dir, 'x.o'), path.join(dir, 'x.s')], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      stderr = String((e as { stderr?: Buffer }).stderr ?? '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const rejected = stderr.split('\n').filter((l) => /no such instruction|only supported in 64-bit mode|invalid instruction suffix|not supported in (16|32)-bit mode/.test(l));
    assert.deepEqual(rejected, []);
  });
}

test('no 64-bit-only names in .code32 completion (cltq, %rax, %r8d)', () => {
  // movq is no longer one: the SSE MOVQ exists in 32-bit code.
  assert.ok(!mnemonicNames(32).includes('cltq') && mnemonicNames(64).includes('cltq'));
  assert.ok(!registerNames(32).includes('rax') && !registerNames(32).includes('r8d') && registerNames(64).includes('r8d'));
});

test('every directive completion offers is implemented by the assembler', () => {
  for (const d of DIRECTIVES) {
    // Alone on a line: a missing operand or an open .macro is reported, an unknown pseudo-op must not be.
    const r = assemble(`\t${d}\n`, { file: 'x.s' });
    const unknown = [...r.errors, ...r.warnings].filter((e) => /unknown|unrecognized|not supported/i.test(e.message));
    assert.deepEqual(unknown, [], d);
  }
});
