// form.ts: what one row of the instruction table says, and the parser that reads a row.
// A row is written in the SDM's own notation so it can be checked against the manual by eye:
//
//   'add_rm32_imm8 | 83 /0 ib | ADD r/m32, imm8 | lock f=oszapc'
//    name           encoding   instruction        attributes
//
// Decoder, disassembler, assembler and test generator all read the parsed Form; none of them
// keeps an opcode list of its own.
//
// x87 notation (SDM Vol.2 §3.1.1.1): `D9 C0+i | FLD ST(i)` is a ModRM byte with mod 11b, reg 0 and the
// register ST(i) in rm; m32fp/m64fp/m80fp and m16int/m32int/m64int are memory operands of those formats.
// The attribute `wait=finit` names GAS's waiting form: WAIT (9B) followed by the row, which the processor
// executes as two instructions (SDM Vol.1 §8.3.11) and only the assembler and disassembler join.

/** Where an operand comes from. */
export enum Loc {
  Rm,        // ModRM.rm: a register or memory (r/m32, r32/m16)
  Mem,       // ModRM.rm, memory only (m, m32, m16&32)
  MemFar,    // ModRM.rm, memory only, a far pointer (m16:32)
  Reg,       // ModRM.reg, general register
  RmReg,     // ModRM.rm, general register only (MOV r64, CR0–CR7: mod is ignored)
  OpReg,     // low three bits of the opcode (+r)
  Vvvv,      // VEX.vvvv, general register
  Imm,       // immediate
  Rel,       // relative branch offset
  Moffs,     // absolute offset, address-size wide (MOV AL, moffs8)
  Ptr,       // far pointer immediate (JMP ptr16:32)
  FixedReg,  // AL, CL, DX, RAX …
  One,       // the constant 1 of the shift group
  Sreg,      // ModRM.reg, segment register
  FixedSreg, // ES, CS, SS, DS, FS, GS
  Cr,        // ModRM.reg, control register
  Dr,        // ModRM.reg, debug register
  St,        // ModRM.rm with mod 11b, x87 register ST(i) (SDM Vol.2 §3.1.1.1: "+i", Table)
  St0,       // ST(0), implied by the opcode (FADD ST(0), ST(i))
  Xmm,       // ModRM.reg, XMM register (xmm1)
  XmmRm,     // ModRM.rm: an XMM register or memory of `size` bits (xmm2/m128, xmm2/m64)
}

/** x87 memory operand formats (SDM Vol.1 §4.2, §8.2): m32fp, m64fp, m80fp or m16int, m32int, m64int. */
export type X87Format = 'fp' | 'int' | '';

export interface Operand {
  loc: Loc;
  /** Operand size in bits (memory size for Rm when it differs from the register size). */
  size: number;
  /** Register size in bits for r32/m16-style operands; otherwise equal to size. */
  regSize: number;
  /** Register number for FixedReg/FixedSreg (SDM numbering; AH..BH are 4..7 with size 8). */
  fixed: number;
  /** The operand exactly as written in the row, for error messages and formatters. */
  text: string;
  /** For an x87 memory operand, whether it holds a floating-point or an integer value. */
  x87: X87Format;
}

/** Flag bits in RFLAGS (SDM Vol.1 §3.4.3). */
export const FLAG_CF = 1 << 0;
export const FLAG_PF = 1 << 2;
export const FLAG_AF = 1 << 4;
export const FLAG_ZF = 1 << 6;
export const FLAG_SF = 1 << 7;
export const FLAG_TF = 1 << 8;
export const FLAG_IF = 1 << 9;
export const FLAG_DF = 1 << 10;
export const FLAG_OF = 1 << 11;
export const FLAGS_ARITH = FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF;

const FLAG_LETTERS: Record<string, number> = {
  o: FLAG_OF, s: FLAG_SF, z: FLAG_ZF, a: FLAG_AF, p: FLAG_PF, c: FLAG_CF, d: FLAG_DF, i: FLAG_IF, t: FLAG_TF,
};

