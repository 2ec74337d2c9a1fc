// run.ts: `trampoline run <program> [options]` (design.md "CLI") — loads a program (ELF, Multiboot ELF,
// GAS source assembled by the built-in assembler, or a raw image) into a fresh Machine in the requested
// boot state, runs it until halt, exit port, triple fault or the instruction limit, and reports: the guest
// console on stdout as it arrives, traces on stderr, or one JSON report with --json. The exit status
// follows design.md: 0 halt, (V<<1)|1 exit port, 4 triple fault/shutdown/reset, 124 limit, 2 bad input.
import { readFileSync } from 'node:fs';
import { sourceReaders } from './sourceFiles';
import { disassemble } from '../assembler/disasm/index';
import { assembleProgram } from '../assembler/program';
import { attachEvents } from '../emulator/cpu/events';
import { CpuFeatures } from '../emulator/cpu/features';
import { VECTOR_NAMES } from '../emulator/cpu/fault';
import { cpuMode } from '../emulator/cpu/modes';
import { Seg } from '../emulator/cpu/state';
import { StopReason } from '../emulator/cpu/step';
import { Assemble, BootError, Booted, bootProgram } from '../emulator/loaders/boot';
import { SymbolTable } from '../adapter/symbols';
import { Machine } from '../emulator/machine';
import { textScreen } from '../emulator/devices/vgaText';
import { parseRunOptions, RUN_USAGE, RunOptions } from './options';
import { buildReport, ExceptionRecord, hex64, ModeSwitchRecord } from './report';
import { runWithProgress } from './progress';

export interface RunIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Where the progress line goes (a terminal's stderr); absent: no progress. */
  progress?: (s: string) => void;
}

const stdio: RunIo = {
  out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s),
  // design.md: progress goes to stderr, and only when a person is watching it.
  ...(process.stderr.isTTY ? { progress: (s: string) => { process.stderr.write(s); } } : {}),
};

/** Exit statuses of design.md. */
export const EXIT_HALT = 0, EXIT_BAD_INPUT = 2, EXIT_SHUTDOWN = 4, EXIT_LIMIT = 124;

/** The report keeps the first this many mode switches and exceptions (a guest faulting in a loop would fill memory). */
const MAX_RECORDS = 10_000;
const FOUR_GIB = 2 ** 32;

export class BadInput {
  constructor(readonly message: string) {}
}
function bad(message: string): never {
  throw new BadInput(message);
}

function readInputFile(file: string, what: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    return bad(`${what}: cannot read '${file}': ${code === 'ENOENT' ? 'no such file' : code ?? String(e)}`);
  }
}

/** The built-in assembler as the loaders take it, reading includes beside the source. */
export function builtinAssembler(file: string): Assemble {
  return (text, name, origin, codeSize) => assembleProgram(text, { file: name, origin, codeSize, ...sourceReaders(file) });
}

/** Runs the command; returns the exit status. */
export function runCommand(argv: string[], io: RunIo = stdio): number {
  const parsed = parseRunOptions(argv);
  if (!parsed.ok) {
    if (parsed.help) { io.out(RUN_USAGE); return 0; }
    io.err(`trampoline run: ${parsed.message}\n${RUN_USAGE}`);
    return EXIT_BAD_INPUT;
  }
  try {
    return execute(parsed.options, io);
  } catch (e) {
    if (e instanceof BootError) {
      io.err(`trampoline run: ${e.option === null ? '' : `--${e.option}: `}${e.detail}\n`);
      return EXIT_BAD_INPUT;
    }
    if (e instanceof BadInput) {
      io.err(`trampoline run: ${e.message}\n`);
      return EXIT_BAD_INPUT;
    }
    throw e;
  }
}

/**
 * Reads the program and the files its options name, and boots it (emulator/loaders/boot.ts) — shared by
 * `run` and `pt`. Throws BadInput or BootError on bad input.
 */
export function bootFromOptions(o: RunOptions, output: (byte: number) => void): Booted {
  const features = o.cpu === null ? new CpuFeatures() : CpuFeatures.parse(o.cpu);
  if (typeof features === 'string') bad(`--cpu: ${features}`);
  const bytes = readInputFile(o.program, 'program');
  const initrd = o.initrd.map((f) => ({ name: f, bytes: readInputFile(f, '--initrd') }));
  const disk = o.disk !== null ? readInputFile(o.disk, '--disk') : null;
  const inputBytes: number[] = o.input === null ? [] : o.input.startsWith('@') ? [...readInputFile(o.input.slice(1), '--input')] : [...Buffer.from(o.input, 'utf8')];
  let inputAt = 0;
  const input = (): number => (inputAt < inputBytes.length ? inputBytes[inputAt++] : -1);
  return bootProgram({
    file: o.program, bytes, boot: o.boot, load: o.load, entry: o.entry, features, paging: o.paging, memory: o.memory,
    cmdline: o.cmdline, initrd, disk, output, input, assemble: builtinAssembler(o.program), devices: o.devices,
  });
}

