// support/oracle286.ts: runs the hardware-captured 80286 real-mode vectors (shared/oracles/real-mode-286,
// SingleStepTests/80286) on the emulator and compares registers and memory; also a diagnostic script:
//   node out/test/support/oracle286.js D3.5 C4      (or ORACLE286=D3.5,C4)   — every failing test in detail
//   node out/test/support/oracle286.js              — per-file summary of all files
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Machine } from '../../emulator/machine';
import { rflags } from '../../emulator/cpu/flags';
import { LazyOp } from '../../emulator/cpu/lazyOp';
import { Reg, Seg } from '../../emulator/cpu/state';
import { StopReason } from '../../emulator/cpu/step';
import { deliverException } from '../../emulator/cpu/interrupts';
import { isCpuFault } from '../../emulator/cpu/fault';
import { LEGACY } from '../../emulator/isa/table';
import { flatMachine } from './flat';

export interface OracleRegs {
  ax: number; bx: number; cx: number; dx: number; cs: number; ss: number; ds: number; es: number;
  sp: number; bp: number; si: number; di: number; ip: number; flags: number;
}

export interface OracleState {
  regs: OracleRegs;
  ram: [number, number][];
}

export interface OracleTest {
  file: string;
  name: string;
  bytes: string;
  init: OracleState;
  final: OracleState;
  exception?: { number: number; flagAddress: number };
  flagsMask: number;
  only286?: string;
  hash: string;
}

/**
 * Opcode files this suite does not run, with the reason. (Tests whose outcome is 286-specific carry
 * `only286` and are skipped one by one: see skipReason.)
 */
export const OUT_OF_SCOPE: Record<string, string> = {
  D8: 'x87 escape: the 286 had no FPU fitted; every D8 test is a 286-only outcome (fpu-escape)',
};

const STRING_FILES = new Set(['6C', '6D', '6E', '6F', 'A4', 'A5', 'A6', 'A7', 'AA', 'AB', 'AC', 'AD', 'AE', 'AF']);
const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf2, 0xf3]);

/**
 * 286-specific outcomes the vectors do not mark with `only286` (found by running them). A fault on the
 * 386 and later leaves the state as it was before the instruction (SDM Vol.3A §6.5, "Faults"), but:
 */
function unmarked286(t: OracleTest): string | null {
  const n = t.exception?.number;
  // A string operation whose word access crosses offset 0xFFFF: the 286 takes #GP(13) after advancing
  // SI/DI (and CX under REP) for that iteration.
  if (n === 13 && STRING_FILES.has(t.file)) return '286-only outcome: string-op limit fault after SI/DI advanced';
  // POP r/m16 to a word at offset 0xFFFF: the 286 increments SP before the destination's #GP(13).
  if (n === 13 && t.file === '8F') return '286-only outcome: POP m16 limit fault after SP incremented';
  // LOCK INT 6: the 286 runs INT 6 (pushing the next IP); the 386+ raise #UD, the same vector but
  // pushing the IP of the instruction, so the vectors' lock-not-lockable check missed it.
  if (t.file === 'CD') {
    for (let k = 0; k + 2 <= t.bytes.length; k += 2) {
      const b = parseInt(t.bytes.slice(k, k + 2), 16);
      if (!PREFIXES.has(b)) break;
      if (b === 0xf0) return '286-only outcome: lock-not-lockable (LOCK INT 6 looks like #UD)';
    }
  }
  return null;
}

/**
 * FLAGS bits a test's outcome leaves 286-specific, compared nowhere (registers and the pushed image):
 * AAM 0 (D4 00) changes SF/ZF/PF on the 286 before its #DE, from some internal value. #DE is a fault,
 * so the 386+ deliver it with FLAGS as they were before the instruction (SDM Vol.3A §6.5 "Faults";
 * SDM Vol.2A AAM gives flags only for a completed AAM), and the host CPU (AMD EPYC, 32-bit mode) leaves
 * them unchanged. The rest of the #DE delivery (CS:IP, stack, pushed IP) is still compared.
 */
function flags286Only(t: OracleTest): number {
  if (t.file === 'D4' && t.exception?.number === 0) return 0x0c4; // SF ZF PF
  return 0;
}

/** Why a test is not run on a 386+-class CPU, or null to run it. */
export function skipReason(t: OracleTest): string | null {
  if (t.only286) return `286-only outcome: ${t.only286}`;
  return OUT_OF_SCOPE[t.file] ?? unmarked286(t);
}

/** The repository root: the nearest folder above this file with a package.json (works from out/ too). */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && path.basename(path.dirname(pkg)) !== 'out') return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(__dirname, '..', '..');
    dir = up;
  }
}

/** shared/ sits beside the clone (../shared relative to the repository root). */
export function oracleDir(): string {
  return path.resolve(repoRoot(), '..', 'shared', 'oracles', 'real-mode-286');
}

