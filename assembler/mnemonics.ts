// mnemonics.ts: the AT&T mnemonics GNU as accepts for each form of the instruction table (read in
// reverse: the table is the only opcode list). A name maps to candidate forms and, when the name
// carries a size suffix (GAS manual §9.16.3.1: b, w, l, q), the operand size it asks for.
import { CC_NAMES, Form, Loc } from '../emulator/isa/form';
import { FORMS } from '../emulator/isa/table';

export interface Candidate {
  form: Form;
  /** Operand size the mnemonic's suffix names (8/16/32/64), or 0 when it names none. */
  suffixSize: number;
  /**
   * The form has no operand size of its own but the suffix gives it one through the 66/REX.W prefixes
   * (lgdtl in 16-bit code is 66 0F 01 /2, sysretq is REX.W 0F 07).
   */
  sizesForm?: boolean;
  /** The name is GAS's waiting form (finit): WAIT (9B) is emitted before the form's bytes. */
  wait?: boolean;
  /**
   * The name holds in one syntax only: with ST(i) as the destination GAS swaps the AT&T names of FSUB/FSUBR
   * and FDIV/FDIVR (`fsub %st,%st(1)` is DC E1, FSUBR), while Intel syntax keeps the SDM's (`fsub st(1),st` is DC E9).
   */
  syntax?: 'att' | 'intel';
}

const SUFFIX: Record<number, string> = { 8: 'b', 16: 'w', 32: 'l', 64: 'q' };

// GAS's alternative condition names (SDM Vol.1 Appendix B, Table B-1), by SDM condition number.
const CC_ALIASES: string[][] = [
  ['o'], ['no'], ['b', 'c', 'nae'], ['ae', 'nb', 'nc'], ['e', 'z'], ['ne', 'nz'], ['be', 'na'], ['a', 'nbe'],
  ['s'], ['ns'], ['p', 'pe'], ['np', 'po'], ['l', 'nge'], ['ge', 'nl'], ['le', 'ng'], ['g', 'nle'],
];

/**
 * Rows that only exist so the decoder knows an alternative encoding the processor also accepts
 * (82 /n, F6 /1, D0 /6, REX.W on port I/O): GNU as never produces them.
 */
export function isAliasRow(f: Form): boolean {
  return /_(w|82|[0-9a-f]{2}_[0-7])$/.test(f.name);
}

const INDEX = new Map<string, Candidate[]>();

/**
 * Spellings GNU as (2.40) does not accept although the table could give them: it has no 16-bit BSWAP
 * or MOVZX/MOVSX word-to-word templates, no REX.W LSS/LFS/LGS or far indirect ljmpq/lcallq, no
 * SALC, and takes no suffix on CMPXCHG8B/16B.
 */
function gasRejects(name: string, form: Form): boolean {
  if (/^(movzww|movsww|salc|ljmpq|lcallq)$/.test(name)) return true;
  if (form.mnemonic === 'bswap' && form.opSize === 16) return true;
  if (/^(lss|lfs|lgs)$/.test(form.mnemonic) && form.opSize === 64) return true;
  if (/^cmpxchg(8|16)b./.test(name)) return true;
  return false;
}

function add(name: string, form: Form, suffixSize: number, sizesForm = false, wait = false, syntax?: 'att' | 'intel'): void {
  if (gasRejects(name, form)) return;
  let list = INDEX.get(name);
  if (!list) INDEX.set(name, (list = []));
  if (list.some((c) => c.form === form && c.suffixSize === suffixSize && !c.wait === !wait && c.syntax === syntax)) return;
  const c: Candidate = { form, suffixSize };
  if (sizesForm) c.sizesForm = true;
  if (wait) c.wait = true;
  if (syntax) c.syntax = syntax;
  list.push(c);
}

/**
 * GAS's suffixes for x87 memory formats (GAS manual §9.16.8 "Floating Point"): s, l, t for single, double
 * and extended reals; s, l, ll (or q) for word, short and long integers. objdump prints the first.
 */
export function x87Suffixes(f: Form): string[] {
  const o = f.operands.find((x) => x.x87 !== '');
  if (!o) return [];
  if (o.x87 === 'fp') return [({ 32: 's', 64: 'l', 80: 't' } as Record<number, string>)[o.size]];
  return ({ 16: ['s'], 32: ['l'], 64: ['ll', 'q'] } as Record<number, string[]>)[o.size];
}

/**
 * FNSTENV, FLDENV, FNSAVE, FRSTOR and their waiting forms take s (16-bit image) or l (32-bit image) in GAS
 * (i386-opc.tbl): the suffix sets the operand size, hence the image layout (SDM Vol.1 §8.1.10).
 */
export function isEnvForm(f: Form): boolean {
  return /^(fnstenv|fldenv|fnsave|frstor)$/.test(f.mnemonic);
}

