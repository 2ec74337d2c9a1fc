// lsp.ts: latency of the GAS language server on a generated 5,000-line file, measured as an editor sees
// it (JSON-RPC over stdio to the real server): diagnostics after an edit; hover and completion on the
// first request after typing elsewhere, after a new line above, on the line just edited (all answered
// from the last assembly, lines followed across the edits), and cached; and go to definition after an
// edit, which waits for a new assembly of the file. Prints median and
// p99 per figure. Run alone: `npx esbuild bench/lsp.ts --bundle --platform=node --outfile=node_modules/.cache/trampoline-bench/lsp.js && node node_modules/.cache/trampoline-bench/lsp.js [--edits=N]`,
// or from bench/run.ts through runLspBench().
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './workloads';
import {
  PublishDiagnosticsNotification, StreamMessageReader, StreamMessageWriter, createProtocolConnection,
} from 'vscode-languageserver-protocol/node';

export interface LspFigure {
  what: string;
  median: number;
  p99: number;
  runs: number;
}

/** A 5,000-line boot-code-like file: labels, numeric locals, #defines, .equ, a macro, calls between routines. */
export function generatedSource(lines = 5000): string {
  const out = ['#define PORT 0xe9', '\t.equ STRIDE, 8', '\t.macro outc c', '\tmovb $\\c, %al', '\toutb %al, %dx', '\t.endm', '\t.text', '\t.code64'];
  for (let k = 0; out.length < lines - 12; k++) {
    out.push(`#define LIMIT_${k} ${k + 1}`, `routine_${k}:`, '\tmovw $PORT, %dx', `\tmovl $LIMIT_${k}, %ecx`, '1:\tdecl %ecx', '\tjz 2f',
      `\tleaq STRIDE(%rsi,%rcx,4), %rax`, '\toutc 0x41', '\tjmp 1b', `2:\t${k ? `call routine_${k - 1}` : 'nop'}`, '\tret', '');
  }
  return out.join('\n') + '\n';
}

function stats(what: string, xs: number[]): LspFigure {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { what, median: at(0.5), p99: at(0.99), runs: s.length };
}

export async function runLspBench(options: { edits?: number; cacheDir?: string } = {}): Promise<LspFigure[]> {
  const edits = options.edits ?? 40;
  const root = repoRoot();
  const cacheDir = options.cacheDir ?? path.join(root, 'node_modules', '.cache', 'trampoline-bench');
  mkdirSync(cacheDir, { recursive: true });
  const serverJs = path.join(cacheDir, 'server.js');
  // The real server, bundled as scripts/build.mjs bundles it (esbuild's CLI: its API cannot be bundled into this file).
  execFileSync(path.join(root, 'node_modules', '.bin', 'esbuild'), [path.join(root, 'server', 'main.ts'), '--bundle', '--platform=node',
    '--target=node20', '--format=cjs', '--log-level=warning', `--outfile=${serverJs}`], { stdio: 'inherit' });
  const dir = mkdtempSync(path.join(tmpdir(), 'gas-bench-'));
  const file = path.join(dir, 'big.S');
  const text = generatedSource();
  writeFileSync(file, text);
  const uri = pathToFileURL(file).href;
  const proc = spawn(process.execPath, [serverJs], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createProtocolConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  let onDiagnostics: ((version: number) => void) | null = null;
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => { if (p.uri === uri && onDiagnostics) onDiagnostics(p.version ?? 0); });
  conn.listen();
  let version = 1;
  // Resolves when the diagnostics of the version current at the time of the call arrive.
  const diagnosed = (): Promise<void> => new Promise((resolve) => {
    const want = version + 1;
    onDiagnostics = (v) => { if (v >= want) { onDiagnostics = null; resolve(); } };
  });
  try {
    await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
    await conn.sendNotification('initialized', {});
    version = 0;
    let wait = diagnosed();
    version = 1;
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'gas', version: 1, text } });
    await wait;
    const lines = text.split('\n');
    let movl = lines.findIndex((l) => l.startsWith('\tmovl $LIMIT_'));
    const diag: number[] = [], hoverTyping: number[] = [], hoverMoved: number[] = [], hoverEdited: number[] = [], hoverCached: number[] = [];
    const completeTyping: number[] = [], completeCached: number[] = [], definitionFresh: number[] = [];
    const time = async (f: () => Promise<unknown>): Promise<number> => { const t = performance.now(); await f(); return performance.now() - t; };
    let lineCount = lines.length;
    const change = async (line: number, character: number, inserted: string): Promise<void> => {
      version++;
      const at = { line, character };
      await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range: { start: at, end: at }, text: inserted }] });
      lineCount += inserted.split('\n').length - 1;
    };
    const hover = (): Promise<unknown> => conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: movl, character: 2 } });
    const complete = (): Promise<unknown> => conn.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: movl, character: 1 } });
    for (let k = 0; k < edits; k++) {
      // A keystroke at the end of the file (a comment), then the diagnostics of that text.
      wait = diagnosed();
      const t = performance.now();
      await change(lineCount - 1, 0, '#');
      await wait;
      diag.push(performance.now() - t);
      // Typing elsewhere: answered from the analysis before the keystroke.
      await change(lineCount - 1, 0, '#');
      hoverTyping.push(await time(hover));
      hoverCached.push(await time(hover));
      await change(lineCount - 1, 0, '#');
      completeTyping.push(await time(complete));
      completeCached.push(await time(complete));
      // A new line above: the hovered line moved, its text did not.
      await change(0, 0, '\n');
      movl++;
      hoverMoved.push(await time(hover));
      // The hovered line itself edited (a trailing blank; the position is past the end, which LSP clamps):
      // its words are read afresh against the last assembly.
      await change(movl, 10_000, ' ');
      hoverEdited.push(await time(hover));
      // Go to definition on the line just edited: answered from the last assembly, the line's words read afresh.
      await change(lineCount - 1, 0, '#');
      definitionFresh.push(await time(() => conn.sendRequest('textDocument/definition', { textDocument: { uri }, position: { line: movl, character: 9 } })));
    }
    return [
      stats('diagnostics after an edit (incl. 150 ms debounce)', diag),
      stats('hover, first request after typing elsewhere', hoverTyping),
      stats('hover, after a new line above (line moved)', hoverMoved),
      stats('hover, on the line just edited', hoverEdited),
      stats('hover, cached analysis', hoverCached),
      stats('completion, first request after typing', completeTyping),
      stats('completion, cached analysis', completeCached),
      stats('definition after an edit (on the edited line)', definitionFresh),
    ];
  } finally {
    conn.dispose();
    proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const editsArg = process.argv.find((a) => a.startsWith('--edits='));
  runLspBench({ edits: editsArg ? Number(editsArg.slice(8)) : undefined }).then((figures) => {
    console.log(`GAS language server, ${generatedSource().split('\n').length - 1}-line file (ms)`);
    console.log('what'.padEnd(52) + 'median'.padStart(9) + 'p99'.padStart(9));
    for (const f of figures) console.log(f.what.padEnd(52) + f.median.toFixed(1).padStart(9) + f.p99.toFixed(1).padStart(9));
  }, (e: unknown) => { console.error(e); process.exit(1); });
}
