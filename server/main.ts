// main.ts: entry point of the GAS language server (bundled to dist/server.js): JSON-RPC over stdio
// (LSP 3.17 base protocol), handlers in session.ts.
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { Session } from './session';

const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
// A bug must cost one answer, not the server: log it and keep serving.
process.on('uncaughtException', (e) => connection.console.error(`uncaught: ${e.stack ?? e.message}`));
new Session(connection).listen();
