// lsp.ts: `trampoline lsp` — the GAS language server (server/) on stdio, for editors other than VS Code.
import { startLanguageServer } from '../server/start';

export const LSP_USAGE = 'Usage: trampoline lsp   (the language server for GAS sources, JSON-RPC on stdio)\n';

export function lspCommand(argv: string[]): number | Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { process.stdout.write(LSP_USAGE); return 0; }
  const extra = argv.filter((a) => a !== '--stdio'); // what VS Code-style clients pass
  if (extra.length) { process.stderr.write(`trampoline lsp: unknown option ${JSON.stringify(extra[0])}\n${LSP_USAGE}`); return 2; }
  return startLanguageServer();
}