/** Why the vectors cannot be run here, or null when they can. */
export function oracleMissing(): string | null {
  const f = path.join(oracleDir(), 'tests.jsonl.gz');
  return existsSync(f) ? null : `80286 oracle vectors not found at ${f} (shared/ is expected beside the repository)`;
}

export function loadOracleTests(): OracleTest[] {
  const text = gunzipSync(readFileSync(path.join(oracleDir(), 'tests.jsonl.gz'))).toString('utf8');
  const out: OracleTest[] = [];
  for (const line of text.split('\n')) if (line.trim() !== '') out.push(JSON.parse(line) as OracleTest);
  return out;
}

const GPRS: [keyof OracleRegs, Reg][] = [
  ['ax', Reg.RAX], ['cx', Reg.RCX], ['dx', Reg.RDX], ['bx', Reg.RBX],
  ['sp', Reg.RSP], ['bp', Reg.RBP], ['si', Reg.RSI], ['di', Reg.RDI],
];
const SREGS: [keyof OracleRegs, Seg][] = [['es', Seg.ES], ['cs', Seg.CS], ['ss', Seg.SS], ['ds', Seg.DS]];

const hex = (v: number, w = 4) => v.toString(16).padStart(w, '0');

/** Whether the instruction table has HLT yet (it belongs to another group); if not, the runner stands in for it. */
function tableHasHlt(): boolean {
  return LEGACY[0][0xf4].length > 0;
}

/** One real-mode machine reused for every test: only the bytes a test touched are reset afterwards. */
export class Oracle286 {
  readonly machine: Machine;
  /** Whether HLT is executed by the emulator (true) or recognised by the runner (false, until HLT lands). */
  readonly realHlt = tableHasHlt();
  private dirty: number[] = [];

  constructor() {
    // A20 on (the Mmu default): addresses reach 0x10FFEF. 2 MiB of RAM covers them.
    this.machine = flatMachine(16, 2 * 1024 * 1024);
  }

  /** Runs one test; returns the differences (empty when it passes). */
  run(t: OracleTest): string[] {
    const m = this.machine;
    const cpu = m.cpu;
    const phys = m.phys;
    // Zero what the previous test touched (through write8, so decoded code there is invalidated).
    for (const a of this.dirty) phys.write8(a, 0);
    this.dirty.length = 0;
    for (const [a, v] of t.init.ram) { phys.write8(a, v); this.dirty.push(a); }
    for (const [a] of t.final.ram) this.dirty.push(a);
    m.mem.flush();

    cpu.reset();
    const r = t.init.regs;
    for (const [name, n] of GPRS) { cpu.lo[n] = r[name]; cpu.hi[n] = 0; }
    for (let s = 0; s < 6; s++) {
      cpu.segSel[s] = 0;
      cpu.segBaseLo[s] = 0;
      cpu.segBaseHi[s] = 0;
      cpu.segLimit[s] = 0xffff;
      cpu.segAttr[s] = s === Seg.CS ? 0x9b : 0x93;
    }
    for (const [name, s] of SREGS) { cpu.segSel[s] = r[name]; cpu.segBaseLo[s] = r[name] << 4; }
    cpu.idtrBaseLo = 0;
    cpu.idtrLimit = 0x3ff; // the real-mode IVT (SDM Vol.3A §21.1.4)
    cpu.flags = (r.flags & 0xffff) | 2;
    cpu.lazyOp = LazyOp.None;
    cpu.ripLo = r.ip;
    cpu.ripHi = 0;
    m.stateChanged();

    const diffs: string[] = [];
    const stop = this.execute();
    if (stop !== StopReason.Halt) diffs.push(`stopped with ${stop}${stop === StopReason.TripleFault && m.exec.lastException ? ` (${m.exec.lastException.detail})` : ''}, not at a HLT`);

    const f = t.final.regs;
    for (const [name, n] of GPRS) {
      const got = cpu.lo[n] & 0xffff;
      if (got !== f[name]) diffs.push(`${name}: expected ${hex(f[name])}, got ${hex(got)}`);
    }
    for (const [name, s] of SREGS) {
      if (cpu.segSel[s] !== f[name]) diffs.push(`${name}: expected ${hex(f[name])}, got ${hex(cpu.segSel[s])}`);
      if (cpu.segBaseLo[s] !== f[name] << 4) diffs.push(`${name} base: expected ${hex(f[name] << 4, 6)}, got ${hex(cpu.segBaseLo[s] >>> 0, 6)}`);
    }
    if ((cpu.ripLo & 0xffff) !== f.ip || cpu.ripLo >>> 16 !== 0) diffs.push(`ip: expected ${hex(f.ip)}, got ${hex(cpu.ripLo >>> 0)}`);
    const mask = t.flagsMask & ~flags286Only(t);
    const gotFlags = rflags(cpu) & mask;
    if (gotFlags !== (f.flags & mask)) diffs.push(`flags&${hex(mask, 3)}: expected ${hex(f.flags & mask, 3)}, got ${hex(gotFlags, 3)} (${flagDiff(f.flags & mask, gotFlags)})`);

    // Memory: every final byte; the FLAGS image an exception pushed is compared under flagsMask.
    const fa = t.exception ? t.exception.flagAddress : -2;
    for (const [a, v] of t.final.ram) {
      let got = phys.read8(a), want = v;
      if (a === fa) { got &= mask & 0xff; want &= mask & 0xff; }
      if (a === fa + 1) { got &= mask >> 8; want &= mask >> 8; }
      if (got !== want) diffs.push(`[${hex(a, 6)}]: expected ${hex(want, 2)}, got ${hex(got, 2)}`);
    }
    return diffs;
  }

