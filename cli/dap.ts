// dap.ts: `trampoline dap [--port N]` — the debug adapter on stdio (VS Code's "executable" adapter) or on a
// loopback TCP port, one session per connection (for debugging the adapter itself).
import net from 'node:net';
import { nodeFiles } from '../adapter/nodeFiles';
import { TrampolineSession } from '../adapter/session';

export const DAP_USAGE = 'Usage: trampoline dap [--port N]\n';

export function dapCommand(argv: string[]): number | Promise<number> {
  let port: number | null = null;
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--help' || a === '-h') { process.stdout.write(DAP_USAGE); return 0; }
    if (a === '--port' || a.startsWith('--port=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++k];
      const n = Number(v);
      if (v === undefined || !Number.isInteger(n) || n < 0 || n > 65535) {
        process.stderr.write(`trampoline dap: --port needs a port number 0-65535, got ${v === undefined ? 'nothing' : JSON.stringify(v)}\n${DAP_USAGE}`);
        return 2;
      }
      port = n;
      continue;
    }
    process.stderr.write(`trampoline dap: unknown option ${JSON.stringify(a)}\n${DAP_USAGE}`);
    return 2;
  }
  if (port === null) {
    const session = new TrampolineSession(nodeFiles);
    session.start(process.stdin, process.stdout);
    return new Promise<number>((resolve) => { process.stdin.on('end', () => resolve(0)); });
  }
  return new Promise<number>((resolve) => {
    const server = net.createServer((socket) => {
      socket.on('error', () => socket.destroy());
      socket.setNoDelay(true); // a response and its stopped event must not wait for a delayed ACK
      const session = new TrampolineSession(nodeFiles);
      session.setRunAsServer(true);
      session.start(socket, socket);
    });
    server.on('error', (e) => { process.stderr.write(`trampoline dap: ${e.message}\n`); resolve(2); });
    server.listen(port, '127.0.0.1', () => {
      const a = server.address();
      process.stderr.write(`trampoline dap: listening on 127.0.0.1:${typeof a === 'object' && a ? a.port : port}\n`);
    });
  });
}