export interface Vex {
  /** VEX.L: 0, 1, or -1 for LZ/LIG (must be 0 for LZ; decoder treats LZ as 0). */
  l: number;
  /** Implied prefix: 0 (none), 0x66, 0xF2, 0xF3. */
  pp: number;
  /** W: 0, 1, or -1 (WIG). */
  w: number;
}

export interface Form {
  /** Index in the table; the decoder stores it in Insn.form. */
  id: number;
  /** Form name in the SDM's words: add_rm64_r64. Handlers are registered under it. */
  name: string;
  /** Intel mnemonic, lowercase (add, jcc rows carry their condition in cc). */
  mnemonic: string;
  operands: Operand[];
  /** Opcode map: 0 one-byte, 1 = 0F, 2 = 0F 38, 3 = 0F 3A. */
  map: number;
  opcode: number;
  /** Opcode carries a register in its low three bits (+r) or a condition code (+cc). */
  plusR: boolean;
  plusCC: boolean;
  /** Condition code for +cc rows expanded per condition (set by the table builder), else -1. */
  cc: number;
  /** Has a ModRM byte. */
  modrm: boolean;
  /** /digit: required ModRM.reg value, or -1. */
  digit: number;
  /** Exact ModRM byte (0F 01 F8 SWAPGS), or -1. */
  modrmLiteral: number;
  /** ModRM.rm must be memory (1), must be a register (2), or either (0). */
  rmKind: number;
  /** Mandatory prefix: 0x66, 0xF2, 0xF3, 0 (none required), or -1 (NP: none of them allowed). */
  prefix: number;
  /** Effective operand size the row is for (16/32/64), 8 for byte rows, 0 if any. */
  opSize: number;
  /** Effective address size the row is for, 0 if any. */
  addrSize: number;
  /** Immediate fields in encoding order: ib iw id io cb cw cd cp, and 'moffs'. */
  imms: string[];
  vex: Vex | null;
  // Attributes.
  lock: boolean;     // LOCK allowed (with a memory destination)
  i64: boolean;      // invalid in 64-bit mode
  o64: boolean;      // valid only in 64-bit mode
  d64: boolean;      // 64-bit default operand size in 64-bit mode (66 gives 16)
  f64: boolean;      // operand size forced to 64 in 64-bit mode (near branches)
  rep: boolean;      // REP prefix meaningful (F3 repeats)
  repcc: boolean;    // REPE/REPNE meaningful (cmps, scas)
  branch: boolean;   // transfers control: ends a decoded block
  stop: boolean;     // changes what decoding depends on (mode, CR0…): ends a decoded block
  flagsRead: number;
  flagsWritten: number;
  flagsUndefined: number;
  /** AT&T mnemonic when GAS spells it differently from the Intel one plus a suffix. */
  gas: string | null;
  /** CPUID feature that must be present, or null. */
  cpuid: string | null;
  /**
   * GAS's name for the waiting form: WAIT (9B) then this row (FINIT is 9B DB E3, SDM Vol.2A FINIT/FNINIT).
   * The processor runs them as two instructions; only the assembler and disassembler see one.
   */
  wait: string | null;
  /** The row as written. */
  row: string;
}

const GPR8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const GPR16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const GPR32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const GPR64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi'];
export const SREG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];

function op(loc: Loc, size: number, text: string, regSize = size, fixed = -1, x87: X87Format = ''): Operand {
  return { loc, size, regSize, fixed, text, x87 };
}

