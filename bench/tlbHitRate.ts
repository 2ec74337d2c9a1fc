// tlbHitRate.ts: the share of guest data accesses the TLB's fast path serves. The fast path counts nothing
// (a counter there would cost on every access), so the figure takes two runs of the same deterministic
// workload: a normal one, whose slow-path accesses (mem.misses) are the TLB misses, and one in which a
// counting hook on the MMU takes every page off the fast path (the data-breakpoint mechanism of
// emulator/debug/watchpoints.ts), so that every access, one per page touched, reaches the counter.
import { Machine } from '../emulator/machine';
import { MmuWatch, WATCH_READ, WATCH_WRITE } from '../emulator/debug/watchpoints';
import { runToHalt } from './workloads';

export interface TlbFigures {
  /** Data accesses (per page touched) and those that missed the TLB. */
  accesses: number;
  misses: number;
  /** misses per access subtracted from 1; NaN without accesses. */
  hitRate: number;
}

class CountingWatch implements MmuWatch {
  accesses = 0;
  pageFlags(): number {
    return WATCH_READ | WATCH_WRITE;
  }
  access(): void {
    this.accesses++;
  }
}

/** Runs two fresh machines from `make` for up to `maxInstructions` and compares their accesses. */
export function tlbHitRate(make: () => Machine, maxInstructions: number): TlbFigures {
  const normal = make();
  const a = runToHalt(normal, maxInstructions);
  const counted = make();
  const counter = new CountingWatch();
  counted.mem.watch = counter;
  counted.mem.flush();
  const b = runToHalt(counted, maxInstructions);
  if (a.instructions !== b.instructions) throw new Error(`tlbHitRate: the two runs differ (${a.instructions} vs ${b.instructions} instructions)`);
  const misses = normal.mem.misses;
  return { accesses: counter.accesses, misses, hitRate: 1 - misses / counter.accesses };
}
