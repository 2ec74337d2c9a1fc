// support/differential.ts: runs the same code blob on the host CPU (test/host/harness.c) and on the
// emulator, and compares registers, RFLAGS, the DATA and STACK windows and any fault.
// Group tests build HostCase lists (seeded random and corner-case inputs) and call `differential`.
import assert from 'node:assert/strict';
import { Machine } from '../../emulator/machine';
import { rflags } from '../../emulator/cpu/flags';
import { StopReason } from '../../emulator/cpu/step';
import { CODE, DATA, DATA_WINDOW_DEFAULT, HostCase, HostResult, STACK_TOP, STACK_WINDOW_DEFAULT, runOnHost } from '../host/hostCpu';
import { flatMachine } from './flat';

export { hostCpuAvailable, hostRegs, REG, FLAG, CODE, DATA, STACK_TOP } from '../host/hostCpu';
export type { HostCase, HostResult } from '../host/hostCpu';

const machines = new Map<number, Machine>();
function machineFor(mode: 64 | 32): Machine {
  let m = machines.get(mode);
  if (!m) {
    m = flatMachine(mode, 1024 * 1024 * 1024);
    m.exec.stopOnException = true;
    machines.set(mode, m);
  }
  return m;
}

const MAX_STEPS = 100_000;
const INPUT_FLAGS = 0xed5; // CF PF AF ZF SF DF OF, as the harness takes them

/** Runs one case on the emulator, in the shape the host harness reports. */
export function runOnEmulator(c: HostCase): HostResult {
  const m = machineFor(c.mode);
  const cpu = m.cpu;
  const dataOff = c.data?.offset ?? 0;
  const dataBytes = c.data?.bytes ?? new Uint8Array(DATA_WINDOW_DEFAULT);
  const stackBytes = c.stack ?? new Uint8Array(STACK_WINDOW_DEFAULT);
  // The harness zeroes DATA and STACK before each case; do the same over the windows and a margin.
  m.load(DATA, new Uint8Array(0x10000));
  m.load(STACK_TOP - 0x10000, new Uint8Array(0x10000));
  m.load(DATA + dataOff, dataBytes);
  m.load(STACK_TOP - stackBytes.length, stackBytes);
  m.load(CODE, c.code);
  m.exec.cache.clear();
  for (let r = 0; r < 16; r++) {
    const v = BigInt.asUintN(64, BigInt(c.regs[r] ?? 0n));
    cpu.lo[r] = Number(v & 0xffffffffn) | 0;
    cpu.hi[r] = c.mode === 64 ? Number(v >> 32n) | 0 : 0;
  }
  cpu.flags = (c.rflags & INPUT_FLAGS) | 0x202;
  cpu.lazyOp = 0;
  cpu.ripLo = CODE;
  cpu.ripHi = 0;
  cpu.halted = false;
  m.stateChanged();
  const end = CODE + c.code.length;
  let fault: HostResult['fault'];
  let timeout = false;
  for (let n = 0; ; n++) {
    if (cpu.ripLo === end && cpu.ripHi === 0) break;
    if (n >= MAX_STEPS) { timeout = true; break; }
    const r = m.step();
    if (r === StopReason.Exception || r === StopReason.TripleFault) {
      const e = m.exec.lastException!;
      fault = { vector: e.vector, errorCode: e.errorCode < 0 ? 0 : e.errorCode, rip: BigInt(e.ripLo >>> 0) | (BigInt(e.ripHi >>> 0) << 32n), signal: 0, addr: 0n };
      break;
    }
    if (r === StopReason.Halt) { timeout = true; break; }
  }
  const regs: bigint[] = [];
  for (let r = 0; r < 16; r++) {
    if (c.mode === 32) regs.push(r < 8 ? BigInt(cpu.lo[r] >>> 0) : 0n);
    else regs.push(BigInt(cpu.lo[r] >>> 0) | (BigInt(cpu.hi[r] >>> 0) << 32n));
  }
  return {
    regs,
    rflags: rflags(cpu),
    rip: BigInt(cpu.ripLo >>> 0) | (BigInt(cpu.ripHi >>> 0) << 32n),
    data: m.phys.readBytes(DATA + dataOff, dataBytes.length),
    stack: m.phys.readBytes(STACK_TOP - stackBytes.length, stackBytes.length),
    fault,
    timeout,
  };
}

