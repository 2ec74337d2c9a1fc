// exec/string.ts: MOVS, STOS, LODS, SCAS, CMPS, INS, OUTS with REP/REPE/REPNE (SDM Vol.2 chapters 4–5,
// Vol.1 §7.3.9). The address size picks SI/DI/CX, ESI/EDI/ECX or RSI/RDI/RCX and where they wrap.
//
// Repeated forms run in chunks: as many elements as stay, for both source and destination, within one
// page, the segment limit and the address-size wrap. Only a chunk's first element can fault (later ones
// reuse its translations), and registers are updated after each chunk, so a fault leaves RSI/RDI/RCX
// counting exactly the completed iterations with RIP at the instruction (SDM Vol.1 §7.3.9.1: repeated
// string instructions are interruptible and restartable). After MAX_ITER elements, or when something
// asks for attention (a device, a code write), the instruction yields: RIP is put back on it and the run
// loop is made to leave its fast path, so pause requests and interrupts get in; it resumes where it was.
//
// Debugging needs single iterations. With EFLAGS.TF set an execution does one iteration, then yields:
// the single-step trap comes after each iteration, with RIP on the instruction while iterations remain
// (SDM Vol.3B §17.3.1.4 and Vol.2B REP: a repeated string instruction is interruptible between
// iterations, registers updated for those done). While the MMU has a data-breakpoint hook (the guest's
// DR7 data breakpoints or the debugger's watchpoints) a chunk is one element long unless its pages take
// the TLB fast path (watched pages never do), so a match stops the instruction after the very iteration
// that made it (§17.3.1.2, repeated string instructions); an I/O breakpoint on INS/OUTS likewise traps
// after the iteration (§17.3.1.2: after the first, for REP). QEMU agrees on TF (test/boot/debugdata.S).
import { Access, linearOf, readLinear, setReg8, setRegSized, writeLinear } from '../access';
import { setLazy } from '../flags';
import type { Handler, Insn } from '../insn';
import { LazyOp } from '../lazyOp';
import { ATTN_YIELD, CodeSize, Cpu, Reg, Seg } from '../state';
import { FLAG_DF, FLAG_TF } from '../../isa/form';
import { checkIo } from './misc';
import { checkIoBreakpoint } from '../debugRegs';

/** Elements one execution of a repeated instruction handles before it yields to the run loop. */
export const MAX_ITER = 0x4000;

enum Kind { Movs, Stos, Lods, Scas, Cmps, Ins, Outs }

/** Offset bits 31:0 of a pointer register at address size `a` (16: zero-extended SI/DI). */
function off(cpu: Cpu, r: number, a: number): number {
  return a === 16 ? cpu.lo[r] & 0xffff : cpu.lo[r];
}

/** Adds `delta` (a small signed number) to a pointer/count register at address size `a`. */
function advance(cpu: Cpu, r: number, a: number, delta: number): void {
  if (a === 64) {
    const s = (cpu.lo[r] >>> 0) + delta;
    cpu.lo[r] = s | 0;
    cpu.hi[r] = (cpu.hi[r] + (s > 0xffffffff ? 1 : s < 0 ? -1 : 0)) | 0;
  } else if (a === 32) {
    // A 32-bit register write zero-extends in 64-bit mode (SDM Vol.1 §3.4.1.1).
    cpu.lo[r] = (cpu.lo[r] + delta) | 0;
    cpu.hi[r] = 0;
  } else {
    cpu.lo[r] = (cpu.lo[r] & ~0xffff) | ((cpu.lo[r] + delta) & 0xffff);
  }
}

/** The count register at address size `a`, capped at `cap`. */
function count(cpu: Cpu, a: number, cap: number): number {
  let c: number;
  if (a === 64) c = cpu.hi[Reg.RCX] !== 0 ? cap : cpu.lo[Reg.RCX] >>> 0;
  else if (a === 32) c = cpu.lo[Reg.RCX] >>> 0;
  else c = cpu.lo[Reg.RCX] & 0xffff;
  return c < cap ? c : cap;
}

/**
 * How many of `n` elements, starting with the one at offset `o` (linear `lin`), lie within one page,
 * within the segment limit and before the offset wraps at the address size; at least 1.
 */
function room(cpu: Cpu, seg: number, a: number, o: number, lin: number, bytes: number, back: boolean, n: number): number {
  const page = lin & 0xfff;
  let r: number;
  if (!back) {
    r = ((4096 - page) / bytes) | 0;
    if (a !== 64) {
      const w = Math.floor(((a === 16 ? 0x10000 : 0x100000000) - (o >>> 0)) / bytes);
      if (w < r) r = w;
    }
    if (!cpu.long64) {
      const l = Math.floor(((cpu.segLimit[seg] >>> 0) - (o >>> 0) + 1) / bytes);
      if (l < r) r = l;
    }
  } else {
    if (page + bytes > 4096) return 1;
    r = ((page / bytes) | 0) + 1;
    if (a !== 64) {
      const w = Math.floor((o >>> 0) / bytes) + 1;
      if (w < r) r = w;
    }
  }
  if (r < 1) r = 1;
  return r < n ? r : n;
}

