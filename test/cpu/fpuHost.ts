// fpuHost.ts: runs FPU/SSE state blobs on the host CPU (test/host/harness.c) and on the emulator, and
// returns both DATA windows. Unlike support/differential.ts the emulated CPU runs with the control-register
// bits a Linux process has (CR0.MP, CR0.NE, CR4.OSFXSR), which FXSAVE's XMM part, LDMXCSR/STMXCSR and
// native #MF reporting need.
import { Machine } from '../../emulator/machine';
import { StopReason } from '../../emulator/cpu/step';
import { assemble, flatBinary } from '../../assembler/index';
import { CODE, DATA, HostCase, HostResult, STACK_TOP, runOnHost } from '../host/hostCpu';
import { flatMachine } from '../support/flat';

export { CODE, DATA };

const CR0_MP = 1 << 1, CR0_NE = 1 << 5, CR4_OSFXSR = 1 << 9;

/** Assembles AT&T source for `mode`-bit code at CODE with the project's assembler (checked against GNU as elsewhere). */
export function blob(mode: 32 | 64, source: string): Uint8Array {
  const r = assemble(`.code${mode}\n${source}\n`, { file: 'fpu.s', origin: CODE });
  if (r.errors.length) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return flatBinary(r.sections);
}

const machines = new Map<number, Machine>();

function machineFor(mode: 32 | 64): Machine {
  let m = machines.get(mode);
  if (!m) {
    m = flatMachine(mode, 1024 * 1024 * 1024);
    m.cpu.cr0 |= CR0_MP | CR0_NE;
    m.cpu.cr4 |= CR4_OSFXSR;
    m.exec.stopOnException = true;
    machines.set(mode, m);
  }
  return m;
}

export interface Outcome {
  data: Uint8Array;
  /** Exception vector, or -1. */
  vector: number;
  /** Offset in the blob of the faulting instruction, or -1. */
  at: number;
}

export function runEmulated(c: HostCase): Outcome {
  const m = machineFor(c.mode);
  const cpu = m.cpu;
  m.load(DATA, new Uint8Array(0x10000));
  m.load(STACK_TOP - 0x10000, new Uint8Array(0x10000));
  if (c.data) m.load(DATA + c.data.offset, c.data.bytes);
  m.load(CODE, c.code);
  m.exec.cache.clear();
  cpu.lo.fill(0);
  cpu.hi.fill(0);
  cpu.lo[4] = STACK_TOP;
  cpu.flags = 0x202;
  cpu.lazyOp = 0;
  cpu.ripLo = CODE;
  cpu.ripHi = 0;
  cpu.halted = false;
  m.stateChanged();
  let vector = -1, at = -1;
  for (let n = 0; n < 10_000; n++) {
    if (cpu.ripLo === CODE + c.code.length) break;
    const r = m.step();
    if (r === StopReason.Exception || r === StopReason.TripleFault) {
      const e = m.exec.lastException!;
      vector = e.vector;
      at = e.ripLo - CODE;
      break;
    }
  }
  const off = c.data?.offset ?? 0;
  return { data: m.phys.readBytes(DATA + off, c.data?.bytes.length ?? 256), vector, at };
}

export function hostOutcome(h: HostResult): Outcome {
  return { data: h.data, vector: h.fault ? h.fault.vector : -1, at: h.fault ? Number(h.fault.rip - BigInt(CODE)) : -1 };
}

/** Runs every case on the host, then on the emulator. */
export function runBoth(cases: HostCase[]): { host: Outcome; emu: Outcome }[] {
  const host = runOnHost(cases);
  return cases.map((c, k) => ({ host: hostOutcome(host[k]), emu: runEmulated(c) }));
}

/**
 * `data` (the DATA window) with the FCS and FDS selectors of a 32-bit protected-mode FNSAVE image at
 * DATA offset `save` cleared (SDM Vol.1 Figure 8-9: bytes 16-17 and 24-25): they are the harness's and
 * the flat machine's code and data selectors, which differ by design.
 */
export function maskSaveSelectors(data: Uint8Array, save: number): Uint8Array {
  const d = Uint8Array.from(data);
  d.fill(0, save + 16, save + 18);
  d.fill(0, save + 24, save + 26);
  return d;
}
