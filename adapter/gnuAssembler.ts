// gnuAssembler.ts: `"assembler": "gnu"` — assembles a `.S` program with the system's GNU toolchain instead of
// the built-in assembler: gcc's C preprocessor and GNU as (with -g for the line table), ld to place it at
// the load address, objcopy for the flat image. Everything happens in a temporary folder; the user's files
// are only read. Symbols and lines come from the linked ELF (our ELF and DWARF readers).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseElf } from '../emulator/loaders/elf';
import { elfSymbols } from '../emulator/loaders/boot';
import { COPIES_SECTION, CopyRange, parseCopies } from '../assembler/program';

export interface GnuOptions {
  includePaths: string[];
  defines: Record<string, string>;
}

export type GnuResult =
  | { ok: true; image: Uint8Array; symbols: { name: string; value: number }[]; lines: { address: number; size: number; file: string; line: number }[]; copies: CopyRange[] }
  | { ok: false; errors: string[] };

function run(tool: string, args: string[], cwd: string): { ok: true } | { ok: false; output: string } {
  try {
    execFileSync(tool, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    return { ok: true };
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer; stdout?: Buffer };
    if (err.code === 'ENOENT') return { ok: false, output: `"assembler": "gnu" needs ${tool}, which is not installed (Debian: apt-get install ${tool === 'gcc' ? 'gcc' : 'binutils'})` };
    return { ok: false, output: `${err.stderr?.toString() ?? ''}${err.stdout?.toString() ?? ''}`.trim() || `${tool} failed` };
  }
}

export function gnuAssemble(file: string, origin: number, codeSize: 16 | 32 | 64, o: GnuOptions): GnuResult {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trampoline-gas-'));
  try {
    // The boot state's default code size goes in front, as the built-in assembler does; #line markers
    // keep the user's file and line numbers in diagnostics and in DWARF.
    const wrapper = path.join(dir, 'program.S');
    writeFileSync(wrapper, `${codeSize === 16 ? '.code16' : codeSize === 32 ? '.code32' : ''}\n#include ${JSON.stringify(file)}\n`);
    const defines = Object.entries(o.defines).map(([k, v]) => (v === '' ? `-D${k}` : `-D${k}=${v}`));
    const includes = [path.dirname(file), ...o.includePaths].map((p) => `-I${p}`);
    const cc = run('gcc', ['-c', '-g', '-x', 'assembler-with-cpp', ...includes, ...defines, wrapper, '-o', 'program.o'], dir);
    if (!cc.ok) return { ok: false, errors: cc.output.split('\n').filter((l) => l.trim() !== '' && !/Assembler messages:$/.test(l)) };
    const ld = run('ld', ['-m', 'elf_x86_64', '-N', `-Ttext=0x${origin.toString(16)}`, '-e', `0x${origin.toString(16)}`, '--build-id=none', '-o', 'program.elf', 'program.o'], dir);
    if (!ld.ok) return { ok: false, errors: ld.output.split('\n') };
    const cp = run('objcopy', ['-O', 'binary', 'program.elf', 'program.bin'], dir);
    if (!cp.ok) return { ok: false, errors: cp.output.split('\n') };
    const elfBytes = new Uint8Array(readFileSync(path.join(dir, 'program.elf')));
    const parsed = parseElf(elfBytes, file);
    if (!parsed.ok) return { ok: false, errors: [parsed.message] };
    const image = parsed.image;
    const sec = image.sections.find((s) => s.name === COPIES_SECTION);
    const copies = sec === undefined ? [] : parseCopies(elfBytes.subarray(sec.offset, sec.offset + sec.size));
    return {
      ok: true,
      image: new Uint8Array(readFileSync(path.join(dir, 'program.bin'))),
      symbols: elfSymbols(image),
      lines: image.lines.filter((r) => !r.endSequence).map((r) => ({ address: r.address, size: 0, file: r.file, line: r.line })),
      copies,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
