// program.ts: from a checked launch configuration to a Debuggee — reads the files through the session's
// ProgramFiles (node:fs for `trampoline dap` and the extension, a Map in tests; never writes), assembles a
// `.S` program with the built-in assembler, boots it with the loaders shared with `trampoline run`, and
// gathers the symbols, the line table and the copy ranges the debugger shows.
import path from 'node:path';
import { assembleProgram, COPIES_SECTION, parseCopies, ProgramResult } from '../assembler/program';
import { CpuFeatures } from '../emulator/cpu/features';
import { BootError, bootProgram, elfSymbols, parseNumber } from '../emulator/loaders/boot';
import { isElf, parseElf } from '../emulator/loaders/elf';
import { Debuggee } from './debuggee';
import { gnuAssemble } from './gnuAssembler';
import { evaluate } from './evaluate';
import { LaunchConfig, LaunchError } from './launch';
import { CopyRange, LineTable, NamedValue, SymbolTable } from './symbols';

/** How the adapter reads the user's files (read-only). */
export interface ProgramFiles {
  /** The file's bytes; throws an Error whose message says why it cannot be read. */
  read(file: string): Uint8Array;
}

export interface LoadedProgram {
  debuggee: Debuggee;
  /** Assembler warnings (file:line: message), shown in the Debug Console. */
  warnings: string[];
  /** Absolute path of the program. */
  program: string;
}

function readOrFail(files: ProgramFiles, file: string, attribute: string): Uint8Array {
  try {
    return files.read(file);
  } catch (e) {
    throw new LaunchError(`launch.json: "${attribute}": cannot read '${file}': ${(e as Error).message}`);
  }
}

/** `nm` output or a System.map: `ffffffff81000000 T _text` per line. */
export function parseSymbolMap(text: string, file: string): NamedValue[] {
  const out: NamedValue[] = [];
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const l = lines[k].trim();
    if (l === '') continue;
    const m = /^([0-9a-fA-F]+)\s+([A-Za-z?-])\s+(\S+)/.exec(l);
    if (m === null) {
      if (/^\s*[Uuvw]\s+\S+/.test(l)) continue; // undefined symbols of `nm` have no address
      throw new LaunchError(`launch.json: "symbols": ${file}:${k + 1}: expected "ADDRESS TYPE NAME" as nm or System.map print it, got ${JSON.stringify(l.slice(0, 60))}`);
    }
    if ('aAtTdDbBrRwWvV'.includes(m[2]) || m[2] === '?') out.push({ name: m[3], value: Number.parseInt(m[1], 16) });
  }
  return out;
}

