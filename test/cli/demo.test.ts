// demo.test.ts: the demo's committed bytes match examples/demo64/demo64.S, and the demo prints what it should.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_CODE, DEMO_EXPECTED, runDemo } from '../../cli/demo';
import { StopReason } from '../../emulator/cpu/step';
import { main, usage } from '../../cli/main';
import { repoRoot } from '../../bench/workloads';

test('cli/demo.ts holds the bytes of examples/demo64/demo64.S', (t) => {
  if (spawnSync('as', ['--version']).status !== 0 || spawnSync('objcopy', ['--version']).status !== 0) {
    t.skip('GNU as or objcopy not installed');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'demo64-'));
  try {
    const src = join(repoRoot(), 'examples', 'demo64', 'demo64.S');
    const as = spawnSync('as', ['--64', '-o', join(dir, 'demo64.o'), src], { encoding: 'utf8' });
    assert.equal(as.status, 0, as.stderr);
    const oc = spawnSync('objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'demo64.o'), join(dir, 'demo64.bin')], { encoding: 'utf8' });
    assert.equal(oc.status, 0, oc.stderr);
    assert.equal(readFileSync(join(dir, 'demo64.bin')).toString('hex'), DEMO_CODE.toString('hex'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the demo prints Fibonacci numbers and halts', () => {
  const r = runDemo();
  assert.equal(r.exception, null);
  assert.equal(r.output, DEMO_EXPECTED);
  assert.equal(r.stop, StopReason.Halt);
});

test('the command line: usage, unknown commands exit 2', async () => {
  assert.match(usage(), /demo/);
  const write = process.stderr.write;
  let err = '';
  process.stderr.write = ((s: string) => { err += s; return true; }) as typeof process.stderr.write;
  try {
    assert.equal(await main(['no-such-command']), 2);
  } finally {
    process.stderr.write = write;
  }
  assert.match(err, /unknown command 'no-such-command'/);
  assert.match(err, /Usage: trampoline/);
});