function execute(o: RunOptions, io: RunIo): number {

  // The console: stdout as it arrives (a line at a time), or only into the JSON report.
  let consoleText = '';
  let pending = '';
  const flush = (): void => { if (pending) { io.out(pending); pending = ''; } };
  const output = (b: number): void => {
    const ch = String.fromCharCode(b);
    consoleText += ch;
    if (o.json) return;
    pending += ch;
    if (ch === '\n') flush();
  };
  const booted = bootFromOptions(o, output);
  const m = booted.machine;
  const symbols = booted.symbols;

  // Events: mode switches, control-register writes and exceptions, for the traces and the report.
  // Code that runs from a copy (.trampoline.copies) is named after the label it was assembled at.
  const table = new SymbolTable(symbols, booted.copies);
  const symbolize = (lo: number, hi: number): string => {
    const s = table.symbolize((hi >>> 0) * FOUR_GIB + (lo >>> 0));
    return s ? `${s.name}+0x${s.offset.toString(16)}` : hex64(lo, hi);
  };
  const switches: ModeSwitchRecord[] = [];
  const exceptions: ExceptionRecord[] = [];
  const trace = o.trace;
  attachEvents(m.cpu, {
    modeSwitch: (e) => {
      const rec: ModeSwitchRecord = {
        instruction: m.cpu.icount, rip: hex64(e.ripLo, e.ripHi), symbol: symbolize(e.ripLo, e.ripHi), via: e.mnemonic,
        from: { mode: e.fromMode, paging: e.fromPaging }, to: { mode: e.toMode, paging: e.toPaging },
      };
      if (switches.length < MAX_RECORDS) switches.push(rec);
      if (trace.has('modes')) io.err(`switch: ${e.fromMode} · ${e.fromPaging} → ${e.toMode} · ${e.toPaging} via ${e.mnemonic || '?'} at ${rec.symbol} (instruction ${rec.instruction})\n`);
    },
    crWrite: (e) => {
      if (trace.has('cr')) io.err(`${e.register}: ${hex64(e.oldLo, e.oldHi)} → ${hex64(e.newLo, e.newHi)} via ${e.mnemonic || '?'} at ${symbolize(e.ripLo, e.ripHi)}\n`);
    },
    exception: (e) => {
      const rec: ExceptionRecord = {
        instruction: m.exec.now(), vector: e.vector, name: VECTOR_NAMES[e.vector] ?? `vector ${e.vector}`,
        errorCode: e.errorCode, rip: hex64(e.ripLo, e.ripHi), detail: e.detail,
      };
      if (exceptions.length < MAX_RECORDS) exceptions.push(rec);
      if (trace.has('exceptions')) {
        io.err(`exception: ${rec.name}${e.errorCode >= 0 ? ` (error code 0x${e.errorCode.toString(16)})` : ''} at ${symbolize(e.ripLo, e.ripHi)}: ${e.detail}\n`);
      }
    },
  });

  let stop: StopReason;
  if (trace.has('insns')) {
    stop = StopReason.Limit;
    while (m.cpu.icount < o.maxInstructions) {
      io.err(insnLine(m, symbolize));
      stop = m.run({ maxInstructions: 1 });
      if (stop !== StopReason.Limit) break;
    }
  } else if (io.progress !== undefined && !o.json) {
    stop = runWithProgress(m, o.maxInstructions, io.progress);
  } else {
    stop = m.run({ maxInstructions: o.maxInstructions });
  }
  flush();

  const status = exitStatus(m);
  const info = m.lastStop;
  if (o.json) {
    const report = buildReport(m, { reason: info.reason, exitCode: status, detail: info.detail }, switches, exceptions, consoleText);
    // An addition to design.md's schema: the VGA text page at 0xB8000 (devices/vgaText.ts).
    io.out(JSON.stringify({ ...report, screen: textScreen(m.phys) }, null, 2) + '\n');
  } else if (stop !== StopReason.Halt && stop !== StopReason.Exit) {
    io.err(`trampoline run: stopped by ${info.reason} after ${m.cpu.icount} instructions${info.detail ? `: ${info.detail}` : ''}\n`);
  }
  return status;
}

function exitStatus(m: Machine): number {
  switch (m.lastStop.reason) {
    case StopReason.Halt: return EXIT_HALT;
    case StopReason.Exit: return m.lastStop.exitCode;
    case StopReason.TripleFault: case StopReason.Reset: case StopReason.PowerOff: return EXIT_SHUTDOWN;
    case StopReason.Limit: return EXIT_LIMIT;
    default: return 1;
  }
}

const BITS = { real: 16, v8086: 16, protected16: 16, compat16: 16, protected32: 32, compat32: 32, long64: 64 } as const;

/** One `--trace insns` line: instruction count, address, symbol and the instruction (AT&T). */
function insnLine(m: Machine, symbolize: (lo: number, hi: number) => string): string {
  const cpu = m.cpu;
  const bytes = new Uint8Array(15);
  let n = 0;
  try {
    for (; n < 15; n++) {
      const lo = (cpu.segBaseLo[Seg.CS] + cpu.ripLo + n) | 0;
      const hi = BITS[cpuMode(cpu)] === 64 ? (cpu.ripHi + ((lo >>> 0) < (cpu.ripLo >>> 0) ? 1 : 0)) | 0 : 0;
      bytes[n] = m.phys.read8(m.mem.fetchPhysical(lo, hi));
    }
  } catch {
    // the fetch faults (unmapped page): show what could be read
  }
  const [line] = disassemble(bytes.subarray(0, n), { bits: BITS[cpuMode(cpu)], start: 0 });
  const text = line ? `${line.mnemonic}${line.operands ? ' ' + line.operands : ''}` : '(unreadable)';
  return `insn ${cpu.icount} ${hex64(cpu.ripLo, cpu.ripHi)} <${symbolize(cpu.ripLo, cpu.ripHi)}> ${text}\n`;
}
