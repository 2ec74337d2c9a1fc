// languageClient.ts: starts the GAS language server (dist/server.js, stdio) for `gas` documents unless
// trampoline.server.enabled is false. It stays on in untrusted workspaces: it only reads text.
import * as vscode from 'vscode';
import type { LanguageClient, LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node';

/** Loads the client library only when the server is on (it is a fifth of the bundle). */
export async function startLanguageClient(context: vscode.ExtensionContext): Promise<LanguageClient | undefined> {
  if (!vscode.workspace.getConfiguration('trampoline.server').get<boolean>('enabled', true)) return undefined;
  const { LanguageClient, TransportKind } = await import('vscode-languageclient/node');
  const module = context.asAbsolutePath('dist/server.js');
  const server: ServerOptions = {
    run: { module, transport: TransportKind.stdio },
    debug: { module, transport: TransportKind.stdio },
  };
  const client: LanguageClientOptions = {
    documentSelector: [{ language: 'gas' }],
    initializationOptions: { includePaths: [], defines: {} },
  };
  const lc = new LanguageClient('trampoline.gas', 'Trampoline GAS', server, client);
  await lc.start();
  return lc;
}
