// select.ts: chooses the table form for a mnemonic and its AT&T operands the way GNU as does
// (first matching template in i386-opc.tbl order, with the shortest-encoding rules listed in rank()).
import { Form, Loc, Operand } from '../emulator/isa/form';
import { AsmError } from './errors';
import { Expr } from './expr';
import { Candidate, candidates } from './mnemonics';
import { AttOperand } from './operands';
import { is64Only, register } from './registers';

export type Mode = 16 | 32 | 64;

export interface SelectContext {
  mode: Mode;
  /** The expression's value if it is an absolute constant now (GAS decides sizes at parse time). */
  constant(e: Expr): bigint | null;
  /** Address size forced by an addr16/addr32 prefix, or 0. */
  addrPrefix: number;
  /** The mnemonic is movabs: in 64-bit mode only it takes a 64-bit moffs (GAS manual §9.16.3.1). */
  movabs?: boolean;
  /** Intel syntax: an unsized memory operand with several possible sizes is an error, not a default. */
  intel?: boolean;
  /** `{load}`/`{store}`: of two register-to-register encodings, the one with the destination in ModRM.reg/rm. */
  direction?: 'load' | 'store';
}

export interface Selected {
  /** A warning to report (GAS: "no instruction mnemonic suffix given…; using default"). */
  warning?: string;
  form: Form;
  /** Operands in the form's (Intel) order; null where the form's operand is implicit (shift by 1). */
  ops: (AttOperand | null)[];
  /** Operand size a suffix gives a form that has none (mnemonics.ts sizesForm), else 0. */
  suffixSize?: number;
  /** GAS's waiting form (finit): WAIT (9B) goes before the instruction. */
  wait?: boolean;
}

const SUFFIX_LETTER: Record<number, string> = { 8: 'b', 16: 'w', 32: 'l', 64: 'q' };

const STACK = new Set(['push', 'pop', 'call', 'jmp', 'ret', 'retf', 'iret', 'iretd', 'iretq', 'enter', 'leave',
  'pushf', 'pushfd', 'pushfq', 'popf', 'popfd', 'popfq', 'pusha', 'pushad', 'popa', 'popad']);

/** Whether the form exists in this mode (SDM: i64 "invalid in 64-bit mode", o64/REX.W "64-bit mode only"). */
export function validInMode(f: Form, mode: Mode): boolean {
  if (mode === 64) return !f.i64 && f.addrSize !== 16;
  return !f.o64 && f.opSize !== 64 && f.addrSize !== 64 && !(f.vex && f.vex.w === 1);
}

/** Default operand size of a stack/branch-like form when nothing names one. */
function defaultSize(f: Form, mode: Mode): number {
  if (mode === 64) return f.d64 || f.f64 ? 64 : 32;
  return mode;
}

function isStackLike(f: Form): boolean {
  return STACK.has(f.mnemonic) || f.d64 || f.f64 || f.operands.some((o) => o.loc === Loc.MemFar || o.loc === Loc.Sreg);
}

/** Effective address size of a memory operand (from its registers), 0 when it has none. */
export function memAddrSize(o: AttOperand): number {
  if (o.t !== 'mem') return 0;
  const r = o.base ?? o.index;
  return r ? r.size : 0;
}

function immFieldSize(f: Form, k: number): number {
  const t = f.imms.filter((x) => x !== 'moffs')[k];
  return t === 'ib' || t === 'cb' ? 8 : t === 'iw' || t === 'cw' ? 16 : t === 'io' ? 64 : 32;
}

/** GAS truncates an immediate to the operand size and sign-extends it before choosing imm8 (tc-i386.c optimize_imm). */
function normalise(v: bigint, size: number): bigint {
  return size === 16 || size === 32 ? BigInt.asIntN(size, v) : v;
}

const fits = (v: bigint, bits: number) => v >= -(1n << BigInt(bits - 1)) && v < (1n << BigInt(bits - 1));

