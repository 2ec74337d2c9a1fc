/**
 * Host-CPU reference runner: executes x86 code blobs natively on the host
 * (x86-64 Linux) through the C harness in harness.c, so tests can compare the
 * emulator against a real CPU.
 *
 *   const why = hostCpuAvailable();       // null when usable
 *   if (why) t.skip(why);
 *   const [r] = runOnHost([{ mode: 64, code, regs, rflags: 0 }]);
 *
 * The binary protocol is documented at the top of harness.c.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Guest code is copied here; execution starts here and ends at CODE + code.length. */
export const CODE = 0x1000_0000;
/** Largest code blob. */
export const CODE_MAX = 4096;
/** DATA area (zeroed per case). */
export const DATA = 0x2000_0000;
export const DATA_SIZE = 0x1_0000;
/** STACK area (zeroed per case); the stack window is the top N bytes below STACK_TOP. */
export const STACK = 0x3000_0000;
export const STACK_SIZE = 0x1_0000;
export const STACK_TOP = STACK + STACK_SIZE;
/** Windows returned when the case does not give one. */
export const DATA_WINDOW_DEFAULT = 256; // DATA[0, 256)
export const STACK_WINDOW_DEFAULT = 512; // [STACK_TOP-512, STACK_TOP)
/** Largest windows accepted (the whole area). */
export const DATA_WINDOW_MAX = DATA_SIZE;
export const STACK_WINDOW_MAX = STACK_SIZE;
/** Wall-clock guard per case when HostCase.timeoutMs is not given. */
export const DEFAULT_TIMEOUT_MS = 1000;

/** SDM register numbering used by HostCase.regs / HostResult.regs. */
export const REG = {
  rax: 0, rcx: 1, rdx: 2, rbx: 3, rsp: 4, rbp: 5, rsi: 6, rdi: 7,
  r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, r13: 13, r14: 14, r15: 15,
} as const;
export type RegName = keyof typeof REG;

export const FLAG = {
  CF: 0x1, PF: 0x4, AF: 0x10, ZF: 0x40, SF: 0x80, TF: 0x100, IF: 0x200, DF: 0x400, OF: 0x800,
  AC: 0x4_0000, ID: 0x20_0000,
} as const;
/** Input flags the harness honours (CF PF AF ZF SF DF OF); bit 1 and IF are forced on. */
export const INPUT_FLAGS_MASK = 0xed5;
/** The six arithmetic status flags. */
export const STATUS_FLAGS_MASK = 0x8d5;

/** Vector reported for a guest syscall refused by the harness's seccomp filter (signal SIGSYS). */
export const VECTOR_SYSCALL_BLOCKED = 0xffff_ffff;

export interface HostCase {
  mode: 64 | 32;
  /** Up to CODE_MAX bytes, placed at CODE. */
  code: Uint8Array;
  /** 16 GPRs in SDM order (rax rcx rdx rbx rsp rbp rsi rdi r8..r15). 32-bit mode uses the low 32 bits of the first 8. */
  regs: BigUint64Array | bigint[];
  /** Only CF PF AF ZF SF DF OF are taken. */
  rflags: number;
  /** Initial contents of a window of DATA (offset relative to DATA); default: 256 zero bytes at offset 0. */
  data?: { offset: number; bytes: Uint8Array };
  /** Initial contents of the top stack.length bytes below STACK_TOP; default: 512 zero bytes. */
  stack?: Uint8Array;
  /** Wall-clock guard in ms (default 1000). */
  timeoutMs?: number;
}

export interface HostFault {
  /** x86 exception vector (REG_TRAPNO), or VECTOR_SYSCALL_BLOCKED for SIGSYS. */
  vector: number;
  /** Exception error code (REG_ERR), e.g. the #PF or #GP error code. */
  errorCode: number;
  /** RIP in the ucontext: the faulting instruction for faults, the next one for traps (int3, single-step, SIGSYS). */
  rip: bigint;
  /** Host signal number (SIGSEGV 11, SIGBUS 7, SIGILL 4, SIGFPE 8, SIGTRAP 5, SIGSYS 31). */
  signal: number;
  /** siginfo si_addr: the faulting address for #PF (CR2), else as the kernel sets it. */
  addr: bigint;
}

