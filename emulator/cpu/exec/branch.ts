// exec/branch.ts: near JMP, CALL, RET, Jcc, JCXZ/JECXZ/JRCXZ, LOOP/LOOPE/LOOPNE (SDM Vol.2A/2B).
// decode.ts precomputes the target of a relative branch (i.targetLo/Hi, truncated to 16 bits for a
// 16-bit operand size). In 64-bit mode near branches always use a 64-bit operand size (Intel
// behaviour, SDM Vol.2 §2.2.1.7 and JMP/CALL/RET: "In 64-bit mode … operand size is fixed at 64
// bits"; the table marks them f64). AMD processors honour 66h there instead; we do not.
import { readRm, setRegSized } from '../access';
import { Vector, raise } from '../fault';
import { cf, condition, of, pf, sf, zf } from '../flags';
import { peek, push, release } from '../stack';
import { Cpu, Reg, Seg } from '../state';
import { Handler, Insn, SPECIALISE } from '../insn';
import { traceNearCall, traceNearRet } from '../../debug/callTrace';

/**
 * Checks a near-branch target (SDM Vol.2 JMP/CALL/RET Operation): in 64-bit mode it must be canonical,
 * otherwise within the CS limit; #GP(0) if not. Called before any state changes.
 */
function checkTarget(cpu: Cpu, lo: number, hi: number): void {
  if (cpu.long64) {
    // Canonical: bits 63 down to the highest implemented bit (47, or 56 with LA57) all equal.
    const shift = 64 - cpu.linearBits;
    if (((hi << shift) >> shift) !== hi) raise(Vector.GP, 0, 'near branch to a non-canonical address');
    return;
  }
  if ((lo >>> 0) > (cpu.segLimit[Seg.CS] >>> 0)) raise(Vector.GP, 0, 'near branch target beyond the CS limit');
}

function go(cpu: Cpu, lo: number, hi: number): void {
  cpu.ripLo = lo;
  cpu.ripHi = hi;
}

/** JMP rel8/rel16/rel32. */
const jmpRel: Handler = (cpu, i) => {
  checkTarget(cpu, i.targetLo, i.targetHi);
  go(cpu, i.targetLo, i.targetHi);
};

/** The r/m target of JMP/CALL r/m16/32/64, zero-extended; hi in cpu.tmpHi. */
function rmTarget(cpu: Cpu, i: Insn): number {
  const size = i.opSize;
  const v = readRm(cpu, i, size);
  if (size !== 64) cpu.tmpHi = 0;
  return size === 16 ? v & 0xffff : v;
}

/** JMP r/m: the target is an absolute offset. */
const jmpRm: Handler = (cpu, i) => {
  const lo = rmTarget(cpu, i);
  const hi = cpu.tmpHi;
  checkTarget(cpu, lo, hi);
  go(cpu, lo, hi);
};

/** Pushes the return address (the next instruction's IP/EIP/RIP at the operand size). */
function pushReturn(cpu: Cpu, i: Insn): void {
  push(cpu, i.opSize, i.opSize === 16 ? i.nextLo & 0xffff : i.nextLo, i.nextHi);
}

/** CALL rel: the target is checked before the return address is pushed (SDM CALL Operation). */
const callRel: Handler = (cpu, i) => {
  checkTarget(cpu, i.targetLo, i.targetHi);
  pushReturn(cpu, i);
  go(cpu, i.targetLo, i.targetHi);
  if (cpu.calls !== null) traceNearCall(cpu, i);
};

/** CALL r/m: the target is read (with the old RSP) before the push. */
const callRm: Handler = (cpu, i) => {
  const lo = rmTarget(cpu, i);
  const hi = cpu.tmpHi;
  checkTarget(cpu, lo, hi);
  pushReturn(cpu, i);
  go(cpu, lo, hi);
  if (cpu.calls !== null) traceNearCall(cpu, i);
};

/** RET / RET imm16: pop the return address, then release imm16 more bytes (SDM RET Operation). */
function ret(withImm: boolean): Handler {
  return (cpu, i) => {
    const size = i.opSize;
    let lo = peek(cpu, size, 0);
    let hi = size === 64 ? cpu.tmpHi : 0;
    if (size === 16) lo &= 0xffff;
    if (size !== 64) hi = 0;
    checkTarget(cpu, lo, hi);
    release(cpu, (size >> 3) + (withImm ? i.immLo & 0xffff : 0));
    go(cpu, lo, hi);
    if (cpu.calls !== null) traceNearRet(cpu, i);
  };
}

