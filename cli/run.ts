// run.ts: `trampoline run <program> [options]` (design.md "CLI") — loads a program (ELF, Multiboot ELF,
// GAS source assembled by the built-in assembler, or a raw image) into a fresh Machine in the requested
// boot state, runs it until halt, exit port, triple fault or the instruction limit, and reports: the guest
// console on stdout as it arrives, traces on stderr, or one JSON report with --json. The exit status
// follows design.md: 0 halt, (V<<1)|1 exit port, 4 triple fault/shutdown/reset, 124 limit, 2 bad input.
import { readFileSync } from 'node:fs';
import { sourceReaders } from './sourceFiles';
import { assemble, Diagnostic, flatBinary, formatDiagnostic } from '../assembler/index';
import { disassemble } from '../assembler/disasm/index';
import { BIOS_PORT_BASE, BIOS_PORT_LAST, installBios } from '../emulator/bios/bios';
import { attachEvents } from '../emulator/cpu/events';
import { CpuFeatures } from '../emulator/cpu/features';
import { VECTOR_NAMES } from '../emulator/cpu/fault';
import { cpuMode } from '../emulator/cpu/modes';
import { Reg, Seg } from '../emulator/cpu/state';
import { StopReason } from '../emulator/cpu/step';
import { BootState, detectKind, defaultBoot } from '../emulator/loaders/detect';
import { loadElf, loadRange } from '../emulator/loaders/elf';
import { LoadError } from '../emulator/loaders/image';
import { enterLongMode } from '../emulator/loaders/longMode';
import { loadMultiboot } from '../emulator/loaders/multiboot';
import { enterProtected } from '../emulator/loaders/protected';
import { loadRaw } from '../emulator/loaders/raw';
import { Machine } from '../emulator/machine';
import { MmioDevice } from '../emulator/mem/physical';
import { parseNumber, parseRunOptions, RUN_USAGE, RunOptions } from './options';
import { buildReport, ExceptionRecord, hex64, ModeSwitchRecord } from './report';

export interface RunIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const stdio: RunIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

/** Exit statuses of design.md. */
export const EXIT_HALT = 0, EXIT_BAD_INPUT = 2, EXIT_SHUTDOWN = 4, EXIT_LIMIT = 124;

/** The report keeps the first this many mode switches and exceptions (a guest faulting in a loop would fill memory). */
const MAX_RECORDS = 10_000;
const DEFAULT_MEMORY = 256 * 2 ** 20;
const FOUR_GIB = 2 ** 32;
/** RAM below 4 GiB tops out at 3 GiB (physical.ts LOW_RAM_LIMIT); the rest is placed from 4 GiB up. */
const LOW_RAM_LIMIT = 0xc000_0000;

class BadInput {
  constructor(readonly message: string) {}
}
function bad(message: string): never {
  throw new BadInput(message);
}

interface Sym { name: string; value: number }

function readInputFile(file: string, what: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    return bad(`${what}: cannot read '${file}': ${code === 'ENOENT' ? 'no such file' : code ?? String(e)}`);
  }
}

/** A firmware ROM for `--boot reset`: read-only, mapped as MMIO (writes are ignored, as to real ROM). */
class Rom implements MmioDevice {
  constructor(private readonly bytes: Uint8Array, private readonly skip: number) {}
  read(offset: number, size: number): number {
    let v = 0;
    for (let k = size - 1; k >= 0; k--) v = (v << 8) | (this.bytes[this.skip + offset + k] ?? 0xff);
    return v >>> 0;
  }
  write(): void {
    // ROM: writes are dropped.
  }
}

/** The program as loaded: what it occupies and its symbols. */
interface Program {
  bytes: Uint8Array;
  kind: ReturnType<typeof detectKind>;
  symbols: Sym[];
  /** Raw image bytes (assembled source or raw file) to place at the load address; null for ELF. */
  image: Uint8Array | null;
}

