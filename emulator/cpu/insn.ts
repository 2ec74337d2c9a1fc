// insn.ts: one decoded instruction. The decoder fills it once; the block cache keeps it and the run
// loop hands it to its handler every time it executes, so nothing here is allocated per step.
import type { Form } from '../isa/form';
import type { Cpu } from './state';

export type Handler = (cpu: Cpu, i: Insn) => void;

/**
 * Handlers that neither read nor write RIP (nor deliver anything that does): inside a translated block
 * (translate.ts) RIP is stored before an instruction only when its handler is not in this set.
 */
export const RIP_FREE = new WeakSet<Handler>();

/**
 * Per-instruction specialisers: for a registered handler, picks an equivalent handler specialised for
 * the decoded instruction (register or memory operand, condition code …). The block builder applies it
 * once per decoded instruction; the result must behave exactly like the registered handler.
 */
export const SPECIALISE = new Map<Handler, (i: Insn) => Handler>();

/** How the effective address is formed (decode.ts picks it once; access.ts switches on it). */
export enum EaKind {
  None,     // no memory operand
  Abs,      // disp only (also RIP-relative and moffs, resolved at decode): dispLo/dispHi
  Base64,   // 64-bit: base + disp
  Full64,   // 64-bit: base + index << scale + disp (base may be -1)
  Addr32,   // 32-bit address size: wraps at 2^32
  Addr16,   // 16-bit address size: wraps at 2^16
}

export class Insn {
  fn: Handler;
  form: Form;
  /** Length in bytes, prefixes included. */
  len = 0;
  /** RIP of the next instruction, and the target of a relative branch. */
  nextLo = 0; nextHi = 0;
  targetLo = 0; targetHi = 0;
  /** Effective operand and address sizes in bits. */
  opSize = 32;
  addrSize = 32;
  /** ModRM fields, extended by REX. Byte registers: 0–15 low bytes, 16–19 AH, CH, DH, BH. */
  mod = 3;
  reg = 0;
  rm = 0;
  /** Effective address: base/index register (-1 none), scale as a shift, sign-extended displacement. */
  ea = EaKind.None;
  base = -1;
  index = -1;
  scale = 0;
  dispLo = 0; dispHi = 0;
  /** Segment of the memory operand (Seg), after any override. */
  seg = 3;
  /** Segment override prefix (Seg), or -1. */
  segOverride = -1;
  /** Immediates: imm sign- or zero-extended per the form into lo/hi; imm2 is ENTER's level or a far selector. */
  immLo = 0; immHi = 0;
  imm2 = 0;
  /** VEX.vvvv register. */
  vvvv = 0;
  /** Condition code of Jcc/SETcc/CMOVcc rows. */
  cc = 0;
  /** 0, 0xF2 or 0xF3 when that prefix repeats this instruction. */
  rep = 0;
  lock = false;
  /** REX byte (0 if none). */
  rex = 0;
  /** Index in its decoded block: cpu.icount + pos instructions have retired before this one runs. */
  pos = 0;

  constructor(fn: Handler, form: Form) {
    this.fn = fn;
    this.form = form;
  }
}