export interface DiffOptions {
  /** RFLAGS bits compared (default: the six status flags and DF). */
  flagsMask?: number;
  /** Per case: flags the SDM leaves undefined for that instruction and inputs, masked out. */
  undefinedFlags?: (c: HostCase, index: number) => number;
  /** Text naming the case in a mismatch report (instruction and inputs). */
  describe?: (c: HostCase, index: number) => string;
  /** Seed the cases were generated with, printed with any mismatch. */
  seed?: number;
  /** Registers compared (default all 16; 32-bit mode: the first 8). */
  regsMask?: number;
}

const hex = (v: bigint | number) => '0x' + v.toString(16);

/** Runs every case on both; returns the number of cases checked. Fails with the first mismatches. */
export function differential(cases: HostCase[], opts: DiffOptions = {}): number {
  const host = runOnHost(cases);
  const problems: string[] = [];
  for (let k = 0; k < cases.length && problems.length < 10; k++) {
    const c = cases[k];
    const h = host[k];
    const e = runOnEmulator(c);
    const mask = (opts.flagsMask ?? 0xcd5) & ~(opts.undefinedFlags?.(c, k) ?? 0);
    const diffs: string[] = [];
    if (!!h.fault !== !!e.fault || h.fault && e.fault && h.fault.vector !== e.fault.vector) {
      diffs.push(`fault: host ${h.fault ? `vector ${h.fault.vector}` : 'none'}, emulator ${e.fault ? `vector ${e.fault.vector} (${e.fault.errorCode})` : 'none'}`);
    } else if (!h.fault && (h.timeout || e.timeout)) {
      diffs.push(`timeout: host ${!!h.timeout}, emulator ${!!e.timeout}`);
    } else {
      const nregs = c.mode === 32 ? 8 : 16;
      for (let r = 0; r < nregs; r++) {
        if (opts.regsMask !== undefined && !(opts.regsMask & (1 << r))) continue;
        if (h.regs[r] !== e.regs[r]) diffs.push(`reg ${r}: host ${hex(h.regs[r])}, emulator ${hex(e.regs[r])}`);
      }
      if ((h.rflags & mask) !== (e.rflags & mask)) diffs.push(`rflags (mask ${hex(mask)}): host ${hex(h.rflags & mask)}, emulator ${hex(e.rflags & mask)}`);
      if (Buffer.compare(Buffer.from(h.data), Buffer.from(e.data)) !== 0) diffs.push(`DATA window differs: host ${Buffer.from(h.data).toString('hex').slice(0, 64)}…, emulator ${Buffer.from(e.data).toString('hex').slice(0, 64)}…`);
      if (Buffer.compare(Buffer.from(h.stack), Buffer.from(e.stack)) !== 0) diffs.push(`STACK window differs`);
    }
    if (diffs.length) {
      const inputs = Array.from(c.regs).slice(0, c.mode === 32 ? 8 : 16).map((v, r) => `r${r}=${hex(BigInt(v))}`).join(' ');
      problems.push(`case ${k}${opts.seed !== undefined ? ` (seed ${opts.seed})` : ''}: ${opts.describe?.(c, k) ?? ''}\n` +
        `  code ${Buffer.from(c.code).toString('hex')} mode ${c.mode} rflags ${hex(c.rflags)}\n  inputs ${inputs}\n  ${diffs.join('\n  ')}`);
    }
  }
  assert.equal(problems.length, 0, `${problems.length} mismatch(es) against the host CPU:\n${problems.join('\n')}`);
  return cases.length;
}

export { rng } from './random';

/** Interesting 64-bit operand values: 0, 1, −1, sign boundaries of every size, and random ones. */
export function cornerValues(): bigint[] {
  const v = [0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn,
    0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0x100000000n, 0x123456789abcdef0n, 31n, 32n, 63n, 64n];
  return v;
}

/** A random 64-bit value, biased toward corner cases. */
export function randomValue(next: () => number): bigint {
  const corners = cornerValues();
  if (next() < 0.3) return corners[Math.floor(next() * corners.length)];
  const hi = BigInt(Math.floor(next() * 0x100000000));
  const lo = BigInt(Math.floor(next() * 0x100000000));
  const width = [8n, 16n, 32n, 64n][Math.floor(next() * 4)];
  return BigInt.asUintN(Number(width), (hi << 32n) | lo);
}

/** Case count per generated family: DIFF_CASES scales the default run (e.g. DIFF_CASES=1000000 for a soak). */
export function caseBudget(defaultTotal: number): number {
  const env = Number(process.env.DIFF_CASES);
  return Number.isFinite(env) && env > 0 ? Math.max(1, Math.round(defaultTotal * env / 20000)) : defaultTotal;
}
