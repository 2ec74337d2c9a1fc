// decode.ts: x86 instruction decoder for 16-, 32- and 64-bit code, driven by the instruction table.
// Prefixes, REX, VEX, ModRM/SIB, displacements and immediates (SDM Vol.2 chapter 2). It never throws a
// JavaScript error for any byte string: an invalid encoding decodes to BAD (the handler raises #UD),
// a too-long one to TOO_LONG (#GP(0), SDM Vol.2 §2.3.11). Only a fault fetching a byte propagates.
import { Form, Loc, parseForm } from '../isa/form';
import { LEGACY, VEX } from '../isa/table';
import { EaKind, Insn } from './insn';
import { CodeSize, Seg } from './state';

/** Instruction bytes, read at offsets from the instruction's first byte. May throw a CpuFault (#PF). */
export interface CodeBytes {
  byte(offset: number): number;
}

/** Pseudo-forms for encodings that do not decode: not in the table, never assembled. */
export const BAD: Form = parseForm('(bad) | 0F 0B | UD | ', -1);
export const TOO_LONG: Form = parseForm('(too-long) | 0F 0B | UD | ', -2);

/** Which CPUID-gated forms exist on this processor (names as in the table's cpuid= attribute). */
export interface DecodeFeatures {
  has(feature: string): boolean;
}

const MAX_LENGTH = 15;

// 16-bit ModRM addressing (SDM Vol.2 Table 2-1): base and index per rm; BP-based forms default to SS.
const BASE16 = [3, 3, 5, 5, -1, -1, 5, 3]; // BX BX BP BP - - BP BX
const INDEX16 = [6, 7, 6, 7, 6, 7, -1, -1]; // SI DI SI DI SI DI - -

class TooLong {}
const tooLong = new TooLong();

/** Decoder state for one instruction: kept between calls to avoid allocation. */
class Cursor {
  src: CodeBytes = { byte: () => 0 };
  p = 0;
  next(): number {
    if (this.p >= MAX_LENGTH) throw tooLong;
    return this.src.byte(this.p++) & 0xff;
  }
  peek(): number {
    if (this.p >= MAX_LENGTH) throw tooLong;
    return this.src.byte(this.p) & 0xff;
  }
  imm(bytes: number): number {
    let v = 0;
    for (let k = 0; k < bytes; k++) v |= this.next() << (8 * k);
    return v;
  }
}
const cur = new Cursor();

/** Adds a sign-extended 32-bit value to a 64-bit pair; returns lo and leaves hi in addHi. */
let addHi = 0;
function add64(lo: number, hi: number, v: number, vHi: number): number {
  const s = (lo >>> 0) + (v >>> 0);
  addHi = (hi + vHi + (s > 0xffffffff ? 1 : 0)) | 0;
  return s | 0;
}

function byteReg(n: number, rex: number): number {
  return rex === 0 && n >= 4 && n < 8 ? 16 + n - 4 : n;
}

function effectiveOpSize(f: Form, size: CodeSize, rexW: boolean, osp: boolean): number {
  if (size === CodeSize.Bits64) {
    if (f.f64 || rexW) return 64;
    if (osp) return 16;
    return f.d64 ? 64 : 32;
  }
  const def = size === CodeSize.Bits16 ? 16 : 32;
  return osp ? 48 - def : def;
}

/**
 * Decodes the instruction at rip (lo/hi) from `src` into `i` (i.fn is left for the caller to set).
 * `size` is the code size of the current mode (CS.D / CS.L).
 */
export function decode(src: CodeBytes, size: CodeSize, ripLo: number, ripHi: number, features: DecodeFeatures, i: Insn): void {
  cur.src = src;
  cur.p = 0;
  try {
    decodeInto(size, ripLo, ripHi, features, i);
  } catch (e) {
    if (e !== tooLong) throw e;
    i.form = TOO_LONG;
    i.len = MAX_LENGTH + 1;
  }
}