export function loadProgram(config: LaunchConfig, files: ProgramFiles, output: (byte: number) => void): LoadedProgram {
  const cwd = config.cwd ?? path.dirname(path.resolve(config.program));
  const abs = (p: string): string => path.resolve(cwd, p);
  const program = path.resolve(cwd, config.program);
  const bytes = readOrFail(files, program, 'program');

  const features = config.cpu === null ? new CpuFeatures() : CpuFeatures.parse(config.cpu);
  if (typeof features === 'string') throw new LaunchError(`launch.json: "cpu": ${features}`);
  const initrd = config.initrd.map((f) => ({ name: f, bytes: readOrFail(files, abs(f), 'initrd') }));
  const disk = config.disk === null ? null : readOrFail(files, abs(config.disk), 'disk');
  const inputBytes = config.input === null ? new Uint8Array(0)
    : config.input.startsWith('@') ? readOrFail(files, abs(config.input.slice(1)), 'input') : new TextEncoder().encode(config.input);
  let inputAt = 0;
  const input = (): number => (inputAt < inputBytes.length ? inputBytes[inputAt++] : -1);

  const decoder = new TextDecoder();
  let assembled: Extract<ProgramResult, { ok: true }> | null = null;
  const readText = (p: string, from: string): string | null => {
    for (const dir of [path.dirname(from), ...config.includePaths.map(abs)]) {
      try { return decoder.decode(files.read(path.resolve(dir, p))); } catch { /* try the next folder */ }
    }
    return null;
  };
  let booted;
  try {
    booted = bootProgram({
      file: program, bytes, boot: config.boot, load: config.load, entry: config.entry, features, paging: config.paging,
      memory: config.memory, cmdline: config.cmdline, initrd, disk, output, input, devices: config.devices,
      assemble: (text, file, origin, codeSize) => {
        if (config.assembler === 'gnu') {
          const g = gnuAssemble(file, origin, codeSize, { includePaths: config.includePaths.map(abs), defines: config.defines });
          if (g.ok) assembled = { ...g, constants: [], warnings: [], defines: new Map() };
          return g;
        }
        const r = assembleProgram(text, {
          file, origin, codeSize, defines: config.defines, includePaths: config.includePaths.map(abs),
          readFile: (p) => readText(p, file),
          readBinary: (p) => { try { return files.read(path.resolve(path.dirname(file), p)); } catch { return null; } },
        });
        if (r.ok) assembled = r;
        return r;
      },
    });
  } catch (e) {
    if (e instanceof BootError) {
      throw new LaunchError(e.option === null ? `${e.detail}` : `launch.json: "${e.option}": ${e.detail}`);
    }
    throw e;
  }
  const result = assembled as Extract<ProgramResult, { ok: true }> | null;

  let labels: NamedValue[] = booted.symbols;
  let lineRows = booted.lines;
  if (config.symbols !== null) {
    const file = abs(config.symbols);
    const data = readOrFail(files, file, 'symbols');
    if (isElf(data)) {
      const elf = parseElf(data, file);
      if (!elf.ok) throw new LaunchError(`launch.json: "symbols": ${elf.message}`);
      // arch/x86/boot/compressed/vmlinux is linked at 0 (its vmlinux.lds.S: `. = 0`) and runs where the
      // bzImage was loaded: its symbols move by the load address. Other ELFs carry their own addresses.
      const own = elfSymbols(elf.image);
      const bias = booted.kind === 'bzimage' && own.some((x) => x.name === 'startup_32' && x.value === 0) ? booted.load : 0;
      labels = own.map((x) => ({ name: x.name, value: x.value + bias })).concat(labels.filter((x) => !own.some((y) => y.name === x.name)));
      lineRows = lineRows.concat(elf.image.lines.filter((r) => !r.endSequence).map((r) => ({ address: r.address + bias, size: 0, file: r.file, line: r.line })));
    } else {
      labels = labels.concat(parseSymbolMap(decoder.decode(data), file));
    }
  }
  const copies: CopyRange[] = [];
  if (result !== null) copies.push(...result.copies);
  if (booted.elf !== null) {
    const sec = booted.elf.sections.find((s) => s.name === COPIES_SECTION);
    if (sec !== undefined) copies.push(...parseCopies(bytes.subarray(sec.offset, sec.offset + sec.size)));
  }
  const constants = result?.constants ?? [];
  const lookup = (text: string, field: string): number => {
    const n = parseNumber(text);
    if (!Number.isNaN(n)) return n;
    const s = labels.find((x) => x.name === text) ?? constants.find((x) => x.name === text);
    if (s === undefined) throw new LaunchError(`launch.json: "copies": ${field} ${JSON.stringify(text)} is neither an address nor a symbol of the program`);
    return s.value;
  };
  for (const c of config.copies) {
    const start = lookup(c.start, 'start'), end = lookup(c.end, 'end'), runtime = lookup(c.runtime, 'runtime');
    if (end <= start) throw new LaunchError(`launch.json: "copies": end ${c.end} must lie above start ${c.start}`);
    copies.push({ start, end, runtime });
  }
  const symbols = new SymbolTable(labels, copies, constants);
  if (result !== null) for (const [k, v] of result.defines) symbols.defines.set(k, v);
  // Line rows name files as the assembler or compiler wrote them: make them absolute for the editor.
  const rows = lineRows.map((r) => ({ ...r, file: path.isAbsolute(r.file) ? r.file : path.resolve(path.dirname(program), r.file) }));
  const lines = new LineTable(rows, symbols);
  const debuggee = new Debuggee(booted.machine, symbols, lines, booted);
  symbols.resolveDefine = (text) => {
    const r = evaluate(debuggee, text);
    return 'error' in r || r.value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(r.value);
  };
  return { debuggee, warnings: result?.warnings ?? [], program };
}