function prepare(o: RunOptions): { program: Program; boot: BootState; load: number } {
  const bytes = readInputFile(o.program, 'program');
  const kind = detectKind(bytes, o.program);
  const boot = o.boot ?? (kind === 'gas' ? (o.load !== null && o.load >= 0x100000 ? 'long' : 'real') : defaultBoot(bytes, o.program));
  if (boot === 'linux' || boot === 'linux32') bad(`--boot ${boot} is not supported yet (accepted: reset, real, protected, multiboot, long)`);
  if (kind === 'bzimage') bad(`${o.program}: a Linux bzImage needs --boot linux, which is not supported yet`);
  const load = o.load ?? (boot === 'real' ? 0x7c00 : 0x100000);
  if (kind === 'gas') {
    // The boot state picks the default code size, as `as --32`/`--64` would (prefixed on line 1, so
    // diagnostics keep their line numbers); the source's own .code16/.code32/.code64 still rules.
    const prefix = boot === 'real' || boot === 'reset' ? '.code16; ' : boot === 'protected' || boot === 'multiboot' ? '.code32; ' : '';
    const text = prefix + new TextDecoder().decode(bytes);
    const asm = assemble(text, { file: o.program, origin: load, ...sourceReaders(o.program) });
    const unprefix = (d: Diagnostic): Diagnostic => (d.file === o.program && d.line === 1 && d.col > prefix.length ? { ...d, col: d.col - prefix.length } : d);
    if (asm.errors.length) bad(asm.errors.map((d) => formatDiagnostic(unprefix(d))).join('\n'));
    const image = flatBinary(asm.sections, load);
    const symbols = asm.symbols.filter((s) => s.section !== null).map((s) => ({ name: s.name, value: s.value }));
    return { program: { bytes, kind, symbols, image }, boot, load };
  }
  return { program: { bytes, kind, symbols: [], image: kind === 'raw' ? bytes : null }, boot, load };
}

function resolveEntry(o: RunOptions, symbols: Sym[], fallback: number): number {
  if (o.entry === null) return fallback;
  const n = parseNumber(o.entry);
  if (!Number.isNaN(n)) return n;
  const s = symbols.find((y) => y.name === o.entry);
  if (s === undefined) bad(`--entry: no symbol '${o.entry}' in ${o.program} (give a label or an address)`);
  return s.value;
}

function loaded<T>(r: ({ ok: true } & T) | LoadError): T {
  if (!r.ok) bad(r.message);
  return r;
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
    if (e instanceof BadInput) {
      io.err(`trampoline run: ${e.message}\n`);
      return EXIT_BAD_INPUT;
    }
    throw e;
  }
}

function execute(o: RunOptions, io: RunIo): number {
  const features = o.cpu === null ? new CpuFeatures() : CpuFeatures.parse(o.cpu);
  if (typeof features === 'string') bad(`--cpu: ${features}`);
  const { program, boot, load } = prepare(o);
  if (o.cmdline !== null && boot !== 'multiboot') bad(`--cmdline is for --boot multiboot (or linux, not supported yet), not --boot ${boot}`);
  if (o.initrd.length && boot !== 'multiboot') bad(`--initrd is for --boot multiboot (or linux, not supported yet), not --boot ${boot}`);
  if (o.disk !== null && boot !== 'real') bad(`--disk is for --boot real, not --boot ${boot}`);
  const modules = o.initrd.map((f) => ({ string: f, bytes: readInputFile(f, '--initrd') }));
  const disk = o.disk !== null ? readInputFile(o.disk, '--disk') : program.image ?? program.bytes;
  const inputBytes: number[] = o.input === null ? [] : o.input.startsWith('@') ? [...readInputFile(o.input.slice(1), '--input')] : [...Buffer.from(o.input, 'utf8')];
  let inputAt = 0;
  const input = (): number => (inputAt < inputBytes.length ? inputBytes[inputAt++] : -1);

  // Memory: the default grows so that a program loaded above 4 GiB lands in RAM (physical memory is sparse).
  let memory = o.memory ?? DEFAULT_MEMORY;
  if (o.memory === null && program.image !== null && load + program.image.length > FOUR_GIB) {
    memory = LOW_RAM_LIMIT + Math.ceil((load + program.image.length - FOUR_GIB) / 2 ** 20) * 2 ** 20;
  }

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
  const m = new Machine({ memory, features, output, input });

  let entry: number;
  const ranges: { start: number; end: number }[] = [];
  let symbols = program.symbols;
  if (boot === 'multiboot') {
    const r = loaded(loadMultiboot(m, program.bytes, { file: o.program, modules, ...(o.cmdline !== null ? { cmdline: o.cmdline } : {}) }));
    if (r.elf) symbols = elfSymbols(r.elf.symbols);
    if (o.entry !== null) { m.cpu.ripLo = resolveEntry(o, symbols, r.entry) | 0; m.cpu.ripHi = 0; }
  } else {
    if (program.image !== null) {
      if (boot === 'reset') {
        mapRom(m, program.image);
      } else {
        const r = loaded(loadRaw(m, program.image, load, load, o.program));
        ranges.push({ start: load, end: load + program.image.length });
        void r;
      }
      entry = resolveEntry(o, symbols, load);
    } else {
      const r = loaded(loadElf(m, program.bytes, o.program));
      symbols = elfSymbols(r.image.symbols);
      const range = loadRange(r.image);
      if (range) ranges.push(range);
      entry = resolveEntry(o, symbols, r.entry);
    }
    if (boot !== 'reset') m.programAsBios();
    const bios = boot === 'reset' ? null : installBios(m.phys, m.cpu, { disk, console: output, input, ramBytes: memory, ...(m.devices ? { a20: m.devices.a20 } : {}) });
    if (bios !== null) m.devices?.bus.register(BIOS_PORT_BASE, BIOS_PORT_LAST, bios.services, { wide: true });
    switch (boot) {
      case 'reset':
        // SDM Vol.3A §9.1.4: the first instruction is fetched at FFFFFFF0h (CS base FFFF0000h, IP FFF0h).
        m.cpu.reset();
        m.stateChanged();
        break;
      case 'real':
        enterReal(m, entry);
        break;
      case 'protected':
        enterProtected(m, entry);
        break;
      case 'long':
        loaded(enterLongMode(m, { entry, ranges, levels: o.paging, file: o.program }));
        break;
      default:
        bad(`--boot ${boot} cannot run ${program.kind === 'gas' ? 'an assembled program' : 'this program'}`);
    }
  }

  // Events: mode switches, control-register writes and exceptions, for the traces and the report.
  const sorted = [...symbols].sort((a, b) => a.value - b.value);
  const symbolize = (lo: number, hi: number): string => {
    const a = (hi >>> 0) * FOUR_GIB + (lo >>> 0);
    let best: Sym | null = null;
    for (const s of sorted) { if (s.value <= a) best = s; else break; }
    return best ? `${best.name}+0x${(a - best.value).toString(16)}` : hex64(lo, hi);
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
  } else {
    stop = m.run({ maxInstructions: o.maxInstructions });
  }
  flush();

  const status = exitStatus(m);
  const info = m.lastStop;
  if (o.json) {
    const report = buildReport(m, { reason: info.reason, exitCode: status, detail: info.detail }, switches, exceptions, consoleText);
    io.out(JSON.stringify(report, null, 2) + '\n');
  } else if (stop !== StopReason.Halt && stop !== StopReason.Exit) {
    io.err(`trampoline run: stopped by ${info.reason} after ${m.cpu.icount} instructions${info.detail ? `: ${info.detail}` : ''}\n`);
  }
  return status;
}

