// binutilsSuite.ts: fetches binutils' own x86 test suite (gas/testsuite/gas/i386, from Debian's
// binutils-source package) and runs its `.s`/`.d` pairs the way binutils' run_dump_test does: assemble the
// source, dump it, and compare every dump line with the .d's line taken as a regular expression.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../../assembler/index';
import { Bits, DisasmSymbol, disassemble, objdumpLines } from '../../assembler/disasm/index';

/** Where the suite is unpacked: $TRAMPOLINE_BINUTILS_SRC or a folder in the temp dir (never the repo). */
export function cacheDir(): string {
  return process.env.TRAMPOLINE_BINUTILS_SRC ?? join(tmpdir(), 'trampoline-binutils-source');
}

const SUITE = 'gas/testsuite/gas/i386';

function has(tool: string, args: string[]): boolean {
  try {
    execFileSync(tool, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The folder holding the i386 suite, downloading and unpacking it on first use: `apt-get download
 * binutils-source`, `dpkg-deb -x`, then only gas/testsuite/gas/i386 out of the source tarball.
 * Returns { dir } or { skip: reason }.
 */
export function suiteDir(): { dir: string } | { skip: string } {
  const cache = cacheDir();
  const find = (): string | undefined => {
    if (!existsSync(cache)) return undefined;
    for (const e of readdirSync(cache)) {
      const d = join(cache, e, SUITE);
      if (e.startsWith('binutils-') && existsSync(join(d, 'x86-64-stack.d'))) return d;
    }
    return undefined;
  };
  const found = find();
  if (found) return { dir: found };
  mkdirSync(cache, { recursive: true });
  if (!has('dpkg-deb', ['--version'])) return { skip: 'dpkg-deb is not installed (needed to unpack binutils-source)' };
  if (!has('tar', ['--version'])) return { skip: 'tar is not installed' };
  let deb = readdirSync(cache).find((f) => /^binutils-source_.*\.deb$/.test(f));
  if (!deb) {
    try {
      execFileSync('apt-get', ['download', 'binutils-source'], { cwd: cache, stdio: 'pipe' });
    } catch (e) {
      return { skip: `apt-get download binutils-source failed: ${String((e as { stderr?: Buffer }).stderr ?? e).trim().slice(0, 300)}` };
    }
    deb = readdirSync(cache).find((f) => /^binutils-source_.*\.deb$/.test(f));
    if (!deb) return { skip: 'apt-get download binutils-source produced no .deb' };
  }
  const unpacked = join(cache, 'deb');
  execFileSync('dpkg-deb', ['-x', join(cache, deb), unpacked]);
  const srcDir = join(unpacked, 'usr', 'src', 'binutils');
  const tarball = existsSync(srcDir) ? readdirSync(srcDir).find((f) => /^binutils-.*\.tar\.(xz|gz|bz2)$/.test(f)) : undefined;
  if (!tarball) return { skip: `no binutils source tarball in ${srcDir}` };
  const top = tarball.replace(/\.tar\..*$/, '');
  execFileSync('tar', ['-xf', join(srcDir, tarball), '-C', cache, '--wildcards', `${top}/${SUITE}/*`]);
  return find() ? { dir: find()! } : { skip: `${tarball} has no ${SUITE}` };
}

/** A parsed .d file: its #key: value options and its lines (the options included, as regexp_diff sees them). */
export interface DumpSpec {
  name: string;
  options: Map<string, string>;
  lines: string[];
}

export function readDump(dir: string, name: string): DumpSpec {
  const lines = readFileSync(join(dir, `${name}.d`), 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const options = new Map<string, string>();
  for (const l of lines) {
    const m = /^#\s*([\w-]+):\s*(.*)$/.exec(l);
    if (m) options.set(m[1], options.has(m[1]) ? `${options.get(m[1])} ${m[2]}` : m[2].trim());
    else if (!l.startsWith('#')) break;
  }
  return { name, options, lines };
}

/** Tcl ARE → JavaScript: the dumps use the common subset; Tcl's \m \M \y word anchors become \b. */
function tclRegex(re: string): RegExp {
  return new RegExp(`^(?:${re.replace(/\\[mMy]/g, '\\b')})$`);
}

/**
 * binutils-common.exp's regexp_diff: blank output lines are ignored, `#` lines of the .d are comments
 * except `#...` (skip output lines up to the one matching the next pattern) and `#pass` (stop: success).
 * Returns the mismatches (empty: the dump passes) and how many lines were compared.
 */
export function regexpDiff(output: string[], expected: string[]): { failures: string[]; compared: number } {
  const a = output.filter((l) => l.length > 0);
  const failures: string[] = [];
  let ia = 0, ib = 0, compared = 0, pass = false;
  for (;;) {
    let lineB: string | undefined;
    let skipTo = false;
    while (ib < expected.length) {
      const l = expected[ib];
      if (l === '#pass') { pass = true; break; }
      if (l === '#...') { skipTo = true; ib++; continue; }
      if (l.length === 0 || l.startsWith('#')) { ib++; continue; }
      lineB = l;
      break;
    }
    if (pass) break;
    if (lineB === undefined) {
      if (skipTo) pass = true; // a trailing #... accepts the rest
      break;
    }
    const negated = lineB.startsWith('!');
    const re = tclRegex(negated ? lineB.slice(1) : lineB);
    if (skipTo) {
      while (ia < a.length && re.test(a[ia]) === negated) ia++;
    }
    if (ia >= a.length) {
      failures.push(`output ended; expected /${lineB}/`);
      break;
    }
    compared++;
    if (re.test(a[ia]) === negated) failures.push(`line "${a[ia]}" does not match /${lineB}/`);
    ia++;
    ib++;
  }
  if (!pass && ia < a.length) failures.push(`extra output: "${a[ia]}"`);
  return { failures, compared };
}

export interface PairResult {
  name: string;
  /** null when compared; otherwise why the pair is not comparable. */
  notComparable: string | null;
  /** 'assembled' (our assembler + disassembler) or 'disasm' (bytes taken from the .d: source in Intel syntax). */
  how: 'assembled' | 'disasm';
  failures: string[];
  /** Instruction lines compared. */
  lines: number;
}

interface DumpOpts { bits: Bits; intel: boolean; wide: boolean }

/** The objdump options we reproduce: -d, -w, -r (our objects carry no relocations), -M intel, -M i8086 / -m i8086. */
function objdumpOptions(spec: DumpSpec, elfBits: 32 | 64): DumpOpts | string {
  const raw = spec.options.get('objdump');
  if (raw === undefined) return 'no #objdump option (not a disassembly test)';
  const words = raw.split(/\s+/).filter(Boolean);
  let intel = false, wide = false, disasm = false;
  let bits: Bits = elfBits;
  for (let k = 0; k < words.length; k++) {
    const w = words[k];
    const mArg = /^-([mM])(.*)$/.exec(w);
    if (mArg && !/^-[dwr]+/.test(w)) {
      const v = mArg[2] || words[++k] || '';
      for (const o of v.split(',')) {
        if (o === 'intel') intel = true;
        else if (o === 'i8086') bits = 16;
        else if (o === 'i386' && mArg[1] === 'm') bits = 32;
        else return `objdump option -${mArg[1]}${o} is not reproduced`;
      }
      continue;
    }
    const flags = /^-([dwr]+)(M(.+))?$/.exec(w);
    if (!flags) return `objdump option ${w} is not reproduced`;
    if (flags[1].includes('d')) disasm = true;
    if (flags[1].includes('w')) wide = true;
    if (flags[3]) {
      for (const o of flags[3].split(',')) {
        if (o === 'intel') intel = true;
        else if (o === 'i8086') bits = 16;
        else return `objdump option -M${o} is not reproduced`;
      }
    }
  }
  if (!disasm) return 'not a -d dump';
  return { bits, intel, wide };
}

/** Literal bytes and symbols recovered from the .d lines, for sources our assembler cannot read. */
function bytesFromDump(spec: DumpSpec): { bytes: Uint8Array; symbols: DisasmSymbol[] } | string {
  const bytes: number[] = [];
  const symbols: DisasmSymbol[] = [];
  let inBody = false;
  for (const l of spec.lines) {
    if (/^Disassembly of section/.test(l)) { inBody = l.includes('.text'); continue; }
    if (!inBody) continue;
    if (l === '#pass') break;
    if (l === '#...') return '#... inside the dump: the bytes are not all listed';
    if (l.startsWith('#') || l === '') continue;
    const sym = /^0\+([0-9a-f]*) <(.+)>:$/.exec(l) ?? /^([0-9a-f]+) <(.+)>:$/.exec(l);
    if (sym) { symbols.push({ name: sym[2].replace(/\\/g, ''), address: parseInt(sym[1] || '0', 16) }); continue; }
    const m = /^(?:\[[^\]]*\][*+]|\s)*(?:[0-9a-f]+|\[[a-f0-9-]+\]\+):(?:\[[^\]]*\][*+]|[ \t])*((?:[0-9a-f]{2} )*[0-9a-f]{2})(?: *(?:\t|\[[^\]]*\][*+]| \*)|[ \t]*$)/.exec(l);
    if (!m) return `line "${l}" has no literal bytes`;
    bytes.push(...m[1].split(' ').map((b) => parseInt(b, 16)));
  }
  return { bytes: Uint8Array.from(bytes), symbols };
}

const exp64 = new Map<string, Set<string>>();

/** The dump tests i386.exp runs with --64 (those after it switches ASFLAGS to --64). */
function sixtyFour(dir: string): Set<string> {
  let set = exp64.get(dir);
  if (set) return set;
  set = new Set();
  const exp = readFileSync(join(dir, 'i386.exp'), 'utf8');
  const at = exp.search(/set ASFLAGS "\$ASFLAGS --64/);
  if (at >= 0) for (const m of exp.slice(at).matchAll(/run_dump_test "([^"]+)"/g)) set.add(m[1]);
  exp64.set(dir, set);
  return set;
}

/** Runs one .d file. */
export function runPair(dir: string, name: string): PairResult {
  const spec = readDump(dir, name);
  const r: PairResult = { name, notComparable: null, how: 'assembled', failures: [], lines: 0 };
  const asOpts = (spec.options.get('as') ?? '').split(/\s+/).filter(Boolean);
  // i386.exp runs everything after `set ASFLAGS "$ASFLAGS --64 --defsym x86_64=1 …"` as a 64-bit object.
  const in64 = /^x86[-_]64/.test(name) || sixtyFour(dir).has(name);
  let elfBits: 32 | 64 = in64 ? 64 : 32;
  for (const o of asOpts) {
    if (o === '--32') elfBits = 32;
    else if (o === '--64') elfBits = 64;
    else if (o !== '-J') { r.notComparable = `as option ${o} is not reproduced`; return r; }
  }
  for (const k of spec.options.keys()) {
    if (!['objdump', 'as', 'source', 'name', 'warning_output', 'warning'].includes(k)) {
      r.notComparable = `#${k} option is not reproduced`;
      return r;
    }
  }
  const d = objdumpOptions(spec, elfBits);
  if (typeof d === 'string') { r.notComparable = d; return r; }
  const sourceName = spec.options.get('source') ?? `${name}.s`;
  const source = readFileSync(join(dir, sourceName), 'utf8');
  let bytes: Uint8Array;
  let symbols: DisasmSymbol[];
  const intelSource = /^\s*\.intel_syntax/m.test(source);
  if (!intelSource) {
    const res = assemble(`${elfBits === 32 ? '.code32\n' : ''}${in64 ? 'x86_64 = 1\n' : ''}${source}`, { file: sourceName, readFile: (p) => {
      try { return readFileSync(join(dir, p), 'utf8'); } catch { return null; }
    } });
    if (res.errors.length) {
      r.notComparable = `our assembler rejects ${sourceName}: ${res.errors[0].message}`;
      return r;
    }
    const text = res.sections.find((s) => s.name === '.text');
    if (!text) { r.notComparable = 'no .text section'; return r; }
    bytes = text.data;
    symbols = res.symbols.filter((s) => s.section === '.text' && !s.name.startsWith('.L') && s.type !== 'section')
      .map((s) => ({ name: s.name, address: s.value - text.address }));
    symbols.push({ name: '.text', address: 0 });
  } else {
    // Intel-syntax source: our assembler reads AT&T only, so the disassembler is checked on the .d's bytes.
    r.how = 'disasm';
    const b = bytesFromDump(spec);
    if (typeof b === 'string') { r.notComparable = `Intel-syntax source, and ${b}`; return r; }
    bytes = b.bytes;
    symbols = b.symbols.length ? b.symbols : [{ name: '.text', address: 0 }];
  }
  const lines = disassemble(bytes, { bits: d.bits, syntax: d.intel ? 'intel' : 'att', symbols, skipZeroes: true });
  const out = [
    `${name}.o:     file format ${elfBits === 64 ? 'elf64-x86-64' : 'elf32-i386'}`,
    '',
    'Disassembly of section .text:',
    ...objdumpLines(lines, { wide: d.wide, symbols, addrDigits: elfBits === 64 ? 16 : 8 }),
  ];
  const diff = regexpDiff(out, spec.lines);
  r.failures = diff.failures;
  r.lines = diff.compared;
  return r;
}
