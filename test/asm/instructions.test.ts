// test/asm/instructions.test.ts: every instruction group of the table, in .code16/.code32/.code64, with
// operands generated from the rows: our bytes must equal GNU as's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GROUPS, groupLines } from './corpus';
import { compareLines } from './differential';
import { gasMissing } from './gas';

const missing = gasMissing();

for (const group of Object.keys(GROUPS)) {
  for (const mode of [16, 32, 64] as const) {
    test(`assembler matches GNU as: ${group} group, .code${mode}`, { skip: missing ?? false }, (t) => {
      const r = compareLines(`.code${mode}\n`, groupLines(group, mode));
      t.diagnostic(`${group} .code${mode}: ${r.passed}/${r.total} identical; GNU as rejects ${r.gasRejected.length} (ours too: ${r.gasRejected.filter((x) => x.oursRejects).length})`);
      const wrongAccept = r.gasRejected.filter((x) => !x.oursRejects).map((x) => x.line);
      assert.deepEqual(r.failures.slice(0, 15), [], `${r.failures.length} lines differ`);
      assert.deepEqual(wrongAccept, [], 'lines GNU as rejects but ours accepts');
    });
  }
}