function exitStatus(m: Machine): number {
  switch (m.lastStop.reason) {
    case StopReason.Halt: return EXIT_HALT;
    case StopReason.Exit: return m.lastStop.exitCode;
    case StopReason.TripleFault: case StopReason.Reset: return EXIT_SHUTDOWN;
    case StopReason.Limit: return EXIT_LIMIT;
    default: return 1;
  }
}

function elfSymbols(list: { name: string; value: number; section: number; kind: string }[]): Sym[] {
  return list.filter((s) => s.name !== '' && s.section !== 0 && s.kind !== 'section' && s.kind !== 'file').map((s) => ({ name: s.name, value: s.value }));
}

/** design.md `reset`: the ROM ends at 4 GiB, and its last 128 KiB (or all of it) ends at 1 MiB too. */
function mapRom(m: Machine, rom: Uint8Array): void {
  if (rom.length > 16 * 2 ** 20) bad(`--boot reset: the firmware ROM is ${rom.length} bytes; at most 16 MiB is accepted`);
  m.phys.addMmio(FOUR_GIB - rom.length, rom.length, new Rom(rom, 0));
  const low = Math.min(rom.length, 128 * 1024);
  m.phys.addMmio(0x100000 - low, low, new Rom(rom, rom.length - low));
  m.mem.flush();
}

/** `--boot real`: CS:IP = 0:entry, SS:SP = 0:7C00, DL = 80h, IF = 1, as a BIOS hands over a boot sector. */
function enterReal(m: Machine, entry: number): void {
  if (entry > 0xfffff) bad(`--entry: ${hex64(entry, 0)} is not reachable in real mode (below 1 MiB)`);
  const cpu = m.cpu;
  cpu.reset();
  for (const s of [Seg.ES, Seg.CS, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) {
    cpu.segSel[s] = 0; cpu.segBaseLo[s] = 0; cpu.segBaseHi[s] = 0; cpu.segLimit[s] = 0xffff;
  }
  // An entry above 64 KiB goes through CS (segment = entry >> 4).
  if (entry > 0xffff) { cpu.segSel[Seg.CS] = entry >>> 4; cpu.segBaseLo[Seg.CS] = (entry >>> 4) << 4; }
  cpu.ripLo = entry - (cpu.segBaseLo[Seg.CS] >>> 0); cpu.ripHi = 0;
  cpu.lo[Reg.RSP] = 0x7c00;
  cpu.lo[Reg.RDX] = 0x80;
  cpu.flags = 0x202;
  m.stateChanged();
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
