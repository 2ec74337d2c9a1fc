// test/asm/snippets.test.ts: each .S and .s file of fixtures/ assembled by the GNU tools and by ours:
// identical .text. A .S goes through `gcc -c -x assembler-with-cpp` (the C preprocessor, then as), a .s
// through plain `as`, with the same -I and -D options given to both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../assembler/index';
import { fileText, gasMissing, hex } from './gas';
import { FIXTURES as DIR, fixtureOptions, toolArgs } from './fixtureOptions';

const missing = gasMissing();

for (const name of readdirSync(DIR).filter((f) => f.endsWith('.S') || f.endsWith('.s')).sort()) {
  test(`assembler matches GNU ${name.endsWith('.S') ? 'gcc -c' : 'as'} on fixtures/${name}`, { skip: missing ?? false }, () => {
    const source = readFileSync(join(DIR, name), 'utf8');
    const gas = fileText(name, toolArgs(name), DIR);
    assert.ok(gas.text, `GNU tools failed: ${gas.stderr}`);
    const r = assemble(source, fixtureOptions(name));
    assert.deepEqual(r.errors, []);
    const ours = r.sections.find((s) => s.name === '.text')?.data ?? new Uint8Array(0);
    if (hex(ours) !== hex(gas.text)) {
      // Point at the first differing line through our line table.
      let k = 0;
      while (k < ours.length && ours[k] === gas.text[k]) k++;
      const at = r.lines.find((l) => k >= l.address && k < l.address + l.size);
      assert.fail(`first difference at offset 0x${k.toString(16)} (${at?.file ?? name}:${at?.line ?? '?'}): ours ${hex(ours.subarray(k, k + 8))}, GNU ${hex(gas.text.subarray(k, k + 8))}`);
    }
  });
}
