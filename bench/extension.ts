// extension.ts: what loading the extension costs, without VS Code — the time to require dist/extension.js
// (the inline debug adapter, emulator and assembler come with it) and to run its activate() against a stub
// `vscode` module, and the first debug session's load of the inline adapter, each in a fresh Node process, plus the sizes of the bundle and of the .vsix. VS Code's
// own activation overhead is not included. Run after `npm run build` (and `npm run package` for the .vsix):
// `npx esbuild bench/extension.ts --bundle --platform=node --outfile=node_modules/.cache/trampoline-bench/extension.js && node node_modules/.cache/trampoline-bench/extension.js [--runs=N]`.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './workloads';

/**
 * Runs in the child: a `vscode` stub where every member is a callable, constructible proxy (registrations
 * return disposables by being proxies), except configuration, which answers each setting's default with the
 * language server off (starting it is a separate process, not activation).
 */
const CHILD = String.raw`
const Module = require('node:module');
const { performance } = require('node:perf_hooks');
const stub = () => new Proxy(function () {}, {
  get: (t, k) => k === 'then' ? undefined : k === Symbol.toPrimitive ? () => '' : stub(),
  apply: () => stub(),
  construct: () => stub(),
  set: () => true,
});
// Named members as own keys (a bundle's ESM interop copies them), any other member a stub too.
const members = {};
const vscode = new Proxy(members, { get: (t, k) => k in t ? t[k] : stub() });
for (const name of ['window', 'debug', 'commands', 'env', 'languages', 'extensions', 'Uri', 'EventEmitter', 'TreeItem', 'TreeItemCollapsibleState',
  'StatusBarAlignment', 'DebugAdapterExecutable', 'DebugAdapterInlineImplementation', 'DebugConfigurationProviderTriggerKind', 'Position',
  'Range', 'Disposable']) members[name] = stub();
let factory = null;
members.debug = new Proxy({}, { get: (d, n) => n === 'registerDebugAdapterDescriptorFactory' ? (type, f) => { factory = f; return stub(); } : stub() });
members.workspace = new Proxy({}, { get: (w, n) => n === 'getConfiguration' ? () => ({ get: (key, d) => key === 'enabled' ? false : d }) : n === 'isTrusted' ? true : stub() });
const load = Module._load;
Module._load = function (request, ...rest) { return request === 'vscode' ? vscode : load.call(this, request, ...rest); };
const t0 = performance.now();
const ext = require(process.argv[1]);
const t1 = performance.now();
const context = { subscriptions: [], extensionPath: process.argv[2], asAbsolutePath: (p) => require('node:path').join(process.argv[2], p) };
ext.activate(context);
const t2 = performance.now();
factory.createDebugAdapterDescriptor().then(() => {
  const t3 = performance.now();
  process.stdout.write(JSON.stringify({ require: t1 - t0, activate: t2 - t1, adapter: t3 - t2, subscriptions: context.subscriptions.length }));
});
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function runExtensionBench(runs = 7): void {
  const root = repoRoot();
  const bundle = path.join(root, 'dist', 'extension.js');
  if (!existsSync(bundle)) {
    console.log('extension: dist/extension.js missing; run `npm run build` first');
    return;
  }
  const requireMs: number[] = [];
  const activateMs: number[] = [];
  const adapterMs: number[] = [];
  let subscriptions = 0;
  for (let k = 0; k < runs; k++) {
    const r = spawnSync(process.execPath, ['-e', CHILD, bundle, root], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`extension bench child failed: ${r.stderr}`);
    const m = JSON.parse(r.stdout) as { require: number; activate: number; adapter: number; subscriptions: number };
    adapterMs.push(m.adapter);
    requireMs.push(m.require);
    activateMs.push(m.activate);
    subscriptions = m.subscriptions;
  }
  const kib = (f: string): string => (statSync(f).size / 1024).toFixed(1);
  console.log(`extension: require dist/extension.js ${median(requireMs).toFixed(1)} ms median (min ${Math.min(...requireMs).toFixed(1)}), ` +
    `activate() ${median(activateMs).toFixed(1)} ms with a stub vscode (${subscriptions} registrations), ` +
    `first debug session's adapter load ${median(adapterMs).toFixed(1)} ms; ${runs} fresh processes; bundle ${kib(bundle)} KiB`);
  const vsix = path.join(root, 'trampoline-0.1.0.vsix');
  if (existsSync(vsix)) console.log(`extension: trampoline-0.1.0.vsix ${kib(vsix)} KiB`);
}

if (require.main === module) {
  const arg = process.argv.find((a) => a.startsWith('--runs='));
  runExtensionBench(arg === undefined ? 7 : Number(arg.slice(7)));
}