/** Parses one operand of the instruction column. `plusR` says whether rN means the opcode register. */
function parseOperand(t: string, plusR: boolean, row: string): Operand {
  const s = t.trim();
  const l = s.toLowerCase();
  let m: RegExpMatchArray | null;
  if ((m = /^r\/m(8|16|32|64)$/.exec(l))) return op(Loc.Rm, +m[1], s);
  if ((m = /^r(16|32|64)\/m(8|16|32|64)$/.exec(l))) return op(Loc.Rm, +m[2], s, +m[1]);
  if ((m = /^r(8|16|32|64)([ab]?)$/.exec(l))) {
    if (m[2] === 'b') return op(Loc.Vvvv, +m[1], s);
    return op(plusR ? Loc.OpReg : Loc.Reg, +m[1], s);
  }
  if (l === 'm' || l === 'mem') return op(Loc.Mem, 0, s);
  if ((m = /^m(8|16|32|64|128)$/.exec(l))) return op(Loc.Mem, +m[1], s);
  if ((m = /^m(32|64|80)fp$/.exec(l))) return op(Loc.Mem, +m[1], s, +m[1], -1, 'fp');
  if ((m = /^m(16|32|64)int$/.exec(l))) return op(Loc.Mem, +m[1], s, +m[1], -1, 'int');
  if (l === 'st(i)') return op(Loc.St, 80, s);
  if (l === 'st(0)') return op(Loc.St0, 80, s);
  if ((m = /^xmm[0-9]?\/m(32|64|128)$/.exec(l))) return op(Loc.XmmRm, +m[1], s, 128);
  if (/^xmm[0-9]?$/.test(l)) return op(Loc.Xmm, 128, s);
  if ((m = /^m(16|32)&(16|32|64)$/.exec(l))) return op(Loc.Mem, +m[1] + +m[2], s);
  if ((m = /^m16:(16|32|64)$/.exec(l))) return op(Loc.MemFar, 16 + +m[1], s, +m[1]);
  if ((m = /^imm(8|16|32|64)$/.exec(l))) return op(Loc.Imm, +m[1], s);
  if ((m = /^rel(8|16|32)$/.exec(l))) return op(Loc.Rel, +m[1], s);
  if ((m = /^moffs(8|16|32|64)$/.exec(l))) return op(Loc.Moffs, +m[1], s);
  if ((m = /^ptr16:(16|32)$/.exec(l))) return op(Loc.Ptr, 16 + +m[1], s, +m[1]);
  if (l === '1') return op(Loc.One, 8, s);
  if (l === 'sreg') return op(Loc.Sreg, 16, s);
  if (/^cr0[-–]cr7$/.test(l) || l === 'cr8') return op(Loc.Cr, 64, s);
  if (/^dr0[-–]dr7$/.test(l)) return op(Loc.Dr, 64, s);
  const sreg = SREG_NAMES.indexOf(l);
  if (sreg >= 0) return op(Loc.FixedSreg, 16, s, 16, sreg);
  for (const [names, size] of [[GPR8, 8], [GPR16, 16], [GPR32, 32], [GPR64, 64]] as const) {
    const n = names.indexOf(l);
    if (n >= 0) return op(Loc.FixedReg, size, s, size, n);
  }
  throw new Error(`instruction table: unknown operand "${s}" in row: ${row}`);
}

function parseVex(t: string, row: string): { vex: Vex; map: number } {
  // SDM notation: VEX.LZ.F2.0F38.W0 — L, optional pp, map, W.
  const parts = t.split('.').slice(1);
  const vex: Vex = { l: 0, pp: 0, w: -1 };
  let map = -1;
  for (const p of parts) {
    if (p === 'LZ' || p === 'L0' || p === '128') vex.l = 0;
    else if (p === 'L1' || p === '256') vex.l = 1;
    else if (p === 'LIG') vex.l = -1;
    else if (p === '66' || p === 'F2' || p === 'F3') vex.pp = parseInt(p, 16);
    else if (p === '0F') map = 1;
    else if (p === '0F38') map = 2;
    else if (p === '0F3A') map = 3;
    else if (p === 'W0') vex.w = 0;
    else if (p === 'W1') vex.w = 1;
    else if (p === 'WIG') vex.w = -1;
    else throw new Error(`instruction table: bad VEX field "${p}" in row: ${row}`);
  }
  if (map < 0) throw new Error(`instruction table: VEX without a map in row: ${row}`);
  return { vex, map };
}

