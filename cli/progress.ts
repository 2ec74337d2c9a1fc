// progress.ts: the progress line of a long `trampoline run` on a terminal's stderr (design.md "CLI":
// traces, progress and messages go to stderr) — instructions retired, the speed in MIPS and the current
// CPU and paging mode, redrawn in place at most a few times per second and erased at the end. Never used
// with --json or when stderr is not a terminal (run.ts decides).
import { cpuMode, pagingMode } from '../emulator/cpu/modes';
import { StopReason } from '../emulator/cpu/step';
import type { Machine } from '../emulator/machine';

/** Instructions run between two looks at the clock: small enough for a few redraws a second at 10 MIPS. */
const SLICE = 2_000_000;
/** At most this many redraws a second. */
export const PROGRESS_INTERVAL_MS = 250;
/** Nothing is drawn for runs shorter than this: a quick run leaves stderr untouched. */
const FIRST_AFTER_MS = 500;

/** `1.23G`, `45.6M`, `789k`, `12`: an instruction count in three significant digits. */
export function shortCount(n: number): string {
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [v, u] of units) if (n >= v) return `${(n / v).toPrecision(3)}${u}`;
  return String(Math.round(n));
}

/** One progress line (no line end): `insns 1.23G · 45.6 MIPS · long64 · 5-level`. */
export function formatProgress(instructions: number, elapsedMs: number, mode: string, paging: string): string {
  const mips = elapsedMs > 0 ? instructions / elapsedMs / 1000 : 0;
  return `insns ${shortCount(instructions)} · ${mips.toFixed(1)} MIPS · ${mode} · ${paging}`;
}

/** `line` redrawn over the previous one (carriage return, erase to end of line: ECMA-48 EL). */
export function redraw(line: string): string {
  return `\r${line}\x1b[K`;
}

/**
 * Runs like m.run({ maxInstructions }) but in slices, drawing the progress line between them. Slicing is
 * invisible to the guest: virtual time is the instruction count, so the run is the same instruction for
 * instruction (a stop other than the slice's own limit ends it).
 */
export function runWithProgress(m: Machine, maxInstructions: number, draw: (s: string) => void, now: () => number = Date.now): StopReason {
  const start = now();
  const first = m.cpu.icount;
  let lastDraw = start - PROGRESS_INTERVAL_MS + FIRST_AFTER_MS;
  let drawn = false;
  let stop: StopReason = StopReason.Limit;
  for (;;) {
    const done = m.cpu.icount - first;
    const left = maxInstructions - done;
    if (left <= 0) break;
    stop = m.run({ maxInstructions: Math.min(SLICE, left) });
    if (stop !== StopReason.Limit) break;
    const t = now();
    if (t - lastDraw >= PROGRESS_INTERVAL_MS) {
      lastDraw = t;
      drawn = true;
      draw(redraw(formatProgress(m.cpu.icount - first, t - start, cpuMode(m.cpu), pagingMode(m.cpu))));
    }
  }
  if (drawn) draw(redraw(''));
  return stop;
}
