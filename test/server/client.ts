// client.ts: starts the real language server (out/server/main.js, as the test runner transpiled it) and
// speaks JSON-RPC to it over its stdio, as an editor does (vscode-languageserver-protocol/node).
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  Diagnostic, InitializeParams, InitializeResult, ProtocolConnection, PublishDiagnosticsNotification, StreamMessageReader, StreamMessageWriter,
  createProtocolConnection,
} from 'vscode-languageserver-protocol/node';

export const ROOT = path.resolve(__dirname, '../../..');
/** The repository's own copy of a file (out/ has copies; the server reads what the URI names). */
export const repoFile = (rel: string): string => path.join(ROOT, ...rel.split('/'));
export const uriOf = (file: string): string => pathToFileURL(file).href;

export interface Server {
  conn: ProtocolConnection;
  proc: ChildProcess;
  /** Latest diagnostics published per URI. */
  diagnostics: Map<string, Diagnostic[]>;
  /** Resolves with the diagnostics of `uri` once some are published after now (or already were, when `fresh` is false). */
  diagnosticsFor(uri: string, timeoutMs?: number): Promise<Diagnostic[]>;
  open(file: string, text?: string, version?: number): Promise<void>;
  stderr: () => string;
  /** The server's answer to initialize (its capabilities). */
  initialized: InitializeResult;
  close(): Promise<void>;
}

export async function startServer(init: Partial<InitializeParams> = {}): Promise<Server> {
  const main = path.resolve(__dirname, '../../server/main.js');
  const proc = spawn(process.execPath, [main], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const conn = createProtocolConnection(new StreamMessageReader(proc.stdout as NodeJS.ReadableStream), new StreamMessageWriter(proc.stdin as NodeJS.WritableStream));
  const diagnostics = new Map<string, Diagnostic[]>();
  const waiters: { uri: string; resolve: (d: Diagnostic[]) => void }[] = [];
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
    diagnostics.set(p.uri, p.diagnostics);
    for (let k = waiters.length - 1; k >= 0; k--) if (waiters[k].uri === p.uri) waiters.splice(k, 1)[0].resolve(p.diagnostics);
  });
  conn.listen();
  const initialized = await conn.sendRequest<InitializeResult>('initialize', { processId: process.pid, rootUri: uriOf(ROOT), capabilities: {}, workspaceFolders: [{ uri: uriOf(ROOT), name: 'root' }], ...init });
  await conn.sendNotification('initialized', {});
  return {
    conn, proc, diagnostics, initialized,
    diagnosticsFor: (uri, timeoutMs = 10_000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({ uri, resolve: (d) => { clearTimeout(timer); resolve(d); } });
    }),
    open: async (file, text, version = 1) => {
      await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: uriOf(file), languageId: 'gas', version, text: text ?? readFileSync(file, 'utf8') } });
    },
    stderr: () => err,
    close: async () => {
      try {
        await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
        await conn.sendNotification('exit');
      } catch (_) { /* already gone */ }
      conn.dispose();
      if (proc.exitCode === null) proc.kill();
    },
  };
}

/** 0-based line of the first line of `text` matching `re` (tests locate lines by their text, never by number). */
export function lineOf(text: string, re: RegExp, from = 0): number {
  const lines = text.split('\n');
  for (let k = from; k < lines.length; k++) if (re.test(lines[k])) return k;
  throw new Error(`no line matches ${re}`);
}