for (const f of FORMS) {
  if (isAliasRow(f)) continue;
  const bases = f.plusCC && f.mnemonic.endsWith('cc')
    ? CC_ALIASES.flatMap((names) => names.map((n) => f.mnemonic.slice(0, -2) + n))
    : [f.mnemonic];
  // SAL is SHL (SDM Vol.2B SAL/SAR/SHL/SHR): GAS encodes sal with /4.
  if (f.mnemonic === 'shl') bases.push('sal');
  // SSE forms take no size suffix (GAS: movq is already a name); MOVQ with a general register is also movd.
  const xmm = f.operands.some((o) => o.loc === Loc.Xmm || o.loc === Loc.XmmRm);
  if (xmm && f.mnemonic === 'movq' && f.operands.some((o) => o.loc === Loc.Rm)) bases.push('movd');
  // MOV to/from CRn/DRn ignores the operand size (`anysize` rows): GAS still takes the suffix its general
  // register implies (movl %cr0,%eax outside 64-bit mode, movq %cr3,%rax in it).
  const crSize = f.opSize === 0 && f.operands.some((o) => o.loc === Loc.Cr || o.loc === Loc.Dr)
    ? f.operands.find((o) => o.loc === Loc.Reg || o.loc === Loc.RmReg)?.size ?? 0 : 0;
  // x87 rows whose AT&T name differs (gas=fsubr on FSUB ST(i), ST(0)): the Intel name is for Intel syntax only.
  const x87Swap = !!f.gas && f.operands.some((o) => o.loc === Loc.St);
  for (const base of bases) {
    add(base, f, 0, false, false, x87Swap ? 'intel' : undefined);
    if (!f.gas && f.opSize >= 8 && !xmm && !/^(movs|stos|lods|scas|cmps|ins|outs)[bwdq]$/.test(base)) add(base + SUFFIX[f.opSize], f, f.opSize);
    if (crSize) add(base + SUFFIX[crSize], f, crSize);
  }
  if (f.gas) {
    add(f.gas, f, /[bwlq]$/.test(f.gas) && f.opSize >= 16 ? f.opSize : 0, false, false, x87Swap ? 'att' : undefined);
    // ljmpl → ljmp, iretq → iret, movzbl → movzb: GAS takes the name without its suffix too.
    if (/[bwlq]$/.test(f.gas) && !x87Swap) add(f.gas.slice(0, -1), f, 0); // not fsub → fsu
    // movabs is MOV with a 64-bit immediate or address: GAS also takes movq/movabsq for it.
    if (f.gas === 'movabs' && f.opSize >= 8) { add(f.mnemonic + SUFFIX[f.opSize], f, f.opSize); add('movabs' + SUFFIX[f.opSize], f, f.opSize); }
  }
}
// x87: the memory format as a suffix (flds, fildll), the waiting forms (finit = 9B DB E3), the image size.
for (const f of FORMS) {
  for (const sfx of x87Suffixes(f)) add(f.mnemonic + sfx, f, 0);
  if (f.wait) add(f.wait, f, 0, false, true);
  if (isEnvForm(f)) {
    for (const [sfx, size] of [['s', 16], ['l', 32]] as const) {
      add(f.mnemonic + sfx, f, size, true);
      if (f.wait) add(f.wait + sfx, f, size, true, true);
    }
  }
}
// Unsized system forms that GAS (i386-opc.tbl) still lets a suffix size: the descriptor-table loads and
// stores take w/l outside 64-bit mode (an operand-size prefix when the suffix is not the code size's)
// and q in it (no REX.W); SYSRET/SYSEXIT take l and q (REX.W: return to 64-bit code, SDM Vol.2B
// SYSRET); the word-only LDT/TR/MSW/VERx forms take w.
for (const f of FORMS) {
  if (f.opSize !== 0 || f.vex) continue;
  if (/^(lgdt|lidt|sgdt|sidt)$/.test(f.mnemonic)) {
    if (f.i64) { add(f.mnemonic + 'w', f, 16, true); add(f.mnemonic + 'l', f, 32, true); } else add(f.mnemonic + 'q', f, 64);
  } else if (/^(sysret|sysexit)$/.test(f.mnemonic)) {
    add(f.mnemonic + 'l', f, 32, true); add(f.mnemonic + 'q', f, 64, true);
  } else if (/^(lmsw|smsw|lldt|sldt|ltr|str|verr|verw)$/.test(f.mnemonic)) {
    add(f.mnemonic + 'w', f, 16);
  }
}

// Condition-code rows carry cc per row only after expansion; remember which cc each name means.
const CC_OF = new Map<string, number>();
CC_ALIASES.forEach((names, cc) => names.forEach((n) => CC_OF.set(n, cc)));

/** Candidate forms for an AT&T mnemonic (lower case). */
export function candidates(mnemonic: string): Candidate[] {
  return INDEX.get(mnemonic) ?? [];
}

/** The condition code a Jcc/SETcc/CMOVcc mnemonic names, given its form's stem (j, set, cmov). */
export function conditionOf(mnemonic: string, form: Form): number {
  const stem = form.mnemonic.slice(0, -2);
  let name = mnemonic.slice(stem.length);
  if (!CC_OF.has(name)) name = name.slice(0, -1); // a size suffix: cmovel, setzb
  return CC_OF.get(name) ?? 0;
}

export { CC_NAMES };
