// dap.ts: the debug adapter's latencies as a user feels them, over the real protocol (DebugClient on a
// loopback socket to an in-process session) on the lvl5 example: launch to stopped-on-entry ("F5"), a
// stepIn round trip (request to stopped event), a full Variables refresh (scopes + every scope's
// variables), and one page-table level expansion. Medians and p99 in milliseconds.
// Run alone: esbuild bench/dap.ts --bundle … && node …/dap.js [--steps=N]
import { performance } from 'node:perf_hooks';
import { example, launch, startInProcess, stopped } from '../test/support/dap';

export interface DapFigures {
  entryMs: number;
  stepIn: { median: number; p99: number; n: number };
  variables: { median: number; p99: number; n: number };
  pageTableLevel: { median: number; p99: number; n: number };
}

function stats(samples: number[]): { median: number; p99: number; n: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p99: at(0.99), n: s.length };
}

export async function runDapBench(steps = 300): Promise<DapFigures> {
  const { dc, close } = await startInProcess();
  try {
    const program = example('lvl5-trampoline', 'lvl5.S');
    const t0 = performance.now();
    await launch(dc, { program, boot: 'long', load: '0x100000000', paging: 4, stopOnEntry: true });
    await stopped(dc);
    const entryMs = performance.now() - t0;

    const stepTimes: number[] = [];
    const varTimes: number[] = [];
    for (let k = 0; k < steps; k++) {
      const s0 = performance.now();
      await dc.stepInRequest({ threadId: 1 });
      const s = await stopped(dc);
      stepTimes.push(performance.now() - s0);
      if (s.reason !== 'step') break; // the program halted
      const v0 = performance.now();
      await dc.stackTraceRequest({ threadId: 1 });
      const scopes = await dc.scopesRequest({ frameId: 0 });
      for (const scope of scopes.body.scopes) await dc.variablesRequest({ variablesReference: scope.variablesReference });
      varTimes.push(performance.now() - v0);
    }

    const ptTimes: number[] = [];
    for (let k = 0; k < 50; k++) {
      const p0 = performance.now();
      const root = await dc.customRequest('trampoline/pageTables');
      const first = root.body.entries.find((e: { child: unknown }) => e.child !== null);
      if (first !== undefined) await dc.customRequest('trampoline/pageTables', { table: first.child });
      ptTimes.push(performance.now() - p0);
    }
    return { entryMs, stepIn: stats(stepTimes), variables: stats(varTimes), pageTableLevel: stats(ptTimes) };
  } finally {
    await close();
  }
}

export function formatDapFigures(f: DapFigures): string {
  const ms = (n: number): string => `${n.toFixed(2)} ms`;
  return [
    'Debug adapter over DAP (lvl5 example, in-process session on a loopback socket)',
    `  launch → stopped on entry        ${ms(f.entryMs)}   (target < 1 s)`,
    `  stepIn round trip                median ${ms(f.stepIn.median)}, p99 ${ms(f.stepIn.p99)} over ${f.stepIn.n}   (target median < 2 ms, p99 < 10 ms)`,
    `  variables, every scope           median ${ms(f.variables.median)}, p99 ${ms(f.variables.p99)} over ${f.variables.n}`,
    `  page-table level expansion       median ${ms(f.pageTableLevel.median)}, p99 ${ms(f.pageTableLevel.p99)} over ${f.pageTableLevel.n}   (target < 20 ms)`,
  ].join('\n');
}

if (require.main === module) {
  const arg = process.argv.find((a) => a.startsWith('--steps='));
  runDapBench(arg ? Number(arg.slice(8)) : 300).then((f) => console.log(formatDapFigures(f)), (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
