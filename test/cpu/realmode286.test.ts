// realmode286.test.ts: 16-bit real-mode instructions against hardware-captured 80286 vectors
// (SingleStepTests/80286 v1_real_mode subset in shared/oracles/real-mode-286; runner in ../support/oracle286.ts).
// Diagnose a file with: node out/test/support/oracle286.js D3.5   (after node scripts/test.mjs --transpile-only)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OUT_OF_SCOPE, oracleMissing, runOracle } from '../support/oracle286';
import { hostCpuAvailable, hostRegs, runOnHost } from '../host/hostCpu';

/**
 * Opcode files that must pass 100% (every test not skipped as 286-only): every file of the vectors
 * except OUT_OF_SCOPE (D8). The test also fails if the vectors hold an in-scope file missing here.
 */
const EXPECTED_PASS: readonly string[] = [
  '00', '01', '02', '03', '04', '05', '06', '07', '08', '09', '0A', '0B', '0C', '0D', '0E', '10', '11', '12', '13',
  '14', '15', '16', '17', '18', '19', '1A', '1B', '1C', '1D', '1E', '1F', '20', '21', '22', '23', '24', '25', '27',
  '28', '29', '2A', '2B', '2C', '2D', '2F', '30', '31', '32', '33', '34', '35', '37', '38', '39', '3A', '3B', '3C',
  '3D', '3F', '40', '41', '42', '43', '44', '45', '46', '47', '48', '49', '4A', '4B', '4C', '4D', '4E', '4F', '50',
  '51', '52', '53', '54', '55', '56', '57', '58', '59', '5A', '5B', '5C', '5D', '5E', '5F', '60', '61', '62', '68',
  '69', '6A', '6B', '6C', '6D', '6E', '6F', '70', '71', '72', '73', '74', '75', '76', '77', '78', '79', '7A', '7B',
  '7C', '7D', '7E', '7F', '80.0', '80.1', '80.2', '80.3', '80.4', '80.5', '80.6', '80.7', '81.0', '81.1', '81.2',
  '81.3', '81.4', '81.5', '81.6', '81.7', '82.0', '82.1', '82.2', '82.3', '82.4', '82.5', '82.6', '82.7', '83.0',
  '83.1', '83.2', '83.3', '83.4', '83.5', '83.6', '83.7', '84', '85', '86', '87', '88', '89', '8A', '8B', '8C', '8D',
  '8E', '8F', '90', '91', '92', '93', '94', '95', '96', '97', '98', '99', '9A', '9B', '9C', '9D', '9E', '9F', 'A0',
  'A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8', 'A9', 'AA', 'AB', 'AC', 'AD', 'AE', 'AF', 'B0', 'B1', 'B2', 'B3',
  'B4', 'B5', 'B6', 'B7', 'B8', 'B9', 'BA', 'BB', 'BC', 'BD', 'BE', 'BF', 'C0.0', 'C0.1', 'C0.2', 'C0.3', 'C0.4',
  'C0.5', 'C0.6', 'C0.7', 'C1.0', 'C1.1', 'C1.2', 'C1.3', 'C1.4', 'C1.5', 'C1.6', 'C1.7', 'C2', 'C3', 'C4', 'C5',
  'C6', 'C7', 'C9', 'CA', 'CB', 'CC', 'CD', 'CE', 'CF', 'D0.0', 'D0.1', 'D0.2', 'D0.3', 'D0.4', 'D0.5', 'D0.6',
  'D0.7', 'D1.0', 'D1.1', 'D1.2', 'D1.3', 'D1.4', 'D1.5', 'D1.6', 'D1.7', 'D2.0', 'D2.1', 'D2.2', 'D2.3', 'D2.4',
  'D2.5', 'D2.6', 'D2.7', 'D3.0', 'D3.1', 'D3.2', 'D3.3', 'D3.4', 'D3.5', 'D3.6', 'D3.7', 'D4', 'D5', 'D6', 'D7',
  'E0', 'E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7', 'E8', 'E9', 'EA', 'EB', 'EC', 'ED', 'EE', 'EF', 'F4', 'F5', 'F6.0',
  'F6.1', 'F6.2', 'F6.3', 'F6.4', 'F6.5', 'F6.6', 'F6.7', 'F7.0', 'F7.1', 'F7.2', 'F7.3', 'F7.4', 'F7.5', 'F7.6',
  'F7.7', 'F8', 'F9', 'FA', 'FB', 'FC', 'FD', 'FE.0', 'FE.1', 'FF.0', 'FF.1', 'FF.2', 'FF.3', 'FF.4', 'FF.5', 'FF.6',
];