  /**
   * Runs until a HLT has executed (README "Running a test", step 3). Exceptions stop the run and are
   * delivered here, so each counts against the limit: a fault loop (a handler that faults again) ends.
   */
  private execute(): StopReason {
    const m = this.machine;
    const cpu = m.cpu;
    m.exec.stopOnException = true;
    let budget = 1000; // REP counts are < 128; each iteration may count as one instruction
    while (budget-- > 0) {
      let r: StopReason;
      if (this.realHlt) r = m.run({ maxInstructions: budget + 1 });
      else {
        // No HLT form yet: reaching an F4 byte counts as executing it (IP one past it).
        if (m.phys.read8((cpu.segBaseLo[Seg.CS] + cpu.ripLo) >>> 0) === 0xf4) {
          cpu.ripLo = (cpu.ripLo + 1) & 0xffff;
          return StopReason.Halt;
        }
        r = m.step();
        if (r === StopReason.Limit) continue;
      }
      if (r !== StopReason.Exception) return r;
      const e = m.exec.lastException!;
      try {
        if (deliverException(cpu, e.vector, e.errorCode, e.detail) !== null) return StopReason.TripleFault;
      } catch (nested) {
        if (!isCpuFault(nested)) throw nested;
        return StopReason.TripleFault; // a fault while delivering one: as step.ts treats it
      }
      m.stateChanged();
    }
    return StopReason.Limit;
  }
}

function flagDiff(want: number, got: number): string {
  const names = ['cf', '', 'pf', '', 'af', '', 'zf', 'sf', 'tf', 'if', 'df', 'of'];
  const d = want ^ got;
  return names.filter((n, k) => n && d & (1 << k)).map((n) => (got & (1 << names.indexOf(n)) ? `+${n}` : `-${n}`)).join(' ');
}

export interface FileResult { file: string; pass: number; fail: number; skipped: number; failures: { t: OracleTest; diffs: string[] }[] }

/** Runs every test (optionally only the given files) and groups the results by opcode file. */
export function runOracle(files?: Set<string>): Map<string, FileResult> {
  const runner = new Oracle286();
  const byFile = new Map<string, FileResult>();
  for (const t of loadOracleTests()) {
    if (files && !files.has(t.file)) continue;
    let fr = byFile.get(t.file);
    if (!fr) byFile.set(t.file, fr = { file: t.file, pass: 0, fail: 0, skipped: 0, failures: [] });
    if (skipReason(t) !== null) { fr.skipped++; continue; }
    const diffs = runner.run(t);
    if (diffs.length === 0) fr.pass++;
    else { fr.fail++; fr.failures.push({ t, diffs }); }
  }
  return byFile;
}

function describeRegs(r: OracleRegs): string {
  return (Object.keys(r) as (keyof OracleRegs)[]).map((k) => `${k}=${hex(r[k])}`).join(' ');
}

/** The diagnostic script: each failing test with its bytes, initial registers and differences. */
function main(args: string[]): void {
  const missing = oracleMissing();
  if (missing) { console.error(missing); process.exitCode = 1; return; }
  const env = process.env.ORACLE286;
  const wanted = [...args, ...(env ? env.split(',') : [])].map((s) => s.trim().toUpperCase()).filter(Boolean);
  const results = runOracle(wanted.length ? new Set(wanted) : undefined);
  if (!new Oracle286().realHlt) console.log('note: the table has no HLT yet; the runner treats reaching an F4 byte as executing it');
  for (const fr of results.values()) {
    if (wanted.length) {
      for (const { t, diffs } of fr.failures) {
        console.log(`${t.file} ${t.name}  [${t.bytes}]  hash ${t.hash.slice(0, 10)}${t.exception ? `  exception ${t.exception.number}` : ''}`);
        console.log(`  init:     ${describeRegs(t.init.regs)}`);
        console.log(`  expected: ${describeRegs(t.final.regs)}`);
        for (const d of diffs) console.log(`  ${d}`);
      }
    }
    console.log(`${fr.file}: ${fr.pass} pass, ${fr.fail} fail, ${fr.skipped} skipped`);
  }
}

if (require.main === module) main(process.argv.slice(2));
