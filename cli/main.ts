// main.ts: the `trampoline` command line — a table of subcommands (run, demo, asm, disasm, dap, lsp...),
// one row of COMMANDS each.
import { lvl5Demo } from './lvl5Demo';
import { disasmCommand } from './disasm';
import { asmCommand } from './asm';
import { runCommand } from './run';
import { ptCommand } from './pt';
import { dapCommand } from './dap';
import { lspCommand } from './lsp';

interface Command {
  /** One line for the usage text: arguments after the command name. */
  args: string;
  summary: string;
  /** Returns the process exit code. */
  run(argv: string[]): number | Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  run: { args: '<program> [--boot ...] [--json] (run --help for all)', summary: 'run a boot program until halt, exit port, triple fault or the instruction limit', run: (argv) => runCommand(argv) },
  pt: { args: '<program> --at <label|addr> [--depth N] [--json] [run options]', summary: 'run to a label or address and print the page tables there as a tree', run: (argv) => ptCommand(argv) },
  demo: { args: '', summary: "run the seed's 4- to 5-level paging trampoline above 4 GiB and show its mode switches", run: () => lvl5Demo() },
  asm: { args: '<file.S> -o <out> [--listing] [--format bin|elf] [-I dir] [-D NAME[=V]] [--origin ADDR]', summary: 'assemble GAS source into a flat binary or an ELF object (like as)', run: (argv) => asmCommand(argv) },
  disasm: { args: '<file> [--syntax att|intel] [--start ADDR] [--bits 16|32|64]', summary: 'disassemble a raw binary like objdump -d', run: (argv) => disasmCommand(argv) },
  lsp: { args: '', summary: 'the GAS language server (Language Server Protocol) on stdio', run: (argv) => lspCommand(argv) },
  dap: { args: '[--port N]', summary: 'the debug adapter (Debug Adapter Protocol) on stdio or a loopback port', run: (argv) => dapCommand(argv) },
};

function version(): string {
  // Bundled into dist/ or transpiled into out/cli/: package.json is one or two folders up.
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pkg = require(rel) as { name?: string; version?: string };
      if (pkg.name === 'trampoline' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return 'unknown';
}

export function usage(): string {
  const width = Math.max(...Object.entries(COMMANDS).map(([n, c]) => `${n} ${c.args}`.trim().length), 9);
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${`${n} ${c.args}`.trim().padEnd(width)}  ${c.summary}`);
  return [
    'Usage: trampoline <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    `  ${'--help'.padEnd(width)}  show this help`,
    `  ${'--version'.padEnd(width)}  show the version`,
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`trampoline ${version()}\n`);
    return 0;
  }
  const cmd = name === undefined ? undefined : COMMANDS[name];
  if (cmd === undefined) {
    if (name !== undefined) process.stderr.write(`trampoline: unknown command '${name}'\n\n`);
    process.stderr.write(usage());
    return 2;
  }
  return cmd.run(rest);
}

if (require.main === module) {
  // `trampoline run x | head`: a reader that went away ends the output quietly, as for any Unix tool.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      process.stderr.write(`trampoline: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