export interface HostResult {
  /** GPRs at the end (or at the fault / timeout), SDM order. 32-bit mode: zero-extended eax..edi, r8..r15 = 0. */
  regs: bigint[];
  /** RFLAGS at the end (RF masked off). */
  rflags: number;
  /** Final RIP: CODE + code.length on success, the fault/interrupt RIP otherwise. */
  rip: bigint;
  /** The DATA window after execution (same offset/length as given). */
  data: Uint8Array;
  /** The STACK window after execution (same length as given). */
  stack: Uint8Array;
  fault?: HostFault;
  timeout?: boolean;
}

/** Build a 16-entry register array (zeros; rsp defaults to STACK_TOP). */
export function hostRegs(init: Partial<Record<RegName, bigint | number>> = {}): bigint[] {
  const r: bigint[] = new Array<bigint>(16).fill(0n);
  r[REG.rsp] = BigInt(STACK_TOP);
  for (const [k, v] of Object.entries(init) as [RegName, bigint | number][]) {
    r[REG[k]] = BigInt.asUintN(64, BigInt(v));
  }
  return r;
}

// ---------------------------------------------------------------------------

const CASE_MAGIC = 0x53414354;
const RES_MAGIC = 0x53455254;
const STREAM_MAGIC = 0x31485254;
const CASE_HDR = 168;
const RES_HDR = 192;
const STREAM_HDR = 16;
const COMPILE_FLAGS = ['-O2', '-fno-stack-protector', '-mno-red-zone', '-fno-strict-aliasing', '-w'];

function harnessSource(): string {
  const candidates = [
    path.join(__dirname, 'harness.c'),
    // running from a transpiled tree (out/test/host) whose copy step missed harness.c
    path.join(__dirname, '..', '..', '..', 'test', 'host', 'harness.c'),
  ];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error(`harness.c not found (looked in ${candidates.join(', ')})`);
}

let binaryPath: string | undefined;
let binaryError: string | undefined;

/**
 * Compile harness.c once per process (cached across processes in
 * $TRAMPOLINE_HOST_CACHE or os.tmpdir(), keyed by a hash of the source and flags);
 * returns the binary path.
 */
export function harnessBinary(): string {
  if (binaryPath) return binaryPath;
  if (binaryError) throw new Error(binaryError);
  try {
    binaryPath = compileHarness();
    return binaryPath;
  } catch (e) {
    binaryError = e instanceof Error ? e.message : String(e);
    throw e;
  }
}

function compileHarness(): string {
  const src = harnessSource();
  const source = fs.readFileSync(src);
  const hash = createHash('sha256').update(source).update(COMPILE_FLAGS.join(' ')).digest('hex').slice(0, 16);
  const dir = path.join(process.env.TRAMPOLINE_HOST_CACHE || os.tmpdir(), `trampoline-host-${hash}`);
  const bin = path.join(dir, 'harness');
  if (isExecutable(bin)) return bin;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `harness.${process.pid}.${Date.now()}.tmp`);
  const errors: string[] = [];
  // PIE only (see harness.c): static-pie when the toolchain has it, else the default dynamic PIE.
  for (const extra of [['-static-pie'], ['-fPIE', '-pie']]) {
    const r = spawnSync('gcc', [...COMPILE_FLAGS, ...extra, '-o', tmp, src], { encoding: 'utf8' });
    if (r.error) throw new Error(`gcc not found (${r.error.message})`);
    if (r.status === 0) {
      fs.renameSync(tmp, bin); // atomic: concurrent test processes may race here
      return bin;
    }
    errors.push(`gcc ${extra.join(' ')}: ${(r.stderr || '').trim()}`);
  }
  try { fs.unlinkSync(tmp); } catch { /* not created */ }
  throw new Error(`harness compile failed: ${errors.join('\n')}`);
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let availability: string | null | undefined;
let streamFlags = 0;

/** null when the host CPU harness can be used, else the reason it cannot (for t.skip). */
export function hostCpuAvailable(): string | null {
  if (availability !== undefined) return availability;
  availability = checkAvailable();
  return availability;
}

