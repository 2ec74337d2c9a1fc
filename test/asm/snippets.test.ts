// test/asm/snippets.test.ts: each .S file of fixtures/ assembled by GNU as and by ours: identical .text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../assembler/index';
import { gasMissing, gasText, hex } from './gas';

const missing = gasMissing();
const DIR = join(__dirname, 'fixtures');

for (const name of readdirSync(DIR).filter((f) => f.endsWith('.S')).sort()) {
  test(`assembler matches GNU as on fixtures/${name}`, { skip: missing ?? false }, () => {
    const source = readFileSync(join(DIR, name), 'utf8');
    const gas = gasText(source);
    assert.ok(gas.text, `GNU as failed: ${gas.stderr}`);
    const r = assemble(source, { file: name });
    assert.deepEqual(r.errors, []);
    const ours = r.sections.find((s) => s.name === '.text')?.data ?? new Uint8Array(0);
    if (hex(ours) !== hex(gas.text)) {
      // Point at the first differing line through our line table.
      let k = 0;
      while (k < ours.length && ours[k] === gas.text[k]) k++;
      const at = r.lines.find((l) => k >= l.address && k < l.address + l.size);
      assert.fail(`first difference at offset 0x${k.toString(16)} (${name}:${at?.line ?? '?'}): ours ${hex(ours.subarray(k, k + 8))}, GNU as ${hex(gas.text.subarray(k, k + 8))}`);
    }
  });
}
