// support/encode.ts: builds the bytes of one instruction form with chosen operands, from the table row,
// so tests can cover every form without hand-written hex. (The assembler has its own encoder; this one
// only needs to produce *a* valid encoding of each row, checked by decoding it back.)
import { Form, Loc } from '../../emulator/isa/form';

export interface EncodeOperands {
  /** ModRM.reg register (or the +r / Vvvv register for those forms, see below). */
  reg?: number;
  /** Register in ModRM.rm (mod = 11b), or -1 to use `mem`. */
  rm?: number;
  /** Memory operand: base register (-1 none: disp32 absolute), optional index/scale, displacement. */
  mem?: { base: number; index?: number; scale?: number; disp?: number };
  /** Register for +r opcodes. */
  opReg?: number;
  /** VEX.vvvv register. */
  vvvv?: number;
  /** Immediate values in encoding order (ib/iw/id/io, rel offsets as raw values, far pointer offset then selector). */
  imms?: (number | bigint)[];
  /** Condition code for +cc forms. */
  cc?: number;
  /** Extra legacy prefixes placed first (e.g. 0xF3 for REP, 0xF0 for LOCK). */
  prefixes?: number[];
}

/** Encodes `form` for a processor in `mode` (16, 32 or 64-bit code). */
export function encode(form: Form, mode: 16 | 32 | 64, o: EncodeOperands = {}): Uint8Array {
  const out: number[] = [...(o.prefixes ?? [])];
  const size = form.opSize;
  const defaultSize = mode === 16 ? 16 : 32;
  // Operand-size prefix when the row's size differs from the mode's default.
  if (!form.vex && form.prefix !== 0x66 && (size === 16 && mode !== 16 || size === 32 && mode === 16)) out.push(0x66);
  if (!form.vex && form.addrSize !== 0 && form.addrSize !== (mode === 64 ? 64 : defaultSize)) out.push(0x67);
  if (!form.vex && form.prefix > 0) out.push(form.prefix);
  const byteRegs = form.operands.some((op) => op.size === 8 && (op.loc === Loc.Reg || op.loc === Loc.Rm || op.loc === Loc.OpReg));
  const reg = o.reg ?? form.digit;
  const rmReg = o.rm ?? (o.mem ? -1 : 0);
  const mem = rmReg < 0 ? o.mem ?? { base: -1, disp: 0 } : null;
  const opReg = o.opReg ?? 0;
  let rex = 0;
  if (mode === 64 && size === 64 && !form.d64 && !form.f64 && !form.vex && /REX\.W/.test(form.row.split('|')[1])) rex |= 0x48;
  const r = form.digit >= 0 ? form.digit : Math.max(reg, 0);
  if (r & 8) rex |= 0x44;
  if (form.plusR && opReg & 8) rex |= 0x41;
  if (mem) {
    if (mem.base >= 8) rex |= 0x41;
    if ((mem.index ?? -1) >= 8) rex |= 0x42;
  } else if (!form.plusR && rmReg & 8) rex |= 0x41;
  // SPL, BPL, SIL, DIL need a REX prefix to be named at all.
  if (mode === 64 && byteRegs && (r >= 4 && r < 8 && form.operands.some((op) => op.loc === Loc.Reg) ||
    !mem && rmReg >= 4 && rmReg < 8 || form.plusR && opReg >= 4 && opReg < 8)) rex |= 0x40;

  if (form.vex) {
    const v = form.vex;
    const R = r & 8 ? 0 : 0x80, X = mem && (mem.index ?? -1) >= 8 ? 0 : 0x40, B = (mem ? mem.base >= 8 : rmReg >= 8) ? 0 : 0x20;
    const pp = [0, 0x66, 0xf3, 0xf2].indexOf(v.pp);
    const W = (v.w === 1 || size === 64) && mode === 64 ? 0x80 : 0;
    out.push(0xc4, R | X | B | form.map, W | ((~(form.operands.some((op) => op.loc === Loc.Vvvv) ? o.vvvv ?? 0 : 0) & 15) << 3) | (v.l === 1 ? 4 : 0) | pp);
  } else {
    if (rex) out.push(rex);
    if (form.map >= 1) out.push(0x0f);
    if (form.map === 2) out.push(0x38);
    if (form.map === 3) out.push(0x3a);
  }
  out.push(form.opcode + (form.plusR ? opReg & 7 : 0) + (form.plusCC ? o.cc ?? 0 : 0));
  if (form.modrmLiteral >= 0) out.push(form.modrmLiteral);
  else if (form.modrm) {
    const regField = (r & 7) << 3;
    if (!mem) out.push(0xc0 | regField | (rmReg & 7));
    else if (mode === 16) {
      // 16-bit forms: [bx+si+disp16] when a base is given, else [disp16].
      if (mem.base < 0) out.push(regField | 6, (mem.disp ?? 0) & 0xff, ((mem.disp ?? 0) >> 8) & 0xff);
      else out.push(0x80 | regField | 0, (mem.disp ?? 0) & 0xff, ((mem.disp ?? 0) >> 8) & 0xff);
    } else {
      const disp = mem.disp ?? 0;
      const index = mem.index ?? -1;
      if (mem.base < 0) {
        // [disp32] through a SIB with no base (not RIP-relative in 64-bit mode).
        out.push(regField | 4, 0x25 | ((index >= 0 ? index & 7 : 4) << 3) | ((mem.scale ?? 0) << 6));
        pushImm(out, disp, 4);
      } else {
        const small = disp >= -128 && disp < 128;
        const modBits = small ? 0x40 : 0x80;
        if (index >= 0 || (mem.base & 7) === 4) {
          out.push(modBits | regField | 4, ((mem.scale ?? 0) << 6) | ((index >= 0 ? index & 7 : 4) << 3) | (mem.base & 7));
        } else {
          out.push(modBits | regField | (mem.base & 7));
        }
        pushImm(out, disp, small ? 1 : 4);
      }
    }
  }
  const imms = o.imms ?? [];
  let k = 0;
  for (const t of form.imms) {
    const v = imms[k++] ?? 0;
    switch (t) {
      case 'ib': case 'cb': pushImm(out, v, 1); break;
      case 'iw': case 'cw': pushImm(out, v, 2); break;
      case 'id': pushImm(out, v, 4); break;
      case 'cd': pushImm(out, v, form.operands.some((op) => op.loc === Loc.Ptr) ? 2 : 4); break;
      case 'cp': pushImm(out, v, 4); break;
      case 'io': pushImm(out, v, 8); break;
      case 'moffs': pushImm(out, v, (form.addrSize || (mode === 64 ? 64 : defaultSize)) / 8); break;
    }
    if (form.operands.some((op) => op.loc === Loc.Ptr) && (t === 'cd' || t === 'cp')) pushImm(out, imms[k++] ?? 0, 2);
  }
  return Uint8Array.from(out);
}

function pushImm(out: number[], v: number | bigint, bytes: number): void {
  let b = BigInt.asUintN(64, BigInt(v));
  for (let k = 0; k < bytes; k++) {
    out.push(Number(b & 0xffn));
    b >>= 8n;
  }
}
