// disasm.ts: `trampoline disasm <file> [--syntax att|intel] [--start ADDR] [--bits 16|32|64]` — prints a raw
// binary's instructions the way `objdump -d` does (AT&T by default, or `-M intel`).
// An ELF file (emulator/loaders/elf.ts parses it) is disassembled per executable section with its symbols,
// as `objdump -d` does; anything else is raw bytes.
import { readFileSync } from 'node:fs';
import { Bits, DisasmSymbol, Syntax, disassemble, objdumpLines } from '../assembler/disasm/index';
import { isElf, parseElf, SHT_NOBITS } from '../emulator/loaders/elf';

/** ELF section flag: the section holds code (System V gABI, "Sections"). */
const SHF_EXECINSTR = 4;

export const DISASM_USAGE = 'Usage: trampoline disasm <file> [--syntax att|intel] [--start ADDR] [--bits 16|32|64]\n';

interface Out { out: (s: string) => void; err: (s: string) => void }

function fail(io: Out, msg: string): number {
  io.err(`trampoline disasm: ${msg}\n${DISASM_USAGE}`);
  return 2;
}

/** Runs the command; returns the exit code (2 for a usage error or an unreadable file). */
export function disasmCommand(argv: string[], io: Out = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): number {
  let file: string | undefined;
  let syntax: Syntax = 'att';
  let bits: Bits = 64;
  let bitsGiven = false;
  let start = 0;
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const eq = a.indexOf('=');
    const [name, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++k];
    if (name === '--help' || name === '-h') { io.out(DISASM_USAGE); return 0; }
    if (name === '--syntax') {
      const v = value();
      if (v !== 'att' && v !== 'intel') return fail(io, `--syntax: '${v ?? ''}' is not one of att, intel`);
      syntax = v;
    } else if (name === '--bits') {
      const v = value();
      if (v !== '16' && v !== '32' && v !== '64') return fail(io, `--bits: '${v ?? ''}' is not one of 16, 32, 64`);
      bits = Number(v) as Bits;
      bitsGiven = true;
    } else if (name === '--start') {
      const v = value() ?? '';
      const n = /^(0x[0-9a-f]+|[0-9]+)$/i.test(v) ? Number(v) : NaN;
      if (!Number.isSafeInteger(n)) return fail(io, `--start: '${v}' is not an address (a decimal or 0x-prefixed hex number)`);
      start = n;
    } else if (a.startsWith('-') && a !== '-') {
      return fail(io, `unknown option '${a}' (accepted: --syntax att|intel, --start ADDR, --bits 16|32|64)`);
    } else if (file === undefined) {
      file = a;
    } else {
      return fail(io, `unexpected argument '${a}': one file at a time`);
    }
  }
  if (file === undefined) return fail(io, 'no input file');
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    return fail(io, `cannot read '${file}': ${code === 'ENOENT' ? 'no such file' : code ?? String(e)}`);
  }
  if (isElf(bytes)) {
    const r = parseElf(bytes, file);
    if (!r.ok) return fail(io, r.message);
    const img = r.image;
    const b: Bits = bitsGiven ? bits : img.bits;
    const digits = img.bits === 64 ? 16 : 8;
    const text = ['', `${file}:     file format ${img.bits === 64 ? 'elf64-x86-64' : 'elf32-i386'}`, ''];
    for (const sec of img.sections) {
      if (!(sec.flags & SHF_EXECINSTR) || sec.type === SHT_NOBITS || sec.size === 0) continue;
      const symbols: DisasmSymbol[] = img.symbols
        .filter((y) => y.section === sec.index && y.name !== '' && y.kind !== 'section' && y.kind !== 'file')
        .map((y) => ({ name: y.name, address: y.value }));
      symbols.push({ name: sec.name, address: sec.addr }); // objdump's fallback: the section itself
      // Addresses are named after any symbol (a RIP-relative operand often points into .data); headers use this section's.
      const named = img.symbols.filter((y) => y.section !== 0 && y.section < 0xff00 && y.name !== '' && y.kind !== 'section' && y.kind !== 'file')
        .map((y) => ({ name: y.name, address: y.value }));
      const lines = disassemble(bytes.subarray(sec.offset, sec.offset + sec.size), { bits: b, start: sec.addr, syntax, symbols: [...named, ...symbols], skipZeroes: true });
      text.push('', `Disassembly of section ${sec.name}:`, ...objdumpLines(lines, { symbols, addrDigits: digits }));
    }
    io.out(text.join('\n') + '\n');
    return 0;
  }
  const lines = disassemble(bytes, { bits, start, syntax, skipZeroes: true });
  const text = [
    '',
    `${file}:     file format binary`,
    '',
    '',
    'Disassembly of section .data:',
    '',
    `${start.toString(16).padStart(bits === 64 ? 16 : 8, '0')} <.data>:`,
    ...objdumpLines(lines, { addrDigits: bits === 64 ? 16 : 8 }),
    '',
  ];
  io.out(text.join('\n'));
  return 0;
}
