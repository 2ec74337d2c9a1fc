// encode.ts: machine code for a selected form and its operands (SDM Vol.2 chapter 2 "Instruction
// Format": legacy prefixes, REX, VEX, opcode, ModRM, SIB, displacement, immediate).
import { Loc } from '../emulator/isa/form';
import { AsmError } from './errors';
import { Expr } from './expr';
import { AttOperand } from './operands';
import { Reg } from './registers';
import { Mode, Selected, isSignExtendedImm, memAddrSize } from './select';

/** A value the layout fills in once symbols are known. */
export interface Field {
  offset: number;
  size: number;
  expr: Expr;
  /** pcrel: the value minus the address of the end of the instruction (rel8/rel32, RIP-relative). */
  pcrel: boolean;
  /** Range the value must fit in: 'signed' (rel, disp8), 'either' (signed or unsigned), 'none'. */
  check: 'signed' | 'either' | 'none';
  /** `.` means the address of this field rather than of the statement (data directives). */
  dotHere?: boolean;
  /** The processor sign-extends the 32-bit field to 64 bits (disp32, imm32 of a 64-bit operation): R_X86_64_32S. */
  sext?: boolean;
  /** The rel field of a jump or call: against a symbol it is R_X86_64_PLT32 (GAS 2.31 on). */
  branch?: boolean;
}

export interface Encoded {
  bytes: number[];
  fields: Field[];
}

export interface EncodeContext {
  mode: Mode;
  constant(e: Expr): bigint | null;
  /** Prefix bytes written before the mnemonic (lock, rep, data16, cs…). */
  userPrefixes: number[];
  /** Pseudo-prefixes (GAS manual §9.16.5): `{disp8}`/`{disp32}` force the displacement size, `{rex}` a REX byte. */
  pseudo?: ReadonlySet<string>;
}

const SEG_PREFIX = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];

// GAS emits prefixes in its slot order (tc-i386.c: WAIT, SEG, ADDR, DATA, REP, BND, LOCK, then REX).
function slotOf(b: number): number {
  if (SEG_PREFIX.includes(b)) return 1;
  if (b === 0x67) return 2;
  if (b === 0x66) return 3;
  if (b === 0xf2 || b === 0xf3) return 4;
  if (b === 0xf0) return 6;
  return 0;
}

export function orderPrefixes(bytes: number[]): number[] {
  const seen: number[] = [];
  for (const b of bytes) if (!seen.includes(b)) seen.push(b);
  return seen.sort((a, b) => slotOf(a) - slotOf(b));
}

interface MemEnc {
  mod: number;
  rm: number;
  sib: number;
  dispSize: number;
  disp: Expr | null;
  pcrel: boolean;
  rexX: number;
  rexB: number;
  addrSize: number;
}

const ZERO: Expr = { k: 'num', v: 0n };