/** Jcc: condition codes as SDM Vol.1 Appendix B. */
const jcc: Handler = (cpu, i) => {
  if (!condition(cpu, i.cc)) return;
  checkTarget(cpu, i.targetLo, i.targetHi);
  go(cpu, i.targetLo, i.targetHi);
};

/** JCXZ/JECXZ/JRCXZ: the counter is CX, ECX or RCX by the address size (the rows carry a16/a32/a64). */
const jcxz: Handler = (cpu, i) => {
  const c = i.addrSize === 16 ? cpu.lo[Reg.RCX] & 0xffff : i.addrSize === 32 ? cpu.lo[Reg.RCX] : cpu.lo[Reg.RCX] | cpu.hi[Reg.RCX];
  if (c !== 0) return;
  checkTarget(cpu, i.targetLo, i.targetHi);
  go(cpu, i.targetLo, i.targetHi);
};

enum LoopKind { Plain, WhileEqual, WhileNotEqual }

/**
 * LOOP/LOOPE/LOOPNE (SDM Vol.2A LOOP/LOOPcc): decrement the counter chosen by the address size (CX,
 * ECX, RCX) without touching the flags; branch if it is not zero (and ZF = 1 / ZF = 0). The target is
 * checked before the counter is written, so a #GP leaves the counter as it was.
 */
function loop(kind: LoopKind): Handler {
  return (cpu, i) => {
    const a = i.addrSize;
    let lo = cpu.lo[Reg.RCX], hi = cpu.hi[Reg.RCX];
    let nonzero: boolean;
    if (a === 16) { lo = (lo - 1) & 0xffff; nonzero = lo !== 0; }
    else if (a === 32) { lo = (lo - 1) | 0; nonzero = lo !== 0; }
    else {
      if (lo === 0) hi = (hi - 1) | 0;
      lo = (lo - 1) | 0;
      nonzero = (lo | hi) !== 0;
    }
    let taken = nonzero;
    if (taken && kind !== LoopKind.Plain) taken = zf(cpu) === (kind === LoopKind.WhileEqual);
    if (taken) checkTarget(cpu, i.targetLo, i.targetHi);
    setRegSized(cpu, Reg.RCX, a, lo, hi);
    if (taken) go(cpu, i.targetLo, i.targetHi);
  };
}

export const handlers: Record<string, Handler> = {
  jmp_rel8: jmpRel, jmp_rel16: jmpRel, jmp_rel32: jmpRel, jmp_rel32_64: jmpRel,
  jmp_rm16: jmpRm, jmp_rm32: jmpRm, jmp_rm64: jmpRm,
  call_rel16: callRel, call_rel32: callRel, call_rel32_64: callRel,
  call_rm16: callRm, call_rm32: callRm, call_rm64: callRm,
  ret16: ret(false), ret32: ret(false), ret64: ret(false),
  ret16_imm16: ret(true), ret32_imm16: ret(true), ret64_imm16: ret(true),
  jcc_rel8: jcc, jcc_rel16: jcc, jcc_rel32: jcc, jcc_rel32_64: jcc,
  jcxz_rel8: jcxz, jecxz_rel8: jcxz, jrcxz_rel8: jcxz,
  loop_rel8: loop(LoopKind.Plain), loope_rel8: loop(LoopKind.WhileEqual), loopne_rel8: loop(LoopKind.WhileNotEqual),
};

/**
 * Jcc specialised by condition code: one function literal per cc (compiled once at module load), so
 * each tests one condition of SDM Vol.1 Appendix B Table B-1 (as flags.ts condition()) with its own
 * type feedback. The block builder picks the one for the decoded cc.
 */
const CONDITIONS = [
  'of(cpu)', 'cf(cpu)', 'zf(cpu)', 'cf(cpu) || zf(cpu)', 'sf(cpu)', 'pf(cpu)', 'sf(cpu) !== of(cpu)', 'zf(cpu) || sf(cpu) !== of(cpu)',
];
const jccByCc: Handler[] = [];
for (let cc = 0; cc < 16; cc++) {
  const test = (cc & 1) === 0 ? `(${CONDITIONS[cc >> 1]})` : `!(${CONDITIONS[cc >> 1]})`;
  const make = new Function('of', 'cf', 'zf', 'sf', 'pf', 'checkTarget', `return function jcc${cc}(cpu, i) {
  if (!${test}) return;
  checkTarget(cpu, i.targetLo, i.targetHi);
  cpu.ripLo = i.targetLo;
  cpu.ripHi = i.targetHi;
};`) as (...deps: unknown[]) => Handler;
  jccByCc.push(make(of, cf, zf, sf, pf, checkTarget));
}
SPECIALISE.set(jcc, (i) => jccByCc[i.cc & 15]);