/** Puts RIP back on the instruction and makes the run loop look again (it restarts the instruction). */
function yieldRep(cpu: Cpu, i: Insn): void {
  if (cpu.long64) {
    const s = (i.nextLo >>> 0) - i.len;
    cpu.ripLo = s | 0;
    cpu.ripHi = s < 0 ? (i.nextHi - 1) | 0 : i.nextHi;
  } else {
    cpu.ripLo = cpu.codeSize === CodeSize.Bits16 ? (i.nextLo - i.len) & 0xffff : (i.nextLo - i.len) | 0;
    cpu.ripHi = 0;
  }
  cpu.attention |= ATTN_YIELD;
  cpu.repResume = true; // an event taken now pushes RF = 1 (interrupts.ts, SDM Vol.3B §17.3.1.1)
}

/** Sign-extends the low `bits` of v to int32. */
function sext(v: number, bits: number): number {
  return bits === 8 ? (v << 24) >> 24 : bits === 16 ? (v << 16) >> 16 : v | 0;
}

/** Records the flags of SRC1 − SRC2 as CMP does (SDM Vol.2 CMPS, SCAS). */
function compareFlags(cpu: Cpu, bits: number, v1: number, h1: number, v2: number, h2: number): void {
  if (bits === 64) {
    const t = (v1 >>> 0) - (v2 >>> 0);
    const rHi = (h1 - h2 - (t < 0 ? 1 : 0)) | 0;
    setLazy(cpu, LazyOp.Sub, v1, h1, v2, h2, t | 0, rHi);
    return;
  }
  const d = sext(v1, bits), s = sext(v2, bits), r = sext(d - s, bits);
  setLazy(cpu, LazyOp.Sub, d, d >> 31, s, s >> 31, r, r >> 31);
}

