// asm.ts: `trampoline asm <file.S> -o <out> [--listing] [--format bin|elf] [-I dir] [-D NAME[=V]] [--origin ADDR]`
// (design.md "CLI"): assembles with the built-in assembler into a flat binary (sections from --origin,
// gaps zero-filled) or an ELF relocatable object like `as -o x.o` (ET_REL: .text/.data/.bss, symbols,
// RELA relocations). Diagnostics are printed as GAS prints them (`file:line: Error: message`, exit 1);
// a bad option or an unreadable file exits 2. The output is written only when there is no error, and
// never over the input.
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { assemble, elfObject, flatBinary, formatListing } from '../assembler/index';
import type { Diagnostic } from '../assembler/index';
import { parseNumber } from '../emulator/loaders/boot';
import { sourceReaders } from './sourceFiles';

export const ASM_USAGE = 'Usage: trampoline asm <file.S> -o <out> [--listing] [--format bin|elf] [-I dir] [-D NAME[=V]] [--origin ADDR]\n' +
  '  --format bin   flat binary of every section from the origin (default)\n' +
  '  --format elf   ELF64 relocatable object (as `as -o x.o` writes)\n' +
  '  --listing      print the listing (as `as -al`) on stdout\n' +
  '  -I dir, -D NAME[=V]  C preprocessor include folder and definition (a .S or .sx file is preprocessed)\n' +
  '  --origin ADDR  load address of the first section, for --format bin (default 0)\n';

interface Io { out: (s: string) => void; err: (s: string) => void }

interface AsmOptions {
  file: string;
  output: string;
  listing: boolean;
  format: 'bin' | 'elf';
  includes: string[];
  defines: Record<string, string>;
  origin: number | null;
}

function usageError(io: Io, msg: string): number {
  io.err(`trampoline asm: ${msg}\n${ASM_USAGE}`);
  return 2;
}

/** Parses argv into options, or returns the message of a usage error. */
function parseArgs(argv: string[]): AsmOptions | { help: true } | string {
  let file: string | null = null;
  let output: string | null = null;
  let listing = false;
  let format: 'bin' | 'elf' = 'bin';
  let origin: number | null = null;
  const includes: string[] = [];
  const defines: Record<string, string> = {};
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const eq = a.indexOf('=');
    const [name, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    // -I dir / -Idir and -D NAME / -DNAME, as gcc takes them.
    const short = /^-[IDo]/.test(a) && !a.startsWith('--') ? a.slice(0, 2) : null;
    const value = (): string | undefined => inline ?? (short && a.length > 2 ? a.slice(2) : argv[++k]);
    if (name === '--help' || name === '-h') return { help: true };
    if (short === '-o' || name === '--output') {
      const v = value();
      if (!v) return `${short ?? name} needs a file name`;
      output = v;
    } else if (short === '-I') {
      const v = value();
      if (!v) return '-I needs a folder';
      includes.push(v);
    } else if (short === '-D') {
      const v = value();
      if (!v || !/^[A-Za-z_]\w*(=.*)?$/s.test(v)) return `-D: '${v ?? ''}' is not NAME or NAME=VALUE`;
      const at = v.indexOf('=');
      if (at < 0) defines[v] = '';
      else defines[v.slice(0, at)] = v.slice(at + 1);
    } else if (name === '--listing') {
      if (inline !== undefined) return `--listing takes no value`;
      listing = true;
    } else if (name === '--format') {
      const v = value();
      if (v !== 'bin' && v !== 'elf') return `--format: '${v ?? ''}' is not one of bin, elf`;
      format = v;
    } else if (name === '--origin') {
      const v = value() ?? '';
      const n = parseNumber(v);
      if (!Number.isSafeInteger(n)) return `--origin: '${v}' is not an address (a decimal or 0x-prefixed hex number)`;
      origin = n;
    } else if (a.startsWith('-') && a !== '-') {
      return `unknown option '${a}' (accepted: -o, --listing, --format bin|elf, -I, -D, --origin)`;
    } else if (file === null) {
      file = a;
    } else {
      return `unexpected argument '${a}': one source file at a time`;
    }
  }
  if (file === null) return 'no input file';
  if (output === null) return 'no output file (-o <out>)';
  if (origin !== null && format === 'elf') return '--origin applies to --format bin only (an object file is placed by the linker)';
  return { file, output, listing, format, includes, defines, origin };
}

/** Whether two paths name one file (the output would overwrite the source). */
function sameFile(a: string, b: string): boolean {
  const real = (p: string): string => { try { return realpathSync(p); } catch { return path.resolve(p); } };
  return real(a) === real(b);
}

/** GAS's form: `file:line: Error: message` (the column is ours, GAS gives none). */
function gasDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}: ${d.severity === 'error' ? 'Error' : 'Warning'}: ${d.message}\n`;
}

/** Runs the command; returns the exit code: 0 done, 1 assembly errors, 2 bad usage or unreadable input. */
export function asmCommand(argv: string[], io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): number {
  const o = parseArgs(argv);
  if (typeof o === 'string') return usageError(io, o);
  if ('help' in o) { io.out(ASM_USAGE); return 0; }
  if (sameFile(o.file, o.output)) return usageError(io, `-o '${o.output}' is the input file: refusing to overwrite the source`);
  let source: string;
  try {
    source = readFileSync(o.file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    return usageError(io, `cannot read '${o.file}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code ?? String(e)}`);
  }
  const r = assemble(source, {
    file: o.file,
    ...sourceReaders(o.file),
    includePaths: o.includes.map((d) => path.resolve(d)),
    defines: o.defines,
    origin: o.origin ?? 0,
    relocatable: o.format === 'elf',
  });
  // In the order GAS reports them: by where the line is in the assembled source (includes in place).
  const order = new Map(r.source.map((l, k) => [`${l.file}:${l.line}`, k]));
  const at = (d: Diagnostic) => order.get(`${d.file}:${d.line}`) ?? Number.MAX_SAFE_INTEGER;
  const diags = [...r.errors, ...r.warnings].sort((a, b) => at(a) - at(b));
  if (diags.length) io.err(`${o.file}: Assembler messages:\n${diags.map(gasDiagnostic).join('')}`);
  for (const p of r.printed) io.out(`${p}\n`);
  if (r.errors.length) return 1;
  if (o.listing) io.out(formatListing(r, o.file));
  const bytes = o.format === 'elf'
    ? elfObject({ sections: r.sections, symbols: r.symbols, relocations: r.relocations ?? [], undefinedGlobals: r.undefinedGlobals })
    : flatBinary(r.sections, o.origin ?? undefined);
  try {
    writeFileSync(o.output, bytes);
  } catch (e) {
    const code = (e as { code?: string }).code;
    io.err(`trampoline asm: cannot write '${o.output}': ${code ?? String(e)}\n`);
    return 2;
  }
  return 0;
}