test('80286 real-mode vectors: every expected opcode file passes', (t) => {
  const missing = oracleMissing();
  if (missing) return t.skip(missing);
  const results = runOracle();
  let pass = 0, fail = 0, skipped = 0;
  const lines: string[] = [];
  const failing: string[] = [];
  for (const fr of [...results.values()].sort((a, b) => a.file.localeCompare(b.file))) {
    pass += fr.pass; fail += fr.fail; skipped += fr.skipped;
    const note = OUT_OF_SCOPE[fr.file] ? ` (out of scope: ${OUT_OF_SCOPE[fr.file]})` : '';
    lines.push(`${fr.file}: ${fr.pass}/${fr.pass + fr.fail}${fr.skipped ? `, ${fr.skipped} skipped` : ''}${note}`);
    if (fr.fail > 0) failing.push(`${fr.file} (${fr.fail} failing, e.g. ${fr.failures[0].t.name}: ${fr.failures[0].diffs[0]})`);
  }
  t.diagnostic(`total: ${pass} pass, ${fail} fail, ${skipped} skipped (286-only outcomes and out-of-scope files)`);
  t.diagnostic(`per file: ${lines.join('; ')}`);
  if (failing.length) t.diagnostic(`not passing yet: ${failing.join('; ')}`);

  const problems: string[] = [];
  for (const file of EXPECTED_PASS) {
    const fr = results.get(file);
    if (!fr) problems.push(`${file}: no such opcode file in the vectors`);
    else if (fr.fail > 0 || fr.pass === 0) {
      problems.push(`${file}: ${fr.fail} of ${fr.pass + fr.fail} fail, e.g. ${fr.failures[0]?.t.name} [${fr.failures[0]?.t.bytes}]: ${fr.failures[0]?.diffs.join(', ')}`);
    }
  }
  for (const file of results.keys()) {
    if (!OUT_OF_SCOPE[file] && !EXPECTED_PASS.includes(file)) problems.push(`${file}: in scope but not in EXPECTED_PASS`);
  }
  assert.deepEqual(problems, [], 'run `node out/test/support/oracle286.js <file>` for every failing test in detail');
});

test('AAM 0 leaves the status flags unchanged on the host CPU (why the 286 SF/ZF/PF on #DE are not compared)', (t) => {
  const why = hostCpuAvailable();
  if (why) return t.skip(why);
  // The AX/FLAGS inputs of the D4 vectors where the 286 changed SF/ZF/PF before #DE (support/oracle286.ts).
  const inputs: [number, number][] = [[0x1c76, 0x407], [0xb09a, 0xc43], [0x1b4a, 0x492], [0xffff, 0x4d3], [0x09b8, 0x4c2],
    [0x1422, 0xcc7], [0x04e2, 0x813], [0xce97, 0xc03]];
  const results = runOnHost(inputs.map(([ax, flags]) => {
    const regs = hostRegs();
    regs[0] = BigInt(ax);
    return { mode: 32 as const, code: Uint8Array.from([0xd4, 0x00]), regs, rflags: flags };
  }));
  results.forEach((r, k) => {
    assert.equal(r.fault?.vector, 0, 'AAM 0 raises #DE (SDM Vol.2A AAM)');
    assert.equal(r.rflags & 0x8d5, inputs[k][1] & 0x8d5, `flags after AAM 0 with AX=${inputs[k][0].toString(16)}`);
  });
});
