// dap.ts: drives the real debug adapter over the protocol with @vscode/debugadapter-testsupport's
// DebugClient — in process (a TrampolineSession per connection on a loopback port) or as the
// `trampoline dap` command on stdio.
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { nodeFiles } from '../../adapter/nodeFiles';
import { TrampolineSession } from '../../adapter/session';

/** The repository root: the nearest folder above this file holding package.json and examples/. */
function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'examples'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(__dirname, '..', '..');
    dir = up;
  }
}

export interface DapHarness {
  dc: DebugClient;
  close(): Promise<void>;
}

/** The adapter in this process, reached through a loopback socket. */
export async function startInProcess(): Promise<DapHarness> {
  const sessions: TrampolineSession[] = [];
  const server = net.createServer((socket) => {
    // Responses and events are small writes: without this, Nagle's algorithm holds the stopped event
    // behind the response for a delayed ACK (about 40 ms).
    socket.setNoDelay(true);
    const s = new TrampolineSession(nodeFiles);
    s.setRunAsServer(true);
    s.start(socket, socket);
    sessions.push(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const dc = new DebugClient('node', 'unused', 'trampoline');
  dc.defaultTimeout = 20_000;
  await dc.start(port);
  queueOf(dc);
  return {
    dc,
    close: async () => {
      await dc.stop().catch(() => undefined);
      for (const s of sessions) s.dispose();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `trampoline dap` as a child process on stdio (the transpiled cli/main.js). */
export async function startStdio(): Promise<DapHarness> {
  const launcher = path.join(__dirname, 'dapStdio.js');
  const dc = new DebugClient('node', launcher, 'trampoline', { cwd: repoRoot() });
  dc.defaultTimeout = 20_000;
  await dc.start();
  queueOf(dc);
  return { dc, close: async () => { await dc.stop().catch(() => undefined); } };
}

export function example(...parts: string[]): string {
  return path.join(repoRoot(), 'examples', ...parts);
}

/**
 * Stopped events, queued from the start: a stop may arrive in the same chunk as the response that caused
 * it, before a waitForEvent could be registered.
 */
const queues = new WeakMap<DebugClient, { events: DebugProtocol.StoppedEvent['body'][]; waiting: ((b: DebugProtocol.StoppedEvent['body']) => void)[] }>();

function queueOf(dc: DebugClient): { events: DebugProtocol.StoppedEvent['body'][]; waiting: ((b: DebugProtocol.StoppedEvent['body']) => void)[] } {
  let q = queues.get(dc);
  if (q === undefined) {
    const created = { events: [] as DebugProtocol.StoppedEvent['body'][], waiting: [] as ((b: DebugProtocol.StoppedEvent['body']) => void)[] };
    dc.on('stopped', (e: DebugProtocol.StoppedEvent) => {
      const w = created.waiting.shift();
      if (w) w(e.body); else created.events.push(e.body);
    });
    queues.set(dc, created);
    q = created;
  }
  return q;
}

/** The next stopped event (any reason), queued or to come. */
export async function stopped(dc: DebugClient, timeout = 20_000): Promise<DebugProtocol.StoppedEvent['body']> {
  const q = queueOf(dc);
  const ready = q.events.shift();
  if (ready !== undefined) return ready;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no stopped event within ${timeout} ms`)), timeout);
    q.waiting.push((b) => { clearTimeout(timer); resolve(b); });
  });
}

/** Output events' text so far (console, stdout...). */
export function collectOutput(dc: DebugClient): { text: string } {
  const out = { text: '' };
  dc.on('output', (e: DebugProtocol.OutputEvent) => { out.text += e.body.output; });
  return out;
}

/** Launches with the given attributes after setting breakpoints through `configure`; returns the launch response. */
export async function launch(dc: DebugClient, args: Record<string, unknown>, configure: () => Promise<unknown> = async () => undefined): Promise<DebugProtocol.LaunchResponse> {
  await dc.initializeRequest({ adapterID: 'trampoline', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path', supportsMemoryReferences: true } as DebugProtocol.InitializeRequestArguments);
  const launched = dc.launchRequest(args as DebugProtocol.LaunchRequestArguments);
  // A launch that fails answers with an error and never sends `initialized`.
  await Promise.race([dc.waitForEvent('initialized'), launched.then(() => undefined)]);
  await configure();
  await dc.configurationDoneRequest();
  return launched;
}

/** The 1-based line of the first line containing `text` (after `after` when given). */
export function lineOf(fileText: string, text: string, after?: string): number {
  const lines = fileText.split('\n');
  const from = after === undefined ? 0 : lines.findIndex((l) => l.includes(after));
  const k = lines.findIndex((l, i) => i >= from && l.includes(text));
  if (k < 0) throw new Error(`no line with ${JSON.stringify(text)}`);
  return k + 1;
}
