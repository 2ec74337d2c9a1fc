// analysisInsn.ts: what the editor shows about instructions, read from the instruction table the
// assembler encodes from: the AT&T mnemonics valid in a code size (for completion), and for the bytes
// the assembler produced, the table row they decode to (SDM instruction text, flags from f=/u=/r=).
import { Form, GPR16, GPR32, GPR64, GPR8, SREG_NAMES } from '../emulator/isa/form';
import { FORMS } from '../emulator/isa/table';
import { decodeOne } from './disasm/index';
import { candidates, isEnvForm, x87Suffixes } from './mnemonics';
import { is64Only, register } from './registers';
import { Mode, validInMode } from './select';

export interface InsnInfo {
  /** The row's instruction column, in the SDM's notation: `MOV r/m64, r64`. */
  instruction: string;
  /** The row's form name: mov_rm64_r64. */
  form: string;
  /** Flags given a defined value, read, and left undefined (f= minus u=, r=, u=), as SDM flag names. */
  written: string[];
  read: string[];
  undefined: string[];
}

// RFLAGS bit positions (SDM Vol.1 §3.4.3), in the order the SDM's flag tables list them.
const FLAG_NAMES: [string, number][] = [['OF', 11], ['DF', 10], ['IF', 9], ['TF', 8], ['SF', 7], ['ZF', 6], ['AF', 4], ['PF', 2], ['CF', 0]];

function flagList(bits: number): string[] {
  return FLAG_NAMES.filter(([, b]) => (bits >> b) & 1).map(([n]) => n);
}

export function formInfo(f: Form): InsnInfo {
  const cols = f.row.split('|');
  return { instruction: (cols[2] ?? '').trim(), form: f.name, written: flagList(f.flagsWritten & ~f.flagsUndefined), read: flagList(f.flagsRead), undefined: flagList(f.flagsUndefined) };
}

/** The row the bytes at `offset` decode to in `mode`, or null for bytes that are no instruction. */
export function decodeInfo(bytes: Uint8Array, offset: number, address: number, mode: Mode): InsnInfo | null {
  try {
    const i = decodeOne(bytes, offset, address, mode);
    return i.form.id >= 0 ? formInfo(i.form) : null;
  } catch (_) {
    return null;
  }
}

/** The table rows an AT&T mnemonic may stand for in `mode` (when no bytes were produced for it). */
export function mnemonicForms(mnemonic: string, mode: Mode): InsnInfo[] {
  const seen = new Set<string>();
  const out: InsnInfo[] = [];
  for (const c of candidates(mnemonic.toLowerCase())) {
    if (!validInMode(c.form, mode)) continue;
    const info = formInfo(c.form);
    if (seen.has(info.instruction)) continue;
    seen.add(info.instruction);
    out.push(info);
  }
  return out;
}

// Spellings of condition codes GAS accepts (SDM Vol.1 Appendix B, Table B-1).
const CC_SPELLINGS = ['o', 'no', 'b', 'c', 'nae', 'ae', 'nb', 'nc', 'e', 'z', 'ne', 'nz', 'be', 'na', 'a', 'nbe', 's', 'ns', 'p', 'pe', 'np',
  'po', 'l', 'nge', 'ge', 'nl', 'le', 'ng', 'g', 'nle'];
const SUFFIXES = ['', 'b', 'w', 'l', 'q'];
const PREFIXES = ['lock', 'rep', 'repe', 'repz', 'repne', 'repnz', 'data16', 'data32', 'addr16', 'addr32', 'rex64'];

/**
 * Spellings the assembler's index takes (Intel names of the rows, GAS names cut of their suffix) that
 * GNU as 2.40 rejects ("no such instruction", or 64-bit only): completion does not offer them
 * (test/server/tables.test.ts runs GNU as over every name offered).
 */
const NOT_GAS = /^(cbt|cwt|clt|lms|sms|ver|insd|outsd|lodsd|stosd|scasd|iretd|popad|popfd|pushad|pushfd)$/;
const NOT_GAS_LEGACY = /^(sysexitl|sysexitq|sysretq)$/;

const byMode = new Map<Mode, string[]>();

/**
 * Every mnemonic the assembler accepts in `mode`, with the size suffixes that are valid there (no movq
 * in .code32). The spellings are generated from the table and kept only when the assembler's own
 * mnemonic index (mnemonics.ts) has a form for them that is valid in the mode.
 */
export function mnemonicNames(mode: Mode): string[] {
  const cached = byMode.get(mode);
  if (cached) return cached;
  const names = new Set<string>();
  const tryName = (n: string): void => {
    if (names.has(n) || NOT_GAS.test(n) || (mode !== 64 && NOT_GAS_LEGACY.test(n))) return;
    if (candidates(n).some((c) => validInMode(c.form, mode))) names.add(n);
  };
  for (const f of FORMS) {
    const bases = f.plusCC && f.mnemonic.endsWith('cc') ? CC_SPELLINGS.map((cc) => f.mnemonic.slice(0, -2) + cc) : [f.mnemonic];
    if (f.mnemonic === 'shl') bases.push('sal');
    if (f.gas) bases.push(f.gas, f.gas.slice(0, -1));
    // x87: memory-format suffixes (flds, fildll), the waiting forms (finit), the image sizes (fnstenvs).
    for (const sfx of x87Suffixes(f)) bases.push(f.mnemonic + sfx);
    if (f.wait) bases.push(f.wait, f.wait + 's');
    if (isEnvForm(f)) bases.push(f.mnemonic + 's');
    for (const b of bases) for (const s of SUFFIXES) tryName(b + s);
  }
  const out = [...names, ...PREFIXES].sort();
  byMode.set(mode, out);
  return out;
}

/** Directives the assembler implements (directives.ts, reader.ts), for completion after `.`. */
export const DIRECTIVES: readonly string[] = [
  '.align', '.ascii', '.asciz', '.balign', '.balignl', '.balignw', '.bss', '.byte', '.code16', '.code32', '.code64', '.data',
  '.else', '.elseif', '.end', '.endif', '.endm', '.endr', '.equ', '.equiv', '.err', '.error', '.exitm', '.fill', '.global', '.globl',
  '.hidden', '.hword', '.if', '.ifb', '.ifc', '.ifdef', '.ifeq', '.ifeqs', '.ifge', '.ifgt', '.ifle', '.iflt', '.ifnb', '.ifnc',
  '.ifndef', '.ifne', '.ifnes', '.ifnotdef', '.incbin', '.include', '.int', '.irp', '.irpc', '.local', '.long', '.macro', '.org',
  '.p2align', '.p2alignl', '.p2alignw', '.print', '.quad', '.rept', '.section', '.set', '.short', '.size', '.skip', '.space',
  '.string', '.text', '.type', '.value', '.warning', '.weak', '.word', '.zero', '.2byte', '.4byte', '.8byte',
];

/** Register names (without %) the assembler accepts in `mode`: no %rax, %r8 or %sil outside 64-bit code. */
export function registerNames(mode: Mode): string[] {
  const names = [...GPR8, 'spl', 'bpl', 'sil', 'dil', ...GPR16, ...GPR32, ...GPR64, ...SREG_NAMES, 'rip', 'eip'];
  for (let k = 8; k < 16; k++) names.push(`r${k}`, `r${k}d`, `r${k}w`, `r${k}b`, `r${k}l`);
  for (let k = 0; k < 16; k++) names.push(`cr${k}`, `dr${k}`, `db${k}`);
  return names.filter((n) => {
    const r = register(n);
    return r !== undefined && (mode === 64 || !is64Only(r));
  });
}