function decodeInto(size: CodeSize, ripLo: number, ripHi: number, features: DecodeFeatures, i: Insn): void {
  const mode64 = size === CodeSize.Bits64;
  let osp = false, asp = false, lock = false, rep = 0, seg = -1, rex = 0;
  let b: number;
  // Legacy prefixes in any order, then REX (64-bit mode), which counts only right before the opcode.
  for (;;) {
    b = cur.next();
    if (b === 0x66) osp = true;
    else if (b === 0x67) asp = true;
    else if (b === 0xf0) lock = true;
    else if (b === 0xf2 || b === 0xf3) rep = b;
    else if (b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e) seg = (b >> 3) & 3;
    else if (b === 0x64 || b === 0x65) seg = b - 0x60;
    else if (mode64 && (b & 0xf0) === 0x40) { rex = b; continue; }
    else break;
    rex = 0;
  }
  const rexW = (rex & 8) !== 0;
  const rexR = (rex & 4) << 1, rexX = (rex & 2) << 2, rexB = (rex & 1) << 3;

  // Opcode map, or a VEX prefix (C4/C5 are LES/LDS outside 64-bit mode unless ModRM.mod is 11b).
  let map: number, opcode: number, vexL = 0, vexW = 0, vexPP = 0, vvvv = 0;
  let candidates: Form[];
  let vexR = 0, vexX = 0, vexB = 0, isVex = false;
  if ((b === 0xc4 || b === 0xc5) && size !== CodeSize.Bits16 && (mode64 || (cur.peek() & 0xc0) === 0xc0)) {
    isVex = true;
    const b1 = cur.next();
    vexR = (~b1 >> 4) & 8;
    if (b === 0xc5) {
      map = 1;
      vvvv = (~b1 >> 3) & 15;
      vexL = (b1 >> 2) & 1;
      vexPP = b1 & 3;
    } else {
      vexX = (~b1 >> 3) & 8;
      vexB = (~b1 >> 2) & 8;
      map = b1 & 31;
      const b2 = cur.next();
      vexW = b2 >> 7;
      vvvv = (~b2 >> 3) & 15;
      vexL = (b2 >> 2) & 1;
      vexPP = b2 & 3;
    }
    if (!mode64) { vexR = vexX = vexB = 0; vvvv &= 7; vexW = 0; }
    opcode = cur.next();
    // VEX with a 66/F2/F3/LOCK/REX prefix is #UD (SDM Vol.2 §2.3.2).
    candidates = map >= 1 && map <= 3 && !osp && !rep && !lock && rex === 0 ? VEX[map][opcode] : [];
  } else if (b === 0x0f) {
    const b2 = cur.next();
    if (b2 === 0x38 || b2 === 0x3a) {
      map = b2 === 0x38 ? 2 : 3;
      opcode = cur.next();
    } else {
      map = 1;
      opcode = b2;
    }
    candidates = LEGACY[map][opcode];
  } else {
    opcode = b;
    candidates = LEGACY[0][opcode];
  }

  i.rex = rex;
  i.lock = lock;
  i.segOverride = seg;
  if (candidates.length === 0) return bad(i);

  let modrm = -1, mod = 3, reg = 0, rm = 0;
  if (candidates[0].modrm) {
    modrm = cur.next();
    mod = modrm >> 6;
    reg = (modrm >> 3) & 7;
    rm = modrm & 7;
  }
  const addrSize = mode64 ? (asp ? 32 : 64) : size === CodeSize.Bits32 ? (asp ? 16 : 32) : (asp ? 32 : 16);

  // First matching row: candidates are ordered most specific first (table.ts).
  let form: Form | null = null;
  let opSize = 0;
  for (const f of candidates) {
    if (f.i64 && mode64 || f.o64 && !mode64) continue;
    // 90 with REX.B is XCHG r8, rAX, not NOP (SDM Vol.2 XCHG: "90+rd … REX.B"); F3 90 stays PAUSE.
    if (rexB && f.prefix === -1 && !f.plusR && candidates === LEGACY[0][0x90]) continue;
    if (f.digit >= 0 && f.digit !== reg) continue;
    if (f.modrmLiteral >= 0 && f.modrmLiteral !== modrm) continue;
    if (f.rmKind === 1 && mod === 3 || f.rmKind === 2 && mod !== 3 && !f.operands.some((o) => o.loc === Loc.Cr || o.loc === Loc.Dr)) continue;
    if (f.addrSize !== 0 && f.addrSize !== addrSize) continue;
    if (f.cpuid !== null && !features.has(f.cpuid)) continue;
    let ospForSize = osp;
    if (isVex) {
      const v = f.vex!;
      if (v.pp !== [0, 0x66, 0xf3, 0xf2][vexPP] || v.l >= 0 && v.l !== vexL || v.w >= 0 && v.w !== vexW) continue;
      // VEX.vvvv unused by the form must be 1111b, else #UD (SDM Vol.2 §2.3.6).
      if (vvvv !== 0 && !f.operands.some((o) => o.loc === Loc.Vvvv)) continue;
    } else if (f.prefix === -1) {
      if (osp || rep) continue;
    } else if (f.prefix === 0x66) {
      if (!osp) continue;
      ospForSize = false;
    } else if (f.prefix !== 0) {
      if (rep !== f.prefix) continue;
    }
    const eff = isVex ? (vexW ? 64 : 32) : effectiveOpSize(f, size, rexW, ospForSize);
    if (f.opSize !== 0 && f.opSize !== 8 && f.opSize !== eff) continue;
    form = f;
    opSize = f.opSize === 8 ? 8 : eff;
    break;
  }
  if (form === null) return bad(i);
  // LOCK only on the lockable forms, and only with a memory destination (SDM Vol.2 LOCK).
  if (lock && (!form.lock || mod === 3)) return bad(i);

  i.form = form;
  i.opSize = opSize;
  i.addrSize = addrSize;
  i.rep = form.prefix === 0xf2 || form.prefix === 0xf3 ? 0 : rep;
  i.cc = form.plusCC ? opcode & 15 : 0;
  i.vvvv = vvvv;
  i.mod = mod;
  i.ea = EaKind.None;
  i.base = i.index = -1;
  i.scale = 0;
  i.dispLo = i.dispHi = 0;
  i.immLo = i.immHi = i.imm2 = 0;

  // Registers. Byte registers without REX use AH..BH for 4..7.
  const xr = isVex ? vexR : rexR, xx = isVex ? vexX : rexX, xb = isVex ? vexB : rexB;
  let regIsByte = false, rmIsByte = false;
  let memOperand = false;
  for (const o of form.operands) {
    if (o.loc === Loc.Reg && o.size === 8) regIsByte = true;
    if ((o.loc === Loc.Rm && o.regSize === 8) || (o.loc === Loc.OpReg && o.size === 8)) rmIsByte = true;
    if (o.loc === Loc.Rm || o.loc === Loc.Mem || o.loc === Loc.MemFar || o.loc === Loc.XmmRm) memOperand = true;
  }
  i.reg = regIsByte ? byteReg(reg | xr, rex) : reg | xr;
  if (form.plusR) {
    const r = (opcode & 7) | xb;
    i.rm = rmIsByte ? byteReg(r, rex) : r;
  } else {
    i.rm = rmIsByte && mod === 3 ? byteReg(rm | xb, rex) : rm | xb;
  }
  if (form.operands.some((o) => o.loc === Loc.RmReg)) {
    i.mod = 3; // MOV to/from CR/DR: the mod bits are ignored (SDM Vol.2 MOV—Move to/from Control Registers)
  } else if (memOperand && mod !== 3) {
    decodeEa(i, mod, rm, xb, xx, addrSize, mode64);
  }

  // Immediates, relative offsets, far pointers and moffs, in encoding order.
  let relLo = 0, relHi = 0, hasRel = false, firstImm = true;
  for (const t of form.imms) {
    switch (t) {
      case 'ib': {
        const v = (cur.next() << 24) >> 24;
        if (firstImm) { i.immLo = v; i.immHi = v >> 31; } else i.imm2 = v & 0xff;
        break;
      }
      case 'iw': {
        const v = (cur.imm(2) << 16) >> 16;
        i.immLo = v; i.immHi = v >> 31;
        break;
      }
      case 'id': { const v = cur.imm(4); i.immLo = v; i.immHi = v >> 31; break; }
      case 'io': i.immLo = cur.imm(4); i.immHi = cur.imm(4); break;
      case 'cb': relLo = (cur.next() << 24) >> 24; relHi = relLo >> 31; hasRel = true; break;
      case 'cw':
      case 'cd':
      case 'cp': {
        const ptr = form.operands.some((o) => o.loc === Loc.Ptr);
        if (ptr) {
          i.immLo = t === 'cp' ? cur.imm(4) : cur.imm(2);
          i.imm2 = cur.imm(2);
        } else {
          relLo = t === 'cw' ? (cur.imm(2) << 16) >> 16 : cur.imm(4);
          relHi = relLo >> 31;
          hasRel = true;
        }
        break;
      }
      case 'moffs': {
        i.ea = EaKind.Abs;
        i.seg = seg >= 0 ? seg : Seg.DS;
        if (addrSize === 64) { i.dispLo = cur.imm(4); i.dispHi = cur.imm(4); }
        else { i.dispLo = cur.imm(addrSize / 8) >>> 0 | 0; i.dispHi = 0; }
        break;
      }
    }
    firstImm = false;
  }

  // Next RIP, wrapped to the code size (IP wraps at 64 KiB in 16-bit code, EIP at 4 GiB).
  i.len = cur.p;
  if (mode64) {
    i.nextLo = add64(ripLo, ripHi, i.len, 0);
    i.nextHi = addHi;
  } else {
    i.nextLo = size === CodeSize.Bits16 ? (ripLo + i.len) & 0xffff : (ripLo + i.len) | 0;
    i.nextHi = 0;
  }
  if (hasRel) {
    let t = add64(i.nextLo, i.nextHi, relLo, relHi);
    let tHi = addHi;
    if (opSize === 16) { t &= 0xffff; tHi = 0; } else if (opSize === 32 || !mode64) tHi = 0;
    i.targetLo = t;
    i.targetHi = tHi;
  }
  // RIP-relative: resolved now that the instruction length is known.
  if (i.ea === EaKind.Abs && i.base === -2) {
    i.dispLo = add64(i.nextLo, i.nextHi, i.dispLo, i.dispHi);
    i.dispHi = addrSize === 32 ? 0 : addHi; // with 67h, RIP-relative uses EIP (SDM Vol.2 §2.2.1.6)
    i.base = -1;
  }
}

