// launchJson.test.ts: each example's .vscode/launch.json, as VS Code would start it (comments allowed,
// ${workspaceFolder} substituted), through the real adapter to the end — the console its README expects
// and the exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { parseLaunch } from '../../adapter/launch';
import { collectOutput, example, launch, startInProcess, stopped } from '../support/dap';

/** launch.json is JSONC: VS Code allows // comments (only whole-line ones are used in the examples). */
function readLaunchJson(folder: string): Record<string, unknown>[] {
  const text = readFileSync(example(folder, '.vscode', 'launch.json'), 'utf8').split('\n').filter((l) => !/^\s*\/\//.test(l)).join('\n');
  const json = JSON.parse(text) as { version: string; configurations: Record<string, unknown>[] };
  assert.equal(json.version, '0.2.0');
  return json.configurations.map((c) => JSON.parse(JSON.stringify(c).replaceAll('${workspaceFolder}', example(folder))) as Record<string, unknown>);
}

/** F(n) by the definition F(0) = 0, F(1) = 1. */
function fibonacci(n: number): bigint {
  let a = 0n, b = 1n;
  for (let k = 0; k < n; k++) [a, b] = [b, a + b];
  return a;
}

// Each README's expected console and how it ends: the exit port 0xF4 (status = value << 1 | 1) ends the
// session; `cli; hlt` stops on the "halt" exception filter (on by default), so the last state stays visible.
const CASES: { folder: string; console: string[]; exitCode: number | 'halted' }[] = [
  // CR4 = PAE (bit 5) | LA57 (bit 12) after the switch: SDM Vol.3A §2.5.
  { folder: 'lvl5-trampoline', console: ['CR4 = 0x0000000000000020', 'CR4 = 0x0000000000001020'], exitCode: 'halted' },
  { folder: 'la57-gp', console: [
    '64-bit mode, CR4 = 0x0000000000000020; setting CR4.LA57',
    'exception 0x000000000000000d, error code 0x0000000000000000 at RIP 0x0000000100000072',
    'CR4 = 0x0000000000000020'], exitCode: 'halted' },
  { folder: 'lvl5-to-lvl4', console: [
    'kernel entered at 0x0000000100000000, CR4 = 0x0000000000001020',
    'back in the kernel at 0x0000000100000088, CR4 = 0x0000000000000020'], exitCode: 'halted' },
  { folder: 'real-to-long', console: ['real2long: real mode', 'E820 entries: 4', 'long mode'], exitCode: 1 },
  { folder: 'demo64', console: [`F(10) = ${fibonacci(10)}`, `F(90) = ${fibonacci(90)}`], exitCode: 'halted' },
];

for (const c of CASES) {
  test(`examples/${c.folder}/.vscode/launch.json runs as is to the end`, async () => {
    const [config] = readLaunchJson(c.folder);
    assert.equal(config.type, 'trampoline');
    assert.equal(config.request, 'launch');
    assert.doesNotThrow(() => parseLaunch(config));
    const { dc, close } = await startInProcess();
    try {
      const out = collectOutput(dc);
      // How the run ends: an exit (exit port) or a stop other than the entry stop. The DebugClient sets no
      // timeouts on a socket, so the wait is bounded here.
      const end = new Promise<number | string>((resolve) => {
        const timer = setTimeout(() => resolve('no stop or exit within 60 s'), 60_000);
        const done = (v: number | string): void => { clearTimeout(timer); resolve(v); };
        dc.on('exited', (e: DebugProtocol.ExitedEvent) => done(e.body.exitCode));
        dc.on('stopped', (e: DebugProtocol.StoppedEvent) => { if (e.body.reason !== 'entry') done(e.body.description ?? e.body.reason); });
      });
      await launch(dc, config);
      if (config.stopOnEntry === true) {
        assert.equal((await stopped(dc)).reason, 'entry');
        await dc.continueRequest({ threadId: 1 });
      }
      const how = await end;
      for (const line of c.console) assert.ok(out.text.includes(line), `console has ${JSON.stringify(line)}:\n${out.text}`);
      assert.equal(how, c.exitCode, out.text);
    } finally {
      await close();
    }
  });
}
