// start.ts: starts the GAS language server on stdio — the body of server/main.ts (the bundle's entry) and of
// `trampoline lsp`.
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { Session } from './session';

export function startLanguageServer(): Promise<number> {
  const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  // A bug must cost one answer, not the server: log it and keep serving.
  process.on('uncaughtException', (e) => connection.console.error(`uncaught: ${e.stack ?? e.message}`));
  new Session(connection).listen();
  return new Promise((resolve) => connection.onExit(() => resolve(0)));
}