/** Whether an immediate operand fits the form's immediate field k. */
function immFits(f: Form, k: number, e: Expr, ctx: SelectContext): boolean {
  const field = immFieldSize(f, k);
  const v = ctx.constant(e);
  const op = f.opSize;
  if (isSignExtendedImm(f, k)) {
    // Sign-extended immediate (83 /n ib, 6B, 6A; REX.W 81/C7 id): value must fit once extended.
    if (v === null) return field === 32; // a symbol: imm32s with a relocation, never imm8
    return fits(normalise(v, op), field);
  }
  return true; // full-size field: out-of-range values are truncated with a warning (encode.ts)
}

/** Whether immediate k of the form is sign-extended to the operand size (83 /n ib, 6B, 6A, REX.W id). */
export function isSignExtendedImm(f: Form, k: number): boolean {
  return immFieldSize(f, k) < f.opSize && f.opSize > 8 && !isOwnSized(f) && f.operands.filter((o) => o.loc === Loc.Imm).length === 1;
}

/** Immediates whose size is their own (port numbers, shift counts, ENTER, RET imm16, INT n). */
function isOwnSized(f: Form): boolean {
  return /^(in|out|int|enter|ret|retf|bt|bts|btr|btc|rol|ror|rcl|rcr|shl|shr|sar|shld|shrd|aam|aad|rorx)$/.test(f.mnemonic);
}

/** GAS's preference among forms that all fit (lower first): its template order, i386-opc.tbl. */
function rank(f: Form): number {
  if (f.operands.some((o) => o.loc === Loc.Moffs)) return 0;
  if (f.operands.some((o) => o.loc === Loc.One)) return 0;
  if (f.imms.includes('io')) return 5; // movabs $imm64 only when imm32s does not fit
  if (f.plusR) return 0; // register in the opcode: INC/DEC 40+r, XCHG 90+r, MOV B8+r come first in GAS's table
  if (f.operands[0]?.loc === Loc.St0) return 2; // fsubr %st,%st: D8 E8 (ST(0), ST(i)) before DC E8, GAS's template order
  const imm = f.operands.findIndex((o) => o.loc === Loc.Imm);
  if (imm >= 0 && !isOwnSized(f)) {
    if (immFieldSize(f, 0) === 8 && f.opSize > 8) return 1; // sign-extended imm8 (83, 6B, 6A)
    if (f.operands.some((o) => o.loc === Loc.FixedReg)) return 2; // accumulator short form (04, 05, A8…)
  }
  return 3;
}

/** Whether a memory operand's Intel `X ptr` size (if any) is the form operand's. */
function sizeFits(o: Operand, a: AttOperand, f: Form): boolean {
  // MOVSXD r16 reads a doubleword in GAS's templates (`movsxd ax, dword ptr [rsp]`), whatever the SDM's r/m16.
  if (f.mnemonic === 'movsxd') return true;
  return a.t !== 'mem' || !a.sizeHint || o.size === 0 || o.size === a.sizeHint;
}

