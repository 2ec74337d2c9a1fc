// time.ts: virtual time for the devices. Every clock (PIT, RTC, UART pacing) is derived from the
// retired-instruction count (cpu.icount), so a run is identical every time it is repeated.
//
// VIRTUAL_HZ is how many instructions make one virtual second. 100 million is chosen because it is
// close to what the interpreter actually executes per host second, so guest timeouts ("press a key
// within 5 s", an 18.2 Hz tick) feel roughly like wall-clock time, and a firmware delay loop polling
// port 0x61 for 10 ms costs 1 M instructions rather than 10 M. The CPU's TSC is cpu.icount itself
// (cpu/time.ts TSC_PER_INSN), so the guest sees a 100 MHz TSC, which it calibrates against the PIT.

/** Instructions per virtual second. */
export const VIRTUAL_HZ = 100_000_000;

/** The 8254 input clock: 14.31818 MHz / 12 (Intel 8254 datasheet; IBM PC Technical Reference). */
export const PIT_HZ = 1_193_182;

/**
 * Whole ticks of a clock running at `hz` that have elapsed after `icount` instructions:
 * floor(icount * hz / VIRTUAL_HZ), computed in two parts so no intermediate exceeds 2^53
 * (icount * hz alone would overflow after ~7.5e9 instructions at the PIT rate).
 */
export function ticksAt(icount: number, hz: number): number {
  const seconds = Math.floor(icount / VIRTUAL_HZ);
  const rest = icount - seconds * VIRTUAL_HZ;
  return seconds * hz + Math.floor((rest * hz) / VIRTUAL_HZ);
}

/** The first instruction count at which ticksAt(icount, hz) >= tick: the inverse of ticksAt. */
export function icountAtTick(tick: number, hz: number): number {
  const seconds = Math.floor(tick / hz);
  const rest = tick - seconds * hz;
  return seconds * VIRTUAL_HZ + Math.ceil((rest * VIRTUAL_HZ) / hz);
}

/** A source of the current virtual time: returns the instruction count now (the machine passes () => cpu.icount). */
export type Clock = () => number;
