// fpuState.ts: the x87 FPU, MMX and SSE register state (SDM Vol.1 §8.1, §9.2, §10.2) as typed arrays, so
// handlers touch it without allocating and the debugger can show it. Instruction semantics live in
// exec/fpu.ts and exec/fxsave.ts; this file holds the registers and the rules that only read them.

/** FSW bits (SDM Vol.1 §8.1.3, Figure 8-4). */
export const FSW_IE = 1 << 0;
export const FSW_SF = 1 << 6;
export const FSW_ES = 1 << 7;
export const FSW_C1 = 1 << 9;
export const FSW_TOP_SHIFT = 11;
export const FSW_TOP = 7 << FSW_TOP_SHIFT;
export const FSW_B = 1 << 15;
/** The six exception flags PE UE OE ZE DE IE; in FCW the matching bits are the masks. */
export const FSW_EXCEPTIONS = 0x3f;

/** FCW after FNINIT (SDM Vol.2A FINIT/FNINIT) and at power-up (SDM Vol.3A §10.1, Table 10-1). */
export const FCW_FNINIT = 0x037f;
export const FCW_POWER_UP = 0x0040;
/** MXCSR after RESET: all exceptions masked, round to nearest (SDM Vol.1 §10.2.3.1). */
export const MXCSR_RESET = 0x1f80;
/**
 * Bits of MXCSR that may be set: 15:0, DAZ included (SDM Vol.1 §11.6.6: MXCSR_MASK is FFFFh when DAZ is
 * supported; FXSAVE stores it, and setting any other bit is #GP(0)).
 */
export const MXCSR_MASK = 0xffff;

/** Tag values of the full tag word (SDM Vol.1 §8.1.7, Figure 8-7). */
export const TAG_VALID = 0;
export const TAG_ZERO = 1;
export const TAG_SPECIAL = 2;
export const TAG_EMPTY = 3;

export class FpuState {
  /** FCW: exception masks, precision and rounding control. */
  fcw = FCW_POWER_UP;
  /** FSW including TOP (bits 13:11), the condition codes, ES and B. */
  fsw = 0;
  /**
   * Which physical registers R0–R7 are not empty (bit i = Ri): the abridged tag of FXSAVE. The full tag word
   * of FNSTENV/FNSAVE is computed from the register contents (fullTag), as the processor does since the
   * Pentium Pro (SDM Vol.1 §8.1.7 and §10.5.1.1: only "empty" is kept; FLDENV/FRSTOR look at 11B only).
   */
  valid = 0xff;
  /** FOP: the last non-control instruction's opcode, 11 bits (SDM Vol.1 §8.1.9). */
  fop = 0;
  /** Last non-control instruction's pointer (FIP, 64 bits in halves) and its CS selector. */
  fipLo = 0; fipHi = 0; fcs = 0;
  /** Last non-control instruction's memory operand: offset (FDP) and segment selector (FDS). */
  fdpLo = 0; fdpHi = 0; fds = 0;
  /** R0–R7 as raw 80-bit values, 10 bytes each, little endian (R0 at 0; ST(i) is R((TOP+i) mod 8)). */
  readonly st = new Uint8Array(80);
  /** MXCSR (SDM Vol.1 §10.2.3). */
  mxcsr = MXCSR_RESET;
  /** XMM0–XMM15, 16 bytes each, little endian. */
  readonly xmm = new Uint8Array(256);

  /** State after RESET (SDM Vol.3A §10.1, Table 10-1, power-up/RESET column): registers +0.0, tags 01B. */
  reset(): void {
    this.fcw = FCW_POWER_UP;
    this.fsw = 0;
    this.valid = 0xff; // tag word 5555H: every register holds +0.0 (tag 01B), none is empty
    this.fop = 0;
    this.fipLo = this.fipHi = this.fcs = 0;
    this.fdpLo = this.fdpHi = this.fds = 0;
    this.st.fill(0);
    this.mxcsr = MXCSR_RESET;
    this.xmm.fill(0);
  }

  /** FNINIT's effect (SDM Vol.2A FINIT/FNINIT Operation): the data registers are left as they are. */
  init(): void {
    this.fcw = FCW_FNINIT;
    this.fsw = 0;
    this.valid = 0;
    this.fop = 0;
    this.fipLo = this.fipHi = this.fcs = 0;
    this.fdpLo = this.fdpHi = this.fds = 0;
  }

  get top(): number {
    return (this.fsw >> FSW_TOP_SHIFT) & 7;
  }

  set top(v: number) {
    this.fsw = (this.fsw & ~FSW_TOP) | ((v & 7) << FSW_TOP_SHIFT);
  }

  /**
   * ES and B follow the exception flags the control word leaves unmasked (SDM Vol.1 §8.1.3.1 and §8.4:
   * ES is set when any unmasked exception flag is set; B mirrors ES).
   */
  updateSummary(): void {
    if ((this.fsw & ~this.fcw & FSW_EXCEPTIONS) !== 0) this.fsw |= FSW_ES | FSW_B;
    else this.fsw &= ~(FSW_ES | FSW_B);
  }

  /** Tag of physical register r from its contents (SDM Vol.1 §8.1.7). */
  tagOf(r: number): number {
    if ((this.valid & (1 << r)) === 0) return TAG_EMPTY;
    const b = this.st, o = r * 10;
    const exponent = (b[o + 8] | (b[o + 9] << 8)) & 0x7fff;
    const mantissaZero = (b[o] | b[o + 1] | b[o + 2] | b[o + 3] | b[o + 4] | b[o + 5] | b[o + 6] | b[o + 7]) === 0;
    if (exponent === 0x7fff) return TAG_SPECIAL; // infinity, NaN
    if (exponent === 0) return mantissaZero ? TAG_ZERO : TAG_SPECIAL; // zero, (pseudo-)denormal
    return (b[o + 7] & 0x80) !== 0 ? TAG_VALID : TAG_SPECIAL; // J bit clear: unnormal
  }

  /** The full 16-bit tag word, two bits per physical register. */
  fullTag(): number {
    let t = 0;
    for (let r = 0; r < 8; r++) t |= this.tagOf(r) << (2 * r);
    return t;
  }

  /** Loads a full tag word: only "empty" (11B) matters (SDM Vol.2A FLDENV, FRSTOR). */
  setFullTag(t: number): void {
    let v = 0;
    for (let r = 0; r < 8; r++) if (((t >> (2 * r)) & 3) !== TAG_EMPTY) v |= 1 << r;
    this.valid = v;
  }
}
