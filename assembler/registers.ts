// registers.ts: AT&T register names (GAS manual §9.16.3.5 "Register Naming") and what they encode to.
import { GPR16, GPR32, GPR64, GPR8, SREG_NAMES } from '../emulator/isa/form';

export type RegKind = 'gpr' | 'sreg' | 'cr' | 'dr' | 'rip' | 'st' | 'xmm';

export interface Reg {
  kind: RegKind;
  name: string;
  /** Width in bits (general registers, rip/eip); 16 for segment registers. */
  size: number;
  /** Encoding number 0–15 (AH..BH are 4..7 with hi8 set). */
  num: number;
  /** AH, CH, DH, BH: cannot be encoded with a REX prefix (SDM Vol.2 §2.2.1.2). */
  hi8: boolean;
  /** SPL, BPL, SIL, DIL: need a REX prefix. */
  needsRex: boolean;
}

const REGS = new Map<string, Reg>();

function add(name: string, kind: RegKind, size: number, num: number, hi8 = false, needsRex = false): void {
  REGS.set(name, { kind, name, size, num, hi8, needsRex });
}

GPR8.forEach((n, k) => add(n, 'gpr', 8, k, k >= 4));
['spl', 'bpl', 'sil', 'dil'].forEach((n, k) => add(n, 'gpr', 8, k + 4, false, true));
GPR16.forEach((n, k) => add(n, 'gpr', 16, k));
GPR32.forEach((n, k) => add(n, 'gpr', 32, k));
GPR64.forEach((n, k) => add(n, 'gpr', 64, k));
for (let k = 8; k < 16; k++) {
  add(`r${k}b`, 'gpr', 8, k);
  add(`r${k}l`, 'gpr', 8, k);
  add(`r${k}w`, 'gpr', 16, k);
  add(`r${k}d`, 'gpr', 32, k);
  add(`r${k}`, 'gpr', 64, k);
}
SREG_NAMES.forEach((n, k) => add(n, 'sreg', 16, k));
for (let k = 0; k < 16; k++) {
  add(`cr${k}`, 'cr', 64, k);
  add(`db${k}`, 'dr', 64, k);
  add(`dr${k}`, 'dr', 64, k);
}
// x87 registers (GAS manual §9.16.3.5): %st is %st(0); operands.ts reads the `(i)` that follows %st.
add('st', 'st', 80, 0);
for (let k = 0; k < 8; k++) add(`st(${k})`, 'st', 80, k);
for (let k = 0; k < 16; k++) add(`xmm${k}`, 'xmm', 128, k);
add('rip', 'rip', 64, 0);
add('eip', 'rip', 32, 0);

export function register(name: string): Reg | undefined {
  return REGS.get(name);
}

/** Whether encoding the register needs REX bits, so it exists only in 64-bit mode. */
export function is64Only(r: Reg): boolean {
  return r.kind === 'rip' || r.num >= 8 || r.needsRex || (r.kind === 'gpr' && r.size === 64);
}