function checkAvailable(): string | null {
  if (process.platform !== 'linux') return `not a Linux host (${process.platform})`;
  if (process.arch !== 'x64') return `not an x86-64 host (${process.arch})`;
  if (process.env.TRAMPOLINE_NO_HOST_CPU) return 'host CPU harness disabled by TRAMPOLINE_NO_HOST_CPU';
  const gcc = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
  if (gcc.error || gcc.status !== 0) return 'gcc not found';
  try {
    harnessBinary();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  try {
    // smoke test: mov $0x2a,%eax in both modes
    const code = Uint8Array.of(0xb8, 0x2a, 0, 0, 0);
    const smoke: HostCase[] = [
      { mode: 64, code, regs: hostRegs(), rflags: 0 },
      { mode: 32, code, regs: hostRegs(), rflags: 0 },
    ];
    const res = runBatch(smoke.map(prepare));
    for (const r of res) {
      if (r.fault || r.timeout || r.regs[REG.rax] !== 0x2an) {
        return `host CPU harness smoke test failed (${JSON.stringify({ fault: r.fault, timeout: r.timeout }, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v))})`;
      }
    }
  } catch (e) {
    return `host CPU harness does not run: ${e instanceof Error ? e.message : String(e)}`;
  }
  return null;
}

export interface HostCpuInfo {
  /** Guest syscall / int 0x80 from CODE are refused by seccomp (reported as SIGSYS faults). */
  syscallsBlocked: boolean;
  /** The CPU/kernel allow RDFSBASE/WRFSBASE in user mode (so guests can use them too). */
  fsgsbase: boolean;
  /** PKRU exists (guest WRPKRU works and is undone after each case). */
  pkru: boolean;
  /** Some harness memory lies below 4 GiB (non-PIE build): 32-bit guests could corrupt it. */
  lowHarnessMemory: boolean;
}

/** Facts about the harness process, as reported by its last run. Throws when unavailable. */
export function hostCpuInfo(): HostCpuInfo {
  const why = hostCpuAvailable();
  if (why) throw new Error(why);
  return {
    syscallsBlocked: (streamFlags & 1) !== 0,
    fsgsbase: (streamFlags & 2) !== 0,
    lowHarnessMemory: (streamFlags & 4) !== 0,
    pkru: (streamFlags & 8) !== 0,
  };
}

/** Whether guest syscalls are refused (seccomp). */
export function hostSyscallsBlocked(): boolean {
  return hostCpuInfo().syscallsBlocked;
}

/** Run cases on the host CPU (synchronously, in as few harness processes as possible). */
export function runOnHost(cases: readonly HostCase[]): HostResult[] {
  const why = hostCpuAvailable();
  if (why) throw new Error(`host CPU harness unavailable: ${why}`);
  const prepared = cases.map(prepare);
  const out: HostResult[] = [];
  const MAX_BATCH_BYTES = 64 << 20; // input + output bytes per harness process
  let start = 0;
  while (start < prepared.length) {
    let end = start;
    let bytes = 0;
    while (end < prepared.length && (end === start || bytes + prepared[end]!.ioBytes <= MAX_BATCH_BYTES)) {
      bytes += prepared[end]!.ioBytes;
      end++;
    }
    for (const r of runBatch(prepared.slice(start, end))) out.push(r);
    start = end;
  }
  return out;
}

/** A validated case with its windows resolved (null bytes = zeros). */
interface Prepared {
  c: HostCase;
  dataOff: number;
  dataLen: number;
  dataBytes: Uint8Array | null;
  stackLen: number;
  stackBytes: Uint8Array | null;
  timeoutMs: number;
  inBytes: number;
  outBytes: number;
  ioBytes: number;
}

function prepare(c: HostCase, i: number): Prepared {
  const fail = (m: string): never => { throw new Error(`runOnHost: case ${i}: ${m}`); };
  if (c.mode !== 64 && c.mode !== 32) fail(`mode must be 64 or 32, got ${String(c.mode)}`);
  if (c.code.length > CODE_MAX) fail(`code is ${c.code.length} bytes (max ${CODE_MAX})`);
  if (c.regs.length !== 16) fail(`regs must have 16 entries, got ${c.regs.length}`);
  const dataOff = c.data ? c.data.offset : 0;
  const dataLen = c.data ? c.data.bytes.length : DATA_WINDOW_DEFAULT;
  if (!Number.isInteger(dataOff) || dataOff < 0 || dataOff + dataLen > DATA_SIZE) {
    fail(`data window [${dataOff}, +${dataLen}) outside DATA`);
  }
  const stackLen = c.stack ? c.stack.length : STACK_WINDOW_DEFAULT;
  if (stackLen > STACK_SIZE) fail('stack window larger than STACK');
  const timeoutMs = c.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > 0x7fff_ffff) fail(`bad timeoutMs ${timeoutMs}`);
  const inBytes = CASE_HDR + c.code.length + dataLen + stackLen;
  const outBytes = RES_HDR + dataLen + stackLen;
  return {
    c, dataOff, dataLen, dataBytes: c.data ? c.data.bytes : null, stackLen, stackBytes: c.stack ?? null,
    timeoutMs, inBytes, outBytes, ioBytes: inBytes + outBytes,
  };
}

