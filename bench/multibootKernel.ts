// multibootKernel.ts: examples/multiboot-kernel (built with GCC and GNU ld into a temporary folder) run to its
// exit by the same boot sequence as `trampoline run --boot multiboot`: virtual time (the instruction count,
// which also advances while the kernel waits in HLT for its timer) and host time.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CpuFeatures } from '../emulator/cpu/features';
import { bootProgram } from '../emulator/loaders/boot';
import { buildKernel, toolsMissing } from '../test/support/multibootKernel';

function main(): void {
  const missing = toolsMissing();
  if (missing !== null) { console.log(`multiboot-kernel: not run: ${missing}`); return; }
  const work = mkdtempSync(path.join(tmpdir(), 'trampoline-mbk-bench-'));
  try {
    const elf = buildKernel(work);
    const bytes = new Uint8Array(readFileSync(elf));
    const runs: { seconds: number; icount: number; status: string }[] = [];
    for (let k = 0; k < 3; k++) {
      let out = '';
      const booted = bootProgram({
        file: elf, bytes, boot: 'multiboot', load: null, entry: null, features: new CpuFeatures(), paging: 4, memory: null,
        cmdline: null, initrd: [], disk: null, output: (b) => { out += String.fromCharCode(b); }, input: () => -1,
      });
      const m = booted.machine;
      const t0 = performance.now();
      for (;;) {
        const r = m.run({ maxInstructions: 1_000_000 });
        if (r !== 'limit' || m.cpu.icount > 1e10) break;
      }
      runs.push({ seconds: (performance.now() - t0) / 1000, icount: m.cpu.icount, status: `${m.lastStop.reason} ${m.lastStop.exitCode} (${out.split('\n').length - 1} console lines)` });
    }
    const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    console.log(`multiboot-kernel (gcc -O2, 5 PIT ticks at 100 Hz then exit): ${best.icount.toLocaleString('en')} instructions of virtual time in ${(best.seconds * 1000).toFixed(1)} ms, ` +
      `${(best.icount / best.seconds / 1e6).toFixed(1)} M virtual instructions/s (HLT skips time to the next tick); stop: ${best.status}; fastest of ${runs.length}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
