// dapStdio.ts: starts `trampoline dap` on stdio from the transpiled sources (DebugClient runs a script).
import { main } from '../../cli/main';

void main(['dap', ...process.argv.slice(2)]).then((code) => { process.exitCode = code; });