function encode(cases: readonly Prepared[]): Buffer {
  let size = 0;
  for (const p of cases) size += p.inBytes;
  const buf = Buffer.alloc(size); // zero-filled: default windows need no writes
  let o = 0;
  for (const p of cases) {
    const c = p.c;
    buf.writeUInt32LE(CASE_MAGIC, o);
    buf.writeUInt8(c.mode, o + 4);
    buf.writeUInt32LE(p.timeoutMs, o + 8);
    buf.writeUInt32LE(c.code.length, o + 12);
    buf.writeUInt32LE(p.dataOff, o + 16);
    buf.writeUInt32LE(p.dataLen, o + 20);
    buf.writeUInt32LE(p.stackLen, o + 24);
    for (let i = 0; i < 16; i++) buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(c.regs[i]!)), o + 32 + 8 * i);
    buf.writeUInt32LE((c.rflags >>> 0) & INPUT_FLAGS_MASK, o + 160);
    o += CASE_HDR;
    buf.set(c.code, o);
    o += c.code.length;
    if (p.dataBytes) buf.set(p.dataBytes, o);
    o += p.dataLen;
    if (p.stackBytes) buf.set(p.stackBytes, o);
    o += p.stackLen;
  }
  return buf;
}

function runBatch(cases: readonly Prepared[]): HostResult[] {
  const input = encode(cases);
  let expected = STREAM_HDR;
  let timeBudget = 60_000;
  for (const p of cases) {
    expected += p.outBytes;
    timeBudget += p.timeoutMs;
  }
  const bin = harnessBinary();
  const r = spawnSync(bin, [], {
    input,
    maxBuffer: expected + (1 << 20),
    timeout: timeBudget,
    killSignal: 'SIGKILL',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr = r.stderr ? r.stderr.toString('utf8').trim() : '';
  if (r.error) throw new Error(`host harness failed to run: ${r.error.message}${stderr ? `\n${stderr}` : ''}`);
  if (r.status !== 0 || r.signal) {
    throw new Error(`host harness exited with ${r.signal ?? `status ${String(r.status)}`}${stderr ? `: ${stderr}` : ''}`);
  }
  const out = r.stdout;
  if (out.length !== expected) throw new Error(`host harness wrote ${out.length} bytes, expected ${expected}`);
  if (out.readUInt32LE(0) !== STREAM_MAGIC) throw new Error('host harness: bad stream magic');
  streamFlags = out.readUInt32LE(8);
  const results: HostResult[] = [];
  let o = STREAM_HDR;
  for (const p of cases) {
    if (out.readUInt32LE(o) !== RES_MAGIC) throw new Error(`host harness: bad result magic at byte ${o}`);
    const status = out.readUInt32LE(o + 4);
    const rip = out.readBigUInt64LE(o + 24);
    const regs: bigint[] = new Array<bigint>(16);
    for (let i = 0; i < 16; i++) regs[i] = out.readBigUInt64LE(o + 40 + 8 * i);
    const rflags = out.readUInt32LE(o + 168);
    if (out.readUInt32LE(o + 180) !== p.dataLen || out.readUInt32LE(o + 184) !== p.stackLen) {
      throw new Error('host harness: window size mismatch');
    }
    const res: HostResult = { regs, rflags, rip, data: new Uint8Array(0), stack: new Uint8Array(0) };
    if (status === 1) {
      res.fault = {
        vector: out.readUInt32LE(o + 12),
        errorCode: out.readUInt32LE(o + 16),
        rip,
        signal: out.readUInt32LE(o + 8),
        addr: out.readBigUInt64LE(o + 32),
      };
    } else if (status === 2) {
      res.timeout = true;
    } else if (status !== 0) {
      throw new Error(`host harness: bad status ${status}`);
    }
    o += RES_HDR;
    // plain Uint8Array views (not Buffers, so deepStrictEqual against Uint8Arrays works)
    res.data = new Uint8Array(out.buffer, out.byteOffset + o, p.dataLen);
    o += p.dataLen;
    res.stack = new Uint8Array(out.buffer, out.byteOffset + o, p.stackLen);
    o += p.stackLen;
    results.push(res);
  }
  return results;
}
