// main.ts: entry point of the GAS language server (bundled to dist/server.js): JSON-RPC over stdio
// (LSP 3.17 base protocol), handlers in session.ts.
import { startLanguageServer } from './start';

void startLanguageServer().then((code) => process.exit(code));