function stringHandler(kind: Kind, bits: number): Handler {
  const bytes = bits >> 3;
  const usesSrc = kind === Kind.Movs || kind === Kind.Lods || kind === Kind.Cmps || kind === Kind.Outs;
  const usesDst = kind === Kind.Movs || kind === Kind.Stos || kind === Kind.Scas || kind === Kind.Cmps || kind === Kind.Ins;
  const io = kind === Kind.Ins || kind === Kind.Outs;
  const writesDst = kind === Kind.Movs || kind === Kind.Stos || kind === Kind.Ins; // SCAS and CMPS read ES:DI
  return (cpu: Cpu, i: Insn): void => {
    if (io) checkIo(cpu, cpu.lo[Reg.RDX] & 0xffff, bytes);
    const a = i.addrSize;
    const seg = i.segOverride >= 0 ? i.segOverride : Seg.DS; // the source; the destination is always ES
    const rep = i.rep !== 0;
    cpu.repResume = false;
    // REPE (F3) repeats while equal, REPNE (F2) while not equal (SDM Vol.2 REP/REPE/REPZ/REPNE/REPNZ).
    const whileEqual = i.rep === 0xf3;
    // Under TF one iteration per execution: the loop yields before the second (see above).
    const limit = (cpu.flags & FLAG_TF) !== 0 ? 1 : MAX_ITER;
    let budget = limit;
    for (;;) {
      let n = 1;
      if (rep) {
        const c = count(cpu, a, MAX_ITER);
        if (c === 0) return;
        if (budget <= 0 || (budget !== limit && cpu.attention !== 0)) { yieldRep(cpu, i); return; }
        n = c < budget ? c : budget;
      }
      const back = (cpu.flags & FLAG_DF) !== 0;
      const step = back ? -bytes : bytes;
      // Linear addresses of the first element: its segment checks come before anything changes.
      let s = 0, sHi = 0, d = 0, dHi = 0;
      if (usesSrc) {
        const o = off(cpu, Reg.RSI, a);
        s = linearOf(cpu, seg, o, a === 64 ? cpu.hi[Reg.RSI] : 0, bytes, Access.Read);
        sHi = cpu.linHi;
        if (rep && !io) n = room(cpu, seg, a, o, s, bytes, back, n);
      }
      if (usesDst) {
        const o = off(cpu, Reg.RDI, a);
        d = linearOf(cpu, Seg.ES, o, a === 64 ? cpu.hi[Reg.RDI] : 0, bytes, Access.Write);
        dHi = cpu.linHi;
        if (rep && !io) n = room(cpu, Seg.ES, a, o, d, bytes, back, n);
      }
      // Port accesses one at a time (each may have side effects on the device). While data breakpoints
      // are watched, elements one at a time unless both pages take the TLB fast path (no watched page
      // does): a match then ends the instruction after its iteration.
      if (io) n = 1;
      else if (n > 1 && cpu.mem.hook !== null && ((usesSrc && !cpu.mem.fastPath(s, sHi, false)) || (usesDst && !cpu.mem.fastPath(d, dHi, writesDst)))) n = 1;
      let done = n;
      switch (kind) {
        case Kind.Movs:
          if (bits === 8) {
            // The common memcpy/memmove shape: straight through the TLB fast path.
            const mem = cpu.mem;
            for (let k = 0; k < n; k++) {
              mem.write8(d, dHi, mem.read8(s, sHi));
              s = (s + step) | 0;
              d = (d + step) | 0;
            }
            break;
          }
          for (let k = 0; k < n; k++) {
            const v = readLinear(cpu, s, sHi, bits);
            writeLinear(cpu, d, dHi, bits, v, cpu.tmpHi);
            s = (s + step) | 0;
            d = (d + step) | 0;
          }
          break;
        case Kind.Stos: {
          const v = cpu.lo[Reg.RAX], vh = cpu.hi[Reg.RAX];
          if (bits === 8) {
            const mem = cpu.mem;
            for (let k = 0; k < n; k++) {
              mem.write8(d, dHi, v);
              d = (d + step) | 0;
            }
            break;
          }
          for (let k = 0; k < n; k++) {
            writeLinear(cpu, d, dHi, bits, v, vh);
            d = (d + step) | 0;
          }
          break;
        }
        case Kind.Lods: {
          let v = 0, vh = 0;
          for (let k = 0; k < n; k++) {
            v = readLinear(cpu, s, sHi, bits);
            vh = cpu.tmpHi;
            s = (s + step) | 0;
          }
          if (bits === 8) setReg8(cpu, Reg.RAX, v); else setRegSized(cpu, Reg.RAX, bits, v, vh);
          break;
        }
        case Kind.Scas:
        case Kind.Cmps: {
          let v1 = 0, h1 = 0, v2 = 0, h2 = 0;
          if (kind === Kind.Scas) {
            v1 = bits === 8 ? cpu.lo[Reg.RAX] & 0xff : bits === 16 ? cpu.lo[Reg.RAX] & 0xffff : cpu.lo[Reg.RAX];
            h1 = cpu.hi[Reg.RAX];
          }
          let stop = false;
          for (let k = 0; k < n; k++) {
            if (kind === Kind.Cmps) {
              v1 = readLinear(cpu, s, sHi, bits);
              h1 = cpu.tmpHi;
              s = (s + step) | 0;
            }
            v2 = readLinear(cpu, d, dHi, bits);
            h2 = cpu.tmpHi;
            d = (d + step) | 0;
            const equal = v1 === v2 && (bits !== 64 || h1 === h2);
            if (equal !== whileEqual) { done = k + 1; stop = true; break; }
          }
          compareFlags(cpu, bits, v1, h1, v2, h2);
          if (usesSrc) advance(cpu, Reg.RSI, a, done * step);
          advance(cpu, Reg.RDI, a, done * step);
          if (!rep) return;
          advance(cpu, Reg.RCX, a, -done);
          if (stop) return;
          budget -= done;
          continue;
        }
        case Kind.Ins: {
          // The destination is checked writable before the port is read, so a fault loses no data.
          cpu.mem.checkWritable(d, dHi, bytes);
          const v = cpu.io.in(cpu.lo[Reg.RDX] & 0xffff, bytes);
          writeLinear(cpu, d, dHi, bits, v | 0, 0);
          checkIoBreakpoint(cpu, cpu.lo[Reg.RDX] & 0xffff, bytes);
          break;
        }
        case Kind.Outs: {
          const v = readLinear(cpu, s, sHi, bits);
          cpu.io.out(cpu.lo[Reg.RDX] & 0xffff, bytes, bits === 32 ? v >>> 0 : v);
          checkIoBreakpoint(cpu, cpu.lo[Reg.RDX] & 0xffff, bytes);
          break;
        }
      }
      if (usesSrc) advance(cpu, Reg.RSI, a, done * step);
      if (usesDst) advance(cpu, Reg.RDI, a, done * step);
      if (!rep) return;
      advance(cpu, Reg.RCX, a, -done);
      budget -= done;
    }
  };
}

export const handlers: Record<string, Handler> = {};
const NAMES: [string, Kind][] = [
  ['movs', Kind.Movs], ['stos', Kind.Stos], ['lods', Kind.Lods], ['scas', Kind.Scas], ['cmps', Kind.Cmps],
  ['ins', Kind.Ins], ['outs', Kind.Outs],
];
for (const [name, kind] of NAMES) {
  const sizes: [string, number][] = [['b', 8], ['w', 16], ['d', 32]];
  if (kind !== Kind.Ins && kind !== Kind.Outs) sizes.push(['q', 64]);
  for (const [suffix, bits] of sizes) handlers[name + suffix] = stringHandler(kind, bits);
}
// INS/OUTS with REX.W still move doublewords (SDM Vol.2 INS/OUTS: no 64-bit port I/O).
handlers.insd_w = handlers.insd;
handlers.outsd_w = handlers.outsd;