/** ModRM.mod/rm, SIB and displacement of a memory operand (SDM Vol.2 §2.1.5, Tables 2-1 to 2-3). */
function encodeMem(m: Extract<AttOperand, { t: 'mem' }>, ctx: EncodeContext, addrPrefix: number): MemEnc {
  const def = ctx.mode;
  const asz = memAddrSize(m) || addrPrefix || def;
  const dispConst = m.disp ? ctx.constant(m.disp) : 0n;
  const base = m.base, index = m.index;
  if (base && index && base.size !== index.size) throw new AsmError(`'(%${base.name},%${index.name})' is not a valid base/index expression`, m.col);
  if (ctx.pseudo?.has(asz === 16 ? 'disp32' : 'disp16') && (m.base || m.index)) throw new AsmError(`invalid '{${asz === 16 ? 'disp32' : 'disp16'}}' prefix`);
  if (asz === 16) {
    if (ctx.mode === 64) throw new AsmError('16-bit addressing is not allowed in 64-bit mode', m.col);
    const key = [base?.name ?? '', index?.name ?? ''].join(',');
    const rm16: Record<string, number> = { 'bx,si': 0, 'bx,di': 1, 'bp,si': 2, 'bp,di': 3, 'si,': 4, 'di,': 5, 'bp,': 6, 'bx,': 7 };
    const v = dispConst === null ? null : BigInt.asIntN(16, dispConst);
    if (!base && !index) return { mod: 0, rm: 6, sib: -1, dispSize: 2, disp: m.disp ?? ZERO, pcrel: false, rexX: 0, rexB: 0, addrSize: 16 };
    const rm = rm16[key];
    if (rm === undefined || m.scale !== 1) throw new AsmError(`'${memText(m)}' is not a valid base/index expression`, m.col);
    const { mod, size } = dispMode(v, rm === 6, ctx.pseudo);
    return { mod, rm, sib: -1, dispSize: size, disp: m.disp ?? ZERO, pcrel: false, rexX: 0, rexB: 0, addrSize: 16 };
  }
  if (asz === 64 && def !== 64) throw new AsmError(`bad register name '%${(base ?? index)?.name}'`, m.col);
  const v = dispConst === null ? null : asz === 32 ? BigInt.asIntN(32, dispConst) : dispConst;
  if (base?.kind === 'rip') {
    if (index) throw new AsmError(`'${memText(m)}' is not a valid base/index expression`, m.col);
    // RIP-relative (SDM Vol.2 §2.2.1.6): a symbol is relative to the next instruction; a number is the offset.
    return { mod: 0, rm: 5, sib: -1, dispSize: 4, disp: m.disp ?? ZERO, pcrel: dispConst === null, rexX: 0, rexB: 0, addrSize: base.size };
  }
  if (index && index.num === 4 && index.kind === 'gpr') throw new AsmError(`'${memText(m)}' is not a valid base/index expression`, m.col);
  const ss = [1, 2, 4, 8].indexOf(m.scale);
  if (!base && !index) {
    // Absolute address: in 64-bit mode rm=101 means RIP-relative, so GAS uses SIB with no base or index.
    if (def === 64) return { mod: 0, rm: 4, sib: 0x25, dispSize: 4, disp: m.disp ?? ZERO, pcrel: false, rexX: 0, rexB: 0, addrSize: asz };
    return { mod: 0, rm: 5, sib: -1, dispSize: 4, disp: m.disp ?? ZERO, pcrel: false, rexX: 0, rexB: 0, addrSize: asz };
  }
  if (!base && index) {
    return { mod: 0, rm: 4, sib: (ss << 6) | ((index.num & 7) << 3) | 5, dispSize: 4, disp: m.disp ?? ZERO, pcrel: false,
      rexX: index.num >> 3, rexB: 0, addrSize: asz };
  }
  const b = base as Reg;
  const { mod, size } = dispMode(v, (b.num & 7) === 5, ctx.pseudo);
  const needSib = !!index || (b.num & 7) === 4;
  const sib = needSib ? (ss << 6) | (((index ? index.num : 4) & 7) << 3) | (b.num & 7) : -1;
  return { mod, rm: needSib ? 4 : b.num & 7, sib, dispSize: size, disp: m.disp ?? ZERO, pcrel: false,
    rexX: index ? index.num >> 3 : 0, rexB: b.num >> 3, addrSize: asz };
}

/** No displacement when it is the constant 0 (unless the base is BP/EBP/R13), disp8 when it fits, else full. */
function dispMode(v: bigint | null, bpBase: boolean, pseudo?: ReadonlySet<string>): { mod: number; size: number } {
  // {disp32} (or {disp16} with 16-bit addressing): the full displacement; {disp8}: one byte when the value fits, even 0.
  if (pseudo?.has('disp32') || pseudo?.has('disp16')) return { mod: 2, size: -1 };
  if (v === 0n && !bpBase && !pseudo?.has('disp8')) return { mod: 0, size: 0 };
  if (v !== null && v >= -128n && v <= 127n) return { mod: 1, size: 1 };
  return { mod: 2, size: -1 }; // full size: 2 or 4 by address size
}

function memText(m: Extract<AttOperand, { t: 'mem' }>): string {
  return `(${m.base ? '%' + m.base.name : ''}${m.index ? ',%' + m.index.name + ',' + m.scale : ''})`;
}

/** Little-endian bytes of a constant. */
export function le(v: bigint, size: number): number[] {
  const out: number[] = [];
  let x = BigInt.asUintN(size * 8, v);
  for (let k = 0; k < size; k++) { out.push(Number(x & 0xffn)); x >>= 8n; }
  return out;
}