function decodeEa(i: Insn, mod: number, rm: number, xb: number, xx: number, addrSize: number, mode64: boolean): void {
  const seg = i.segOverride;
  if (addrSize === 16) {
    let disp = 0;
    let base = BASE16[rm];
    const index = INDEX16[rm];
    if (mod === 0 && rm === 6) { base = -1; disp = cur.imm(2); }
    else if (mod === 1) disp = (cur.next() << 24) >> 24;
    else if (mod === 2) disp = (cur.imm(2) << 16) >> 16;
    i.base = base;
    i.index = index;
    i.dispLo = disp;
    i.ea = EaKind.Addr16;
    i.seg = seg >= 0 ? seg : base === 5 ? Seg.SS : Seg.DS;
    return;
  }
  let base = -1, index = -1, scale = 0, disp = 0, ripRel = false;
  if (rm === 4) {
    const sib = cur.next();
    scale = sib >> 6;
    index = ((sib >> 3) & 7) | xx;
    if (index === 4) index = -1; // no index (REX.X with 100b selects r12)
    base = (sib & 7) | xb;
    if ((sib & 7) === 5 && mod === 0) { base = -1; disp = cur.imm(4); }
  } else if (rm === 5 && mod === 0) {
    disp = cur.imm(4);
    ripRel = mode64;
  } else {
    base = rm | xb;
  }
  if (mod === 1) disp = (cur.next() << 24) >> 24;
  else if (mod === 2) disp = cur.imm(4);
  i.base = base;
  i.index = index;
  i.scale = scale;
  i.dispLo = disp;
  i.dispHi = addrSize === 64 ? disp >> 31 : 0;
  i.seg = seg >= 0 ? seg : base === 4 || base === 5 ? Seg.SS : Seg.DS;
  if (mode64 && seg >= 0 && seg < 4) i.seg = base === 4 || base === 5 ? Seg.SS : Seg.DS; // ignored in 64-bit mode
  if (ripRel) {
    i.ea = EaKind.Abs;
    i.base = -2; // resolved to an absolute address once the length is known
    i.dispHi = disp >> 31;
  } else if (addrSize === 64) {
    i.ea = base < 0 && index < 0 ? EaKind.Abs : index < 0 ? EaKind.Base64 : EaKind.Full64;
  } else {
    i.ea = EaKind.Addr32;
  }
}

function bad(i: Insn): void {
  i.form = BAD;
  i.len = cur.p;
}