function matchOperand(o: Operand, a: AttOperand | null, f: Form, immK: number, ctx: SelectContext): boolean {
  if (a === null) return o.loc === Loc.One;
  if (!sizeFits(o, a, f)) return false;
  const gpr = a.t === 'reg' && a.reg.kind === 'gpr' ? a.reg : null;
  switch (o.loc) {
    case Loc.Rm:
      if (gpr && a.t === 'reg') {
        // MOVSXD takes its register source as a doubleword whatever the destination (GAS i386-opc.tbl).
        if (f.mnemonic === 'movsxd') return gpr.size === 32;
        // LAR/LSL read a selector: GAS also takes a word register for their r32/m16 and r64/m16 sources
        // (`lar %cx,%eax` is 0F 02 C1, no operand-size prefix), and only the destination's size otherwise.
        if ((f.mnemonic === 'lar' || f.mnemonic === 'lsl') && gpr.size === 16 && o.size === 16) return !a.indirect;
        return gpr.size === o.regSize && !a.indirect === !isIndirectForm(f);
      }
      return a.t === 'mem' && !a.indirect === !isIndirectForm(f);
    case Loc.Mem:
    case Loc.MemFar:
      return a.t === 'mem' && !a.indirect === !isIndirectForm(f);
    case Loc.Reg: case Loc.OpReg: case Loc.RmReg: case Loc.Vvvv:
      return !!gpr && a.t === 'reg' && gpr.size === o.size && !a.indirect;
    case Loc.FixedReg:
      if (a.t === 'mem' && o.size === 16 && o.fixed === 2 && a.base?.name === 'dx' && !a.index && !a.disp && a.seg < 0) return true; // (%dx)
      return !!gpr && gpr.size === o.size && gpr.num === (o.size === 8 && o.fixed >= 4 ? o.fixed : o.fixed) && (o.size !== 8 || gpr.hi8 === (o.fixed >= 4) || o.fixed < 4 && !gpr.needsRex);
    case Loc.Imm:
      return a.t === 'imm' && immFits(f, immK, a.expr, ctx);
    case Loc.One:
      return a.t === 'imm' && ctx.constant(a.expr) === 1n;
    case Loc.Moffs: {
      if (a.t !== 'mem' || a.base || a.index || a.indirect || !a.disp) return false;
      const asz = ctx.addrPrefix || (ctx.mode === 64 ? 64 : ctx.mode);
      return f.addrSize === asz && (ctx.mode !== 64 || !!ctx.movabs);
    }
    case Loc.Sreg: return a.t === 'reg' && a.reg.kind === 'sreg';
    case Loc.FixedSreg: return a.t === 'reg' && a.reg.kind === 'sreg' && a.reg.num === o.fixed;
    case Loc.Cr: return a.t === 'reg' && a.reg.kind === 'cr';
    case Loc.Dr: return a.t === 'reg' && a.reg.kind === 'dr';
    case Loc.St: return a.t === 'reg' && a.reg.kind === 'st' && !a.indirect;
    case Loc.St0: return a.t === 'reg' && a.reg.kind === 'st' && a.reg.num === 0 && !a.indirect;
    case Loc.Xmm: return a.t === 'reg' && a.reg.kind === 'xmm';
    case Loc.XmmRm: return a.t === 'reg' ? a.reg.kind === 'xmm' : a.t === 'mem' && !a.indirect;
    default: return false; // Rel and Ptr are chosen by the branch rules (parser.ts)
  }
}

/** Near/far indirect branches take `*` before their operand (GAS manual §9.16.3.1). */
export function isIndirectForm(f: Form): boolean {
  return (f.mnemonic === 'jmp' || f.mnemonic === 'call') && f.operands.some((o) => o.loc === Loc.Rm || o.loc === Loc.MemFar);
}

/** Operands in Intel order for form f, with null for an omitted shift count of 1; null if counts differ. */
function arrange(f: Form, att: AttOperand[]): (AttOperand | null)[] | null {
  // ENTER and BOUND keep the Intel operand order in AT&T syntax (GAS i386-opc.tbl).
  let ops: (AttOperand | null)[] = f.mnemonic === 'enter' || f.mnemonic === 'bound' ? [...att] : [...att].reverse();
  // `imul $3, %eax` means imul $3, %eax, %eax (GAS manual §9.16.3.1: imul's 2-operand immediate form).
  if (f.mnemonic === 'imul' && f.operands.length === 3 && att.length === 2 && att[0].t === 'imm') ops = [att[1], att[1], att[0]];
  if (ops.length === f.operands.length - 1 && f.operands.some((o) => o.loc === Loc.One)) ops = [...ops, null];
  return ops.length === f.operands.length ? ops : null;
}