/** Parses one table row. */
export function parseForm(row: string, id: number): Form {
  const cols = row.split('|').map((c) => c.trim());
  if (cols.length !== 4) throw new Error(`instruction table: expected 4 columns in row: ${row}`);
  const [name, encoding, instruction, attributes] = cols;
  const f: Form = {
    id, name, mnemonic: '', operands: [], map: 0, opcode: -1, plusR: false, plusCC: false, cc: -1,
    modrm: false, digit: -1, modrmLiteral: -1, rmKind: 0, prefix: 0, opSize: 0, addrSize: 0, imms: [],
    vex: null, lock: false, i64: false, o64: false, d64: false, f64: false, rep: false, repcc: false,
    branch: false, stop: false, flagsRead: 0, flagsWritten: 0, flagsUndefined: 0, gas: null, cpuid: null, wait: null, row,
  };

  // Encoding column.
  const mapBytes: number[] = [];
  for (const tok of encoding.split(/\s+/).filter(Boolean)) {
    let m: RegExpMatchArray | null;
    if (tok === 'NP') f.prefix = -1;
    else if (tok === 'REX.W' || tok === 'o64') f.opSize = 64;
    else if (tok === 'o16') f.opSize = 16;
    else if (tok === 'o32') f.opSize = 32;
    else if ((m = /^a(16|32|64)$/.exec(tok))) f.addrSize = +m[1];
    else if (tok.startsWith('VEX.')) {
      const v = parseVex(tok, row);
      f.vex = v.vex;
      f.map = v.map;
    } else if (tok === '/r') f.modrm = true;
    else if ((m = /^\/([0-7])$/.exec(tok))) { f.modrm = true; f.digit = +m[1]; }
    else if (/^(ib|iw|id|io|cb|cw|cd|cp)$/.test(tok)) f.imms.push(tok);
    else if ((m = /^([0-9A-F]{2})\+i$/.exec(tok)) && f.opcode >= 0) {
      // D9 C0+i: a ModRM byte with mod 11b, reg fixed and ST(i) in rm (SDM Vol.2 §3.1.1.1).
      const b = parseInt(m[1], 16);
      if (b < 0xc0) throw new Error(`instruction table: "${tok}" needs mod 11b in row: ${row}`);
      f.modrm = true;
      f.digit = (b >> 3) & 7;
    } else if ((m = /^([0-9A-F]{2})\+(r[bwdo]?|cc)$/.exec(tok))) {
      f.opcode = parseInt(m[1], 16);
      if (m[2] === 'cc') f.plusCC = true; else f.plusR = true;
    } else if (/^[0-9A-F]{2}$/.test(tok)) {
      const b = parseInt(tok, 16);
      if (f.opcode >= 0) {
        // A byte after the opcode is an exact ModRM (SDM writes 0F 01 F8 for SWAPGS).
        f.modrm = true;
        f.modrmLiteral = b;
      } else if (f.vex) {
        f.opcode = b;
      } else if (mapBytes.length === 0 && (b === 0x66 || b === 0xf2 || b === 0xf3) && f.prefix === 0) {
        f.prefix = b; // mandatory prefix (F3 0F B8 POPCNT)
      } else if (b === 0x0f && mapBytes.length === 0) {
        mapBytes.push(b);
        f.map = 1;
      } else if (mapBytes.length === 1 && (b === 0x38 || b === 0x3a)) {
        mapBytes.push(b);
        f.map = b === 0x38 ? 2 : 3;
      } else {
        f.opcode = b;
      }
    } else throw new Error(`instruction table: unknown encoding token "${tok}" in row: ${row}`);
  }
  if (f.opcode < 0) throw new Error(`instruction table: no opcode in row: ${row}`);

  // Instruction column: mnemonic and operands.
  const sp = instruction.indexOf(' ');
  f.mnemonic = (sp < 0 ? instruction : instruction.slice(0, sp)).toLowerCase();
  const opText = sp < 0 ? '' : instruction.slice(sp + 1).trim();
  if (opText) f.operands = opText.split(',').map((t) => parseOperand(t, f.plusR, row));
  // With /r and no r/m operand, the general register goes in ModRM.rm (MOV r64, CR0–CR7).
  if (f.modrm && !f.operands.some((o) => o.loc === Loc.Rm || o.loc === Loc.Mem || o.loc === Loc.MemFar || o.loc === Loc.XmmRm)) {
    const gpr = f.operands.find((o) => o.loc === Loc.Reg);
    const other = f.operands.some((o) => o.loc === Loc.Cr || o.loc === Loc.Dr || o.loc === Loc.Sreg);
    if (gpr && (other || f.modrmLiteral < 0 && f.digit >= 0)) gpr.loc = Loc.RmReg;
  }
  if (f.operands.some((o) => o.loc === Loc.Mem || o.loc === Loc.MemFar)) f.rmKind = 1;
  else if (f.operands.some((o) => o.loc === Loc.RmReg || o.loc === Loc.St) || f.modrmLiteral >= 0) f.rmKind = 2;
  if (f.operands.some((o) => o.loc === Loc.Moffs)) f.imms.push('moffs');

  // Operand size, when the encoding column did not give it: from the sized operands.
  if (f.opSize === 0) {
    const sized = f.operands.find((o) => o.loc === Loc.Rm || o.loc === Loc.Reg || o.loc === Loc.OpReg ||
      o.loc === Loc.RmReg || o.loc === Loc.FixedReg && o.text.toUpperCase() !== 'DX' && o.text.toUpperCase() !== 'CL' ||
      o.loc === Loc.Moffs || o.loc === Loc.Vvvv);
    if (sized) f.opSize = sized.loc === Loc.Rm ? sized.regSize : sized.size;
  }

  // Attributes.
  for (const a of attributes.split(/\s+/).filter(Boolean)) {
    const eq = a.indexOf('=');
    const key = eq < 0 ? a : a.slice(0, eq);
    const val = eq < 0 ? '' : a.slice(eq + 1);
    const flags = () => [...val].reduce((acc, ch) => {
      const bit = FLAG_LETTERS[ch];
      if (bit === undefined) throw new Error(`instruction table: unknown flag "${ch}" in row: ${row}`);
      return acc | bit;
    }, 0);
    switch (key) {
      case 'lock': f.lock = true; break;
      case 'i64': f.i64 = true; break;
      case 'o64': f.o64 = true; break;
      case 'd64': f.d64 = true; break;
      case 'f64': f.f64 = true; break;
      case 'rep': f.rep = true; break;
      case 'repcc': f.repcc = true; break;
      case 'branch': f.branch = true; break;
      case 'stop': f.stop = true; break;
      case 'anysize': f.opSize = 0; break; // operand size ignored (MOV CR, LLDT …): the row matches every size
      case 'f': f.flagsWritten = flags(); break;
      case 'u': f.flagsUndefined = flags(); break;
      case 'r': f.flagsRead = flags(); break;
      case 'gas': f.gas = val; break;
      case 'cpuid': f.cpuid = val; break;
      case 'wait': f.wait = val; break;
      default: throw new Error(`instruction table: unknown attribute "${a}" in row: ${row}`);
    }
  }
  return f;
}

/** Condition-code names in SDM order (Jcc, SETcc, CMOVcc: SDM Vol.1 Appendix B). */
export const CC_NAMES = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
export { GPR8, GPR16, GPR32, GPR64 };
