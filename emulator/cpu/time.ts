// time.ts: the emulated processor's clock. Time is virtual and advances with the instruction count
// (cpu.icount), so a run is deterministic: the same program gives the same TSC readings every time.

/** TSC ticks per retired instruction. */
export const TSC_PER_INSN = 1;
