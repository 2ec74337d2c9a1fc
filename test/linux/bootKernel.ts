// bootKernel.ts: boots a bzImage in a fresh Machine set up as `trampoline run` sets up every boot state
// but reset (devices programmed as a BIOS leaves them, the built-in BIOS's IVT/BDA/EBDA), runs it until
// the decompressor jumps to the decompressed kernel, and records what the tests look at: the serial
// console, the mode switches, the control registers and EFER at the kernel's entry and the instruction count.
import { BIOS_PORT_BASE, BIOS_PORT_LAST, installBios } from '../../emulator/bios/bios';
import { attachEvents, ModeSwitchEvent } from '../../emulator/cpu/events';
import { CpuFeatures } from '../../emulator/cpu/features';
import { cpuMode, CR4_LA57, CpuMode } from '../../emulator/cpu/modes';
import { StopReason } from '../../emulator/cpu/step';
import { Reg } from '../../emulator/cpu/state';
import { linuxMemoryNeeded, LinuxLoaded, loadLinux } from '../../emulator/loaders/linux';
import { Machine } from '../../emulator/machine';
import { programMtrrsAsBios } from '../../emulator/cpu/mtrr';

export const CMDLINE = 'earlyprintk=ttyS0,115200 console=ttyS0 nokaslr';

export interface BootOptions {
  cmdline?: string;
  /** `--cpu` style list, e.g. '-la57'. */
  cpu?: string;
  load?: number;
  entry?: 'linux' | 'linux32';
  maxInstructions?: number;
  /** An initramfs for boot_params' ramdisk fields. */
  initrd?: Uint8Array;
  /** Keep running this many instructions after the kernel's entry (0: stop there). */
  beyond?: number;
  /** Stop early, at a slice boundary, once the console satisfies this (before the kernel's entry or beyond it). */
  until?: (console: string) => boolean;
  /** Instructions per slice (how often `until` is looked at). */
  slice?: number;
}

export interface BootResult {
  loaded: LinuxLoaded;
  machine: Machine;
  console: string;
  /** Mode switches seen, with the instruction count at which each was noticed. */
  switches: (ModeSwitchEvent & { instruction: number })[];
  exceptions: { vector: number; errorCode: number; rip: number; instruction: number }[];
  /** Whether the decompressed kernel's first instruction was reached (in 64-bit mode). */
  reachedEntry: boolean;
  /** Instructions retired before that first instruction. */
  entryInstructions: number;
  /** The console, RIP and RSI at that instruction. */
  entryConsole: string;
  entryRip: number;
  entryRsi: number;
  /** CR0, CR3 (bits 31:0), CR4, EFER and the mode there. */
  entryCr0: number;
  entryCr3: number;
  entryCr4: number;
  entryEfer: number;
  entryMode: CpuMode | null;
  la57: boolean;
  stop: StopReason;
  stopDetail: string;
  /** Wall time of the run (ms), and up to the kernel's entry. */
  ms: number;
  entryMs: number;
}

const SLICE = 50_000_000;
/** The same exception at the same instruction this many times in a row is a loop the guest will not leave. */
const FAULT_LOOP = 10_000;