/** Picks the form for a non-branch instruction; throws AsmError in GAS's words when none fits. */
export function selectForm(mnemonic: string, att: AttOperand[], ctx: SelectContext): Selected {
  const syntax = ctx.intel ? 'intel' : 'att';
  const cands = candidates(mnemonic).filter((c) => validInMode(c.form, ctx.mode) && (!c.syntax || c.syntax === syntax) &&
    !c.form.operands.some((o) => o.loc === Loc.Rel || o.loc === Loc.Ptr));
  for (const a of att) {
    const r = a.t === 'reg' ? a.reg : null;
    for (const x of a.t === 'mem' ? [a.base, a.index] : [r]) {
      if (x && ctx.mode !== 64 && is64Only(x)) throw new AsmError(`bad register name '%${x.name}'`, a.col);
    }
  }
  ctx = { ...ctx, movabs: mnemonic.startsWith('movabs') };
  // x87 operands GAS leaves implicit (i386-opc.tbl; SDM Vol.2A FXCH, FADD…): `fxch` is FXCH ST(1); `faddp`
  // is FADDP ST(1), ST(0); `fadd %st(2)` is FADD ST(0), ST(2). att is in AT&T order (source first).
  const st0 = register('st(0)'), st1 = register('st(1)');
  const stReg = (r: typeof st0): AttOperand => ({ t: 'reg', reg: r!, col: 0, indirect: false });
  const shape = (a: Loc, b: Loc) => cands.some((c) => c.form.operands.length === 2 && c.form.operands[0].loc === a && c.form.operands[1].loc === b);
  // `fadd` alone: GAS 2.40 warns and assembles faddp (likewise fsub, fsubr, fmul, fdiv, fdivr).
  if (att.length === 0 && /^f(add|sub|subr|mul|div|divr)$/.test(mnemonic)) {
    return { ...selectForm(mnemonic + 'p', att, ctx), warning: `translating to '${mnemonic}p'` };
  }
  if (mnemonic === 'fxch' && att.length === 0) att = [stReg(st1)];
  else if (att.length === 0 && !cands.some((c) => c.form.operands.length === 0) && shape(Loc.St, Loc.St0)) att = [stReg(st0), stReg(st1)];
  else if (att.length === 1 && att[0].t === 'reg' && att[0].reg.kind === 'st' && shape(Loc.St0, Loc.St)) att = [att[0], stReg(st0)];
  const found: { c: Candidate; ops: (AttOperand | null)[] }[] = [];
  let countOk = false;
  // TEST is symmetric: {load} puts the destination in ModRM.reg, as GAS does (85 d8 for {load} test %eax,%ebx).
  const swap = ctx.direction === 'load' && mnemonic.startsWith('test') && att.every((a) => a.t === 'reg');
  const orders = mnemonic.startsWith('xchg') || mnemonic.startsWith('test') ? (swap ? [[...att].reverse(), att] : [att, [...att].reverse()]) : [att];
  for (const order of orders) {
    for (const c of cands) {
      const ops = arrange(c.form, order);
      if (!ops) continue;
      countOk = true;
      let immK = 0;
      const ok = c.form.operands.every((o, k) => matchOperand(o, ops[k], c.form, o.loc === Loc.Imm ? immK++ : immK, ctx));
      // xchg %eax,%eax is 90 (NOP) only outside 64-bit mode, where it would not zero-extend (SDM XCHG).
      if (ok && c.form.plusR && c.form.mnemonic === 'xchg' && ctx.mode === 64 && ops[0]?.t === 'reg' && ops[0].reg.num === 0 && c.form.opSize === 32) continue;
      // Segment register moves to or from memory are word-sized only (GAS: movw, or no suffix).
      if (ok && c.suffixSize > 16 && c.form.operands.some((o) => o.loc === Loc.Sreg) && ops.some((o) => o?.t === 'mem')) continue;
      if (ok && !found.some((x) => x.c.form === c.form)) found.push({ c, ops });
    }
  }
  if (found.length === 0) {
    if (!countOk) throw new AsmError(`number of operands mismatch for '${mnemonic}'`);
    // movl %ax,%bx: a register that contradicts the suffix (GAS: "incorrect register … used with … suffix").
    const suffix = cands.find((c) => c.suffixSize)?.suffixSize ?? 0;
    const uniform = cands.length > 0 && cands.every((c) => c.suffixSize === suffix &&
      c.form.operands.every((o) => ![Loc.Reg, Loc.Rm, Loc.OpReg].includes(o.loc) || o.regSize === suffix));
    const bad = [...att].reverse().find((a) => a.t === 'reg' && a.reg.kind === 'gpr' && a.reg.size !== suffix);
    if (suffix && uniform && bad && bad.t === 'reg') {
      throw new AsmError(`incorrect register '%${bad.reg.name}' used with '${SUFFIX_LETTER[suffix]}' suffix`, bad.col);
    }
    throw new AsmError(`operand type mismatch for '${mnemonic}'`);
  }
  let pool = found;
  if (ctx.direction && pool.length > 1) {
    // GAS manual §9.16.5: {load} picks the form that loads its destination register (8B, 03…), {store} the other.
    const want = ctx.direction === 'load' ? Loc.Reg : Loc.Rm;
    const dir = pool.filter((x) => x.c.form.operands[0]?.loc === want);
    if (dir.length) pool = dir;
  }
  let warning: string | undefined;
  // SSE moves: with memory, movd/movq take the forms without REX.W (66 0F 6E, F3 0F 7E, 66 0F D6), as GAS does;
  // the XMM register, not a suffix, sizes them.
  if (pool.length > 1 && pool.every((x) => x.c.form.operands.some((o) => o.loc === Loc.Xmm || o.loc === Loc.XmmRm))) {
    const plain = pool.filter((x) => x.c.form.opSize === 0);
    if (plain.length) pool = plain;
  }
  const sizes = new Set(pool.map((x) => x.c.form.opSize));
  if (sizes.size > 1) {
    if (pool.every((x) => isStackLike(x.c.form))) {
      const def = pool.filter((x) => x.c.form.opSize === defaultSize(x.c.form, ctx.mode) ||
        (x.c.form.operands.some((o) => o.loc === Loc.Sreg) && x.c.form.opSize === (ctx.mode === 16 ? 16 : 32)));
      if (def.length) pool = def;
    } else {
      // GAS 2.40 warns and uses the code size's default (word in 16-bit code, else long).
      if (ctx.intel) throw new AsmError(`ambiguous operand size for '${mnemonic}'`);
      const def = pool.filter((x) => x.c.form.opSize === (ctx.mode === 16 ? 16 : 32));
      if (def.length === 0) throw new AsmError(`no instruction mnemonic suffix given and no register operands; can't size '${mnemonic}'`);
      pool = def;
      warning = `no instruction mnemonic suffix given and no register operands; using default for '${mnemonic}'`;
    }
  }
  pool.sort((a, b) => rank(a.c.form) - rank(b.c.form) || a.c.form.id - b.c.form.id);
  const best = pool[0];
  // fld (mem) without a suffix: GAS 2.40 warns and takes the first template, m32fp or m16int (rows are in its order).
  if (pool.length > 1 && pool.every((x) => x.c.form.operands.some((o) => o.x87 !== ''))) {
    if (ctx.intel) throw new AsmError(`ambiguous operand size for '${mnemonic}'`);
    warning = `no instruction mnemonic suffix given and no register operands; using default for '${mnemonic}'`;
  }
  // xchg %rax,%rax is written as NOP (90), like xchg %eax,%eax outside 64-bit mode.
  if (best.c.form.mnemonic === 'xchg' && best.c.form.plusR && best.c.form.opSize === 64 && best.ops[0]?.t === 'reg' && best.ops[0].reg.num === 0) {
    const nop = candidates('nop').find((c) => c.form.operands.length === 0);
    if (nop) return { form: nop.form, ops: [] };
  }
  // GAS writes `int $3` as INT3 (CC), the one-byte breakpoint (tc-i386.c md_assemble).
  if (best.c.form.mnemonic === 'int' && best.ops[0]?.t === 'imm' && ctx.constant(best.ops[0].expr) === 3n) {
    const int3 = candidates('int3')[0];
    if (int3) return { form: int3.form, ops: [] };
  }
  // SLDT/STR to a 64-bit register: GAS leaves out REX.W (the upper half is zeroed either way, SDM Vol.2B SLDT).
  if ((best.c.form.mnemonic === 'sldt' || best.c.form.mnemonic === 'str') && best.c.form.opSize === 64) {
    const r32 = candidates(best.c.form.mnemonic).find((c) => c.form.opSize === 32 && c.form.opcode === best.c.form.opcode);
    if (r32) return { form: r32.form, ops: best.ops, warning };
  }
  return { form: best.c.form, ops: best.ops, warning, suffixSize: best.c.sizesForm ? best.c.suffixSize : 0, wait: best.c.wait };
}