/** Encodes a selected (non-branch) instruction. */
export function encode(sel: Selected, ctx: EncodeContext): Encoded {
  const f = sel.form;
  const ops = sel.ops;
  // WAIT of a waiting x87 form (finit) comes first: GAS's WAIT prefix slot (tc-i386.c WAIT_PREFIX).
  const prefixes = sel.wait ? [0x9b, ...ctx.userPrefixes] : [...ctx.userPrefixes];
  const addrPrefix = prefixes.includes(0x67) ? (ctx.mode === 32 ? 16 : 32) : 0;
  let rex = 0, rexNeeded = false;
  const fields: Field[] = [];
  const tail: number[] = []; // ModRM onwards, relative offsets recorded in fields
  const pendingFields: { at: number; size: number; expr: Expr; pcrel: boolean; check: Field['check']; sext?: boolean }[] = [];

  // Operand size (SDM Vol.2 §2.2.1.2 and Table 3-4 of Vol.1): 66h toggles 16/32, REX.W gives 64.
  // GAS writes segment register moves without 66h/REX.W unless a general register is the destination
  // (mov %ds,%ax): the processor moves 16 bits either way (SDM Vol.2B MOV, "Move to/from segment registers").
  const sreg = f.operands.some((o) => o.loc === Loc.Sreg);
  const noSize = sreg && (f.operands[0].loc === Loc.Sreg || ops.some((o) => o?.t === 'mem'));
  if (!f.vex) {
    if (f.opSize === 16 && ctx.mode !== 16 && !noSize) prefixes.push(0x66);
    if (f.opSize === 32 && ctx.mode === 16 && !noSize) prefixes.push(0x66);
    if (f.opSize === 64 && !f.d64 && !f.f64 && !sreg) { rex |= 8; rexNeeded = true; }
    if (f.prefix > 0) prefixes.push(f.prefix);
  }
  const defAddr = ctx.mode;
  if (f.addrSize && f.addrSize !== defAddr) prefixes.push(0x67);

  let reg = f.digit >= 0 ? f.digit : 0;
  let rmByte = -1;
  let vvvv = 0;
  let opReg = 0;
  let mem: MemEnc | null = null;
  const regs: Reg[] = [];
  let immK = 0;
  const immFields = f.imms.filter((x) => x !== 'moffs');
  f.operands.forEach((o, k) => {
    const a = ops[k];
    if (!a) return;
    if (a.t === 'reg') regs.push(a.reg);
    if (a.t === 'mem') {
      // GAS omits an override naming the segment the ModRM operand uses anyway: SS for an (e/r)sp or
      // (e/r)bp base, else DS (SDM Vol.1 §3.7.4; binutils' x86-64-segovr test).
      const modrm = o.loc === Loc.Rm || o.loc === Loc.Mem || o.loc === Loc.MemFar || o.loc === Loc.XmmRm;
      const defaultSeg = a.base && (a.base.num === 4 || a.base.num === 5) ? 2 : 3;
      if (a.seg >= 0 && !(modrm && a.seg === defaultSeg)) prefixes.push(SEG_PREFIX[a.seg]);
      if (a.base) regs.push(a.base);
      if (a.index) regs.push(a.index);
    }
    switch (o.loc) {
      case Loc.Rm: case Loc.Mem: case Loc.MemFar: case Loc.XmmRm:
        if (a.t === 'reg') { rmByte = 0xc0 | (a.reg.num & 7); rex |= a.reg.num >> 3; }
        else if (a.t === 'mem') mem = encodeMem(a, ctx, addrPrefix);
        break;
      case Loc.RmReg:
        if (a.t === 'reg') { rmByte = 0xc0 | (a.reg.num & 7); rex |= a.reg.num >> 3; }
        break;
      case Loc.St:
        if (a.t === 'reg') rmByte = 0xc0 | a.reg.num;
        break;
      case Loc.Reg: case Loc.Sreg: case Loc.Cr: case Loc.Dr: case Loc.Xmm:
        if (a.t === 'reg') { reg = a.reg.num & 7; rex |= (a.reg.num >> 3) << 2; }
        break;
      case Loc.OpReg:
        if (a.t === 'reg') { opReg = a.reg.num & 7; rex |= a.reg.num >> 3; }
        break;
      case Loc.Vvvv:
        if (a.t === 'reg') vvvv = a.reg.num;
        break;
      case Loc.Imm:
        if (a.t === 'imm') {
          const t = immFields[immK];
          const size = t === 'ib' ? 1 : t === 'iw' ? 2 : t === 'io' ? 8 : 4;
          const signExt = isSignExtendedImm(f, immK);
          // GAS first truncates a constant to the operand size and sign-extends it (addl $0xffffffff → 83 /0 ff).
          // A value known now is fixed now: a later .set of the symbol does not change it (as in GAS).
          const c = ctx.constant(a.expr);
          const expr: Expr = c === null ? a.expr : { k: 'num', v: signExt && (f.opSize === 16 || f.opSize === 32) ? BigInt.asIntN(f.opSize, c) : c };
          pendingFields.push({ at: -1, size, expr, pcrel: false, check: signExt ? 'signed' : 'either', sext: signExt && size === 4 && f.opSize === 64 });
          immK++;
        }
        break;
      case Loc.Moffs:
        if (a.t === 'mem') {
          if (a.seg >= 0) { /* already added */ }
          pendingFields.push({ at: -1, size: f.addrSize / 8, expr: a.disp ?? ZERO, pcrel: false, check: 'either' });
        }
        break;
      default: break;
    }
  });
  if (mem) {
    const me = mem as MemEnc;
    if (me.addrSize !== defAddr && !(f.addrSize)) prefixes.push(0x67);
    rex |= (me.rexX << 1) | me.rexB;
  }
  for (const r of regs) {
    if (r.needsRex) rexNeeded = true;
  }
  if (rex || ctx.pseudo?.has('rex')) rexNeeded = true;
  if (rexNeeded && !f.vex) {
    const hi = regs.find((r) => r.hi8);
    if (hi) throw new AsmError(`can't encode register '%${hi.name}' in an instruction requiring REX prefix`);
    if (ctx.mode !== 64) throw new AsmError('64-bit operand or register used outside 64-bit mode');
  }

  // Opcode and its map (SDM Vol.2 §2.1.2), or the VEX prefix that carries the map (§2.3.5).
  const head = orderPrefixes(prefixes);
  if (f.vex) {
    const R = (rex >> 2) & 1, X = (rex >> 1) & 1, B = rex & 1;
    const W = f.vex.w === 1 ? 1 : 0;
    const L = f.vex.l === 1 ? 1 : 0;
    const pp = f.vex.pp === 0x66 ? 1 : f.vex.pp === 0xf3 ? 2 : f.vex.pp === 0xf2 ? 3 : 0;
    const tailByte = (W << 7) | ((~vvvv & 15) << 3) | (L << 2) | pp;
    if (f.map === 1 && W === 0 && !X && !B) head.push(0xc5, ((R ^ 1) << 7) | (tailByte & 0x7f));
    else head.push(0xc4, ((R ^ 1) << 7) | ((X ^ 1) << 6) | ((B ^ 1) << 5) | f.map, tailByte);
  } else {
    if (rexNeeded) head.push(0x40 | rex);
    if (f.map >= 1) head.push(0x0f);
    if (f.map === 2) head.push(0x38);
    if (f.map === 3) head.push(0x3a);
  }
  head.push(f.opcode + (f.plusR ? opReg : 0) + (f.plusCC ? Math.max(0, f.cc) : 0));

  if (f.modrm) {
    if (f.modrmLiteral >= 0) tail.push(f.modrmLiteral);
    else if (mem) {
      const me = mem as MemEnc;
      tail.push((me.mod << 6) | (reg << 3) | me.rm);
      if (me.sib >= 0) tail.push(me.sib);
      const dsize = me.dispSize === -1 ? (me.addrSize === 16 ? 2 : 4) : me.dispSize;
      if (dsize > 0 && me.disp) {
        const c = me.pcrel ? null : ctx.constant(me.disp);
        const disp: Expr = c === null ? me.disp : { k: 'num', v: c };
        pendingFields.unshift({ at: -1, size: dsize, expr: disp, pcrel: me.pcrel, check: me.pcrel || dsize === 1 ? 'signed' : 'either',
          sext: dsize === 4 && me.addrSize === 64 });
      }
    } else {
      tail.push(rmByte >= 0 ? rmByte | (reg << 3) : 0xc0 | (reg << 3));
    }
  }
  const bytes = [...head, ...tail];
  for (const p of pendingFields) {
    fields.push(p.sext ? { offset: bytes.length, size: p.size, expr: p.expr, pcrel: p.pcrel, check: p.check, sext: true }
      : { offset: bytes.length, size: p.size, expr: p.expr, pcrel: p.pcrel, check: p.check });
    for (let k = 0; k < p.size; k++) bytes.push(0);
  }
  return { bytes, fields };
}
