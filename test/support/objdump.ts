// support/objdump.ts: runs GNU objdump/as on byte blobs and assembly text and parses the listing, and
// decodes the same bytes with our decoder, so tests can compare lengths and AT&T text with binutils.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from '../../emulator/cpu/decode';
import { Insn } from '../../emulator/cpu/insn';
import { CodeSize } from '../../emulator/cpu/state';
import { CpuFeatures, FEATURE_BITS } from '../../emulator/cpu/features';
import { FORMS } from '../../emulator/isa/table';
import { formatAtt } from '../../assembler/disasm/att';

export type Mode = 16 | 32 | 64;

export interface DumpLine {
  addr: number;
  bytes: number[];
  /** Text with whitespace normalised and any `# …` comment removed. */
  text: string;
}

/** Why objdump/as cannot be used here, or null when both run. */
export function binutilsMissing(needAs = false): string | null {
  for (const tool of needAs ? ['objdump', 'as'] : ['objdump']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      return `${tool} (GNU binutils) is not installed`;
    }
  }
  return null;
}

const MACHINE: Record<Mode, string> = { 16: 'i8086', 32: 'i386', 64: 'i386:x86-64' };

/** objdump's text with runs of whitespace collapsed and the `# 0x…` comment dropped. */
export function normalise(text: string): string {
  const hash = text.indexOf('#');
  return (hash >= 0 ? text.slice(0, hash) : text).replace(/\s+/g, ' ').trim();
}

function parse(listing: string): DumpLine[] {
  const lines: DumpLine[] = [];
  for (const l of listing.split('\n')) {
    const m = /^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*(?:\t(.*))?$/.exec(l);
    if (!m) continue;
    const bytes = m[2].trim().split(/\s+/).map((b) => parseInt(b, 16));
    lines.push({ addr: parseInt(m[1], 16), bytes, text: normalise(m[3] ?? '') });
  }
  return lines;
}

function withTemp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'trampoline-objdump-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `objdump -D -b binary` of a blob in the given mode. */
export function objdumpBinary(blob: Uint8Array, mode: Mode): DumpLine[] {
  return withTemp((dir) => {
    const file = join(dir, 'blob.bin');
    writeFileSync(file, blob);
    const out = execFileSync('objdump', ['-D', '-w', '-b', 'binary', '-m', MACHINE[mode], file],
      { encoding: 'utf8', maxBuffer: 1 << 30 });
    return parse(out);
  });
}

/** Assembles GNU as source (with its .codeNN directive) and disassembles the .text section. */
export function assembleAndDump(source: string, mode: Mode): DumpLine[] {
  return withTemp((dir) => {
    const src = join(dir, 'in.s');
    const obj = join(dir, 'in.o');
    writeFileSync(src, source);
    try {
      execFileSync('as', [mode === 64 ? '--64' : '--32', '-o', obj, src], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      throw new Error(`as failed: ${String((e as { stderr?: Buffer }).stderr ?? e)}`, { cause: e });
    }
    const args = ['-d', '-w', ...(mode === 16 ? ['-m', 'i8086'] : []), obj];
    return parse(execFileSync('objdump', args, { encoding: 'utf8', maxBuffer: 1 << 30 }));
  });
}

// Every feature: objdump decodes every instruction whatever CPUID says.
const features = new CpuFeatures(FEATURE_BITS.map((f) => f.name));
const SIZE: Record<Mode, CodeSize> = { 16: CodeSize.Bits16, 32: CodeSize.Bits32, 64: CodeSize.Bits64 };

/** Decodes the instruction at `offset` of `blob` (as if loaded at address 0) in `mode`. */
export function decodeAt(blob: ArrayLike<number>, offset: number, mode: Mode): Insn {
  const i = new Insn(() => undefined, FORMS[0]);
  decode({ byte: (k) => blob[offset + k] ?? 0 }, SIZE[mode], offset, 0, features, i);
  return i;
}

/** Our AT&T text for the instruction at `offset`. */
export function ourText(blob: Uint8Array, offset: number, mode: Mode, i: Insn = decodeAt(blob, offset, mode)): string {
  return formatAtt(i, i.form, { mode, bytes: blob.subarray(offset, offset + i.len) });
}

/** Prefix words objdump prints before (or instead of) a mnemonic. */
const PREFIX_WORD = /^(rex(\.[wrxb]+)?|rex\.?W?R?X?B?|data16|data32|addr16|addr32|cs|ds|es|ss|fs|gs|lock|rep|repz|repnz|repe|repne|bnd|notrack|xacquire|xrelease)$/i;

/** Splits objdump text into its prefix words and the rest (mnemonic and operands). */
export function splitPrefixes(text: string): { prefixes: string[]; mnemonic: string; rest: string } {
  const words = text.split(' ');
  let k = 0;
  while (k < words.length && PREFIX_WORD.test(words[k])) k++;
  return { prefixes: words.slice(0, k), mnemonic: words[k] ?? '', rest: words.slice(k + 1).join(' ') };
}

/**
 * objdump prints a prefix it considers ignored (REX before another prefix, a repeated segment prefix)
 * as a line of its own; the processor takes it as part of the next instruction. Merges such lines.
 */
export function mergePrefixLines(lines: DumpLine[]): DumpLine[] {
  const out: DumpLine[] = [];
  let pending: DumpLine | null = null;
  for (const l of lines) {
    const cur: DumpLine = pending ? { addr: pending.addr, bytes: [...pending.bytes, ...l.bytes], text: joinText(pending.text, l.text) } : l;
    pending = null;
    if (cur.text !== '' && splitPrefixes(cur.text).mnemonic === '' && cur.bytes.length < 15) pending = cur;
    else out.push(cur);
  }
  if (pending) out.push(pending);
  return out;
}

function joinText(a: string, b: string): string {
  return a && b ? `${a} ${b}` : a || b;
}