export function bootKernel(kernel: Uint8Array, o: BootOptions = {}): BootResult {
  const features = CpuFeatures.parse(o.cpu ?? '');
  if (typeof features === 'string') throw new Error(features);
  const memory = Math.max(256 * 2 ** 20, linuxMemoryNeeded(kernel, o.load) ?? 0);
  let console = '';
  const m = new Machine({ memory, features, output: (b) => { console += String.fromCharCode(b); } });
  m.programAsBios();
  const bios = installBios(m.phys, m.cpu, { disk: new Uint8Array(512), console: () => undefined, ramBytes: memory, ...(m.devices ? { a20: m.devices.a20 } : {}) });
  m.devices?.bus.register(BIOS_PORT_BASE, BIOS_PORT_LAST, bios.services, { wide: true });
  const r = loadLinux(m, kernel, { cmdline: o.cmdline ?? CMDLINE, entry: o.entry ?? 'linux', ...(o.load !== undefined ? { load: o.load } : {}), ...(o.initrd ? { initrd: o.initrd } : {}) });
  if (!r.ok) throw new Error(r.message);
  // After the loader's RESET, the MTRRs as firmware leaves them (as emulator/loaders/boot.ts does).
  programMtrrsAsBios(m.cpu);

  const switches: BootResult['switches'] = [];
  const exceptions: BootResult['exceptions'] = [];
  let lastVector = -1, lastRip = -1, repeats = 0;
  attachEvents(m.cpu, {
    modeSwitch: (e) => { if (switches.length < 1000) switches.push({ ...e, instruction: m.cpu.icount }); },
    crWrite: () => undefined,
    exception: (e) => {
      const rip = (e.ripHi >>> 0) * 2 ** 32 + (e.ripLo >>> 0);
      if (exceptions.length < 100000) exceptions.push({ vector: e.vector, errorCode: e.errorCode, rip, instruction: m.exec.now() });
      // A kernel that cannot get past a fault retries it forever (a fixup that returns to the faulting
      // instruction, a page fault its handler cannot resolve): stop such a loop rather than spend the
      // instruction budget on it.
      if (e.vector === lastVector && rip === lastRip) {
        if (++repeats === FAULT_LOOP) m.exec.requestStop(`fault loop: vector ${e.vector} at 0x${rip.toString(16)} raised ${FAULT_LOOP} times in a row`);
      } else {
        lastVector = e.vector; lastRip = rip; repeats = 1;
      }
    },
  });

  const entryLo = r.kernelEntry % 2 ** 32 | 0, entryHi = Math.floor(r.kernelEntry / 2 ** 32) | 0;
  m.exec.addBreakpoint(entryLo, entryHi);
  const max = o.maxInstructions ?? 8_000_000_000;
  const t0 = performance.now();
  let entryMs = 0;
  let reachedEntry = false, entryInstructions = 0, entryConsole = '', entryRip = 0, entryRsi = 0, entryCr0 = 0, entryCr3 = 0, entryCr4 = 0, entryEfer = 0;
  let entryMode: CpuMode | null = null;
  let stop = StopReason.None;
  const slice = o.slice ?? SLICE;
  while (m.cpu.icount < max) {
    stop = m.run({ maxInstructions: Math.min(slice, max - m.cpu.icount) });
    if (stop === StopReason.Limit) {
      if (o.until?.(console)) break;
      continue;
    }
    if (stop !== StopReason.Breakpoint) break;
    // The linux32 entry executes startup_32 at the same address in 32-bit mode; the decompressed
    // kernel is entered in 64-bit mode.
    if (cpuMode(m.cpu) !== 'long64') continue;
    reachedEntry = true;
    entryInstructions = m.cpu.icount;
    entryMs = performance.now() - t0;
    entryConsole = console;
    entryRip = (m.cpu.ripHi >>> 0) * 2 ** 32 + (m.cpu.ripLo >>> 0);
    entryRsi = (m.cpu.hi[Reg.RSI] >>> 0) * 2 ** 32 + (m.cpu.lo[Reg.RSI] >>> 0);
    entryCr0 = m.cpu.cr0 >>> 0;
    entryCr3 = m.cpu.cr3Lo >>> 0;
    entryCr4 = m.cpu.cr4;
    entryEfer = m.cpu.efer;
    entryMode = cpuMode(m.cpu);
    m.exec.removeBreakpoint(entryLo, entryHi);
    if (!o.beyond) break;
    const end = m.cpu.icount + o.beyond;
    do stop = m.run({ maxInstructions: Math.min(slice, end - m.cpu.icount) });
    while (stop === StopReason.Limit && m.cpu.icount < end && !o.until?.(console));
    break;
  }
  return {
    loaded: r, machine: m, console, switches, exceptions, reachedEntry, entryInstructions, entryConsole, entryRip, entryRsi, entryCr0, entryCr3, entryCr4, entryEfer, entryMode,
    la57: (entryCr4 & CR4_LA57) !== 0, stop, stopDetail: m.lastStop.detail, ms: performance.now() - t0, entryMs,
  };
}
