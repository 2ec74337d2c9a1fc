// exec/alu.ts: ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST, INC, DEC, NOT, NEG (SDM Vol.2 chapters 3–4).
// Flags are lazy (flags.ts): each operation records its operands and result sign-extended to 64 bits.
import { Access, getReg8, linear, readLinear, setRegSized, writeLinear } from '../access';
import { cf, setLazy } from '../flags';
import { Handler, Insn, RIP_FREE, SPECIALISE } from '../insn';
import { INLINE_BODY } from '../inlineBody';
import { LazyOp } from '../lazyOp';
import { Cpu } from '../state';
import { FLAG_CF } from '../../isa/form';

/** ALU operation numbers: the /digit of opcodes 80–83 and bits 5:3 of opcodes 00–3F. */
export enum AluOp { Add, Or, Adc, Sbb, And, Sub, Xor, Cmp, Test }

/** Sign-extends the low `size` bits (8, 16, 32) of v to int32. */
function sext(v: number, size: number): number {
  return size === 8 ? (v << 24) >> 24 : size === 16 ? (v << 16) >> 16 : v | 0;
}

/**
 * dst op src for sizes 8–32 (operands sign-extended to int32); records lazy flags and returns the
 * result sign-extended to int32.
 */
export function alu32(cpu: Cpu, op: AluOp, size: number, d: number, s: number): number {
  let r: number, lz: LazyOp;
  switch (op) {
    case AluOp.Add: r = d + s; lz = LazyOp.Add; break;
    case AluOp.Adc: { const c = cf(cpu) ? 1 : 0; r = d + s + c; lz = c ? LazyOp.Adc : LazyOp.Add; break; }
    case AluOp.Sbb: { const c = cf(cpu) ? 1 : 0; r = d - s - c; lz = c ? LazyOp.Sbb : LazyOp.Sub; break; }
    case AluOp.Sub:
    case AluOp.Cmp: r = d - s; lz = LazyOp.Sub; break;
    case AluOp.Or: r = d | s; lz = LazyOp.Logic; break;
    case AluOp.And:
    case AluOp.Test: r = d & s; lz = LazyOp.Logic; break;
    default: r = d ^ s; lz = LazyOp.Logic; break;
  }
  r = sext(r, size);
  setLazy(cpu, lz, d, d >> 31, s, s >> 31, r, r >> 31);
  return r;
}

/** dst op src on 64-bit lo/hi pairs; records lazy flags, returns lo and leaves hi in cpu.tmpHi. */
export function alu64(cpu: Cpu, op: AluOp, dLo: number, dHi: number, sLo: number, sHi: number): number {
  let lo: number, hi: number, lz: LazyOp;
  switch (op) {
    case AluOp.Add:
    case AluOp.Adc: {
      const c = op === AluOp.Adc && cf(cpu) ? 1 : 0;
      const t = (dLo >>> 0) + (sLo >>> 0) + c;
      lo = t | 0;
      hi = (dHi + sHi + (t > 0xffffffff ? 1 : 0)) | 0;
      lz = c ? LazyOp.Adc : LazyOp.Add;
      break;
    }
    case AluOp.Sub:
    case AluOp.Cmp:
    case AluOp.Sbb: {
      const c = op === AluOp.Sbb && cf(cpu) ? 1 : 0;
      const t = (dLo >>> 0) - (sLo >>> 0) - c;
      lo = t | 0;
      hi = (dHi - sHi - (t < 0 ? 1 : 0)) | 0;
      lz = c ? LazyOp.Sbb : LazyOp.Sub;
      break;
    }
    case AluOp.Or: lo = dLo | sLo; hi = dHi | sHi; lz = LazyOp.Logic; break;
    case AluOp.And:
    case AluOp.Test: lo = dLo & sLo; hi = dHi & sHi; lz = LazyOp.Logic; break;
    default: lo = dLo ^ sLo; hi = dHi ^ sHi; lz = LazyOp.Logic; break;
  }
  setLazy(cpu, lz, dLo, dHi, sLo, sHi, lo, hi);
  cpu.tmpHi = hi;
  return lo;
}

const writesBack = (op: AluOp) => op !== AluOp.Cmp && op !== AluOp.Test;

/** Register value of `size` bits sign-extended to int32 (64: lo, with hi in cpu.tmpHi). */
function regValue(cpu: Cpu, r: number, size: number): number {
  if (size === 8) return (getReg8(cpu, r) << 24) >> 24;
  if (size === 16) return (cpu.lo[r] << 16) >> 16;
  cpu.tmpHi = cpu.hi[r];
  return cpu.lo[r];
}

enum Shape { RmR, RRm, AccImm, RmImm }

/** One handler per form: `op` on (destination, source) of the given shape and size. */
function aluHandler(op: AluOp, size: number, shape: Shape): Handler {
  const wb = writesBack(op);
  if (size === 64) {
    return (cpu: Cpu, i: Insn): void => {
      let sLo: number, sHi: number;
      if (shape === Shape.RmR) { sLo = cpu.lo[i.reg]; sHi = cpu.hi[i.reg]; }
      else if (shape === Shape.RRm) {
        if (i.mod === 3) { sLo = cpu.lo[i.rm]; sHi = cpu.hi[i.rm]; }
        else { sLo = readLinear(cpu, linear(cpu, i, 8, Access.Read), cpu.linHi, 64); sHi = cpu.tmpHi; }
      } else { sLo = i.immLo; sHi = i.immHi; }
      const dReg = shape === Shape.RRm ? i.reg : shape === Shape.AccImm ? 0 : i.rm;
      if (shape === Shape.RRm || shape === Shape.AccImm || i.mod === 3) {
        const r = alu64(cpu, op, cpu.lo[dReg], cpu.hi[dReg], sLo, sHi);
        if (wb) { cpu.lo[dReg] = r; cpu.hi[dReg] = cpu.tmpHi; }
        return;
      }
      const a = linear(cpu, i, 8, wb ? Access.Write : Access.Read);
      const aHi = cpu.linHi;
      const dLo = readLinear(cpu, a, aHi, 64);
      const r = alu64(cpu, op, dLo, cpu.tmpHi, sLo, sHi);
      if (wb) writeLinear(cpu, a, aHi, 64, r, cpu.tmpHi);
    };
  }
  const bytes = size >> 3;
  return (cpu: Cpu, i: Insn): void => {
    let s: number;
    if (shape === Shape.RmR) s = regValue(cpu, i.reg, size);
    else if (shape === Shape.RRm) {
      s = i.mod === 3 ? regValue(cpu, i.rm, size) : sext(readLinear(cpu, linear(cpu, i, bytes, Access.Read), cpu.linHi, size), size);
    } else s = sext(i.immLo, size);
    const dReg = shape === Shape.RRm ? i.reg : shape === Shape.AccImm ? 0 : i.rm;
    if (shape === Shape.RRm || shape === Shape.AccImm || i.mod === 3) {
      const r = alu32(cpu, op, size, regValue(cpu, dReg, size), s);
      if (wb) setRegSized(cpu, dReg, size, r, 0);
      return;
    }
    const a = linear(cpu, i, bytes, wb ? Access.Write : Access.Read);
    const aHi = cpu.linHi;
    const r = alu32(cpu, op, size, sext(readLinear(cpu, a, aHi, size), size), s);
    if (wb) writeLinear(cpu, a, aHi, size, r, 0);
  };
}

/** INC, DEC (CF unchanged), NOT (no flags), NEG (CF = operand ≠ 0, as 0 − operand). */
enum Unary { Inc, Dec, Not, Neg }

function unaryHandler(kind: Unary, size: number, opcodeReg: boolean): Handler {
  const bytes = size >> 3;
  const apply = (cpu: Cpu, dLo: number, dHi: number): number => {
    switch (kind) {
      case Unary.Inc:
      case Unary.Dec: {
        // INC/DEC leave CF alone (SDM Vol.2 INC): keep the current CF in cpu.flags, where LazyOp.Inc/Dec
        // read it; the other arithmetic bits there are stale until materialize() and are not looked at.
        const c = cf(cpu);
        cpu.flags = c ? cpu.flags | FLAG_CF : cpu.flags & ~FLAG_CF;
        const lz = kind === Unary.Inc ? LazyOp.Inc : LazyOp.Dec;
        if (size === 64) {
          const t = (dLo >>> 0) + (kind === Unary.Inc ? 1 : -1);
          const lo = t | 0;
          const hi = (dHi + (t > 0xffffffff ? 1 : t < 0 ? -1 : 0)) | 0;
          setLazy(cpu, lz, dLo, dHi, 1, 0, lo, hi);
          cpu.tmpHi = hi;
          return lo;
        }
        const r = sext(dLo + (kind === Unary.Inc ? 1 : -1), size);
        setLazy(cpu, lz, dLo, dLo >> 31, 1, 0, r, r >> 31);
        return r;
      }
      case Unary.Not:
        cpu.tmpHi = ~dHi;
        return ~dLo;
      default:
        if (size === 64) return alu64(cpu, AluOp.Sub, 0, 0, dLo, dHi);
        return alu32(cpu, AluOp.Sub, size, 0, dLo);
    }
  };
  return (cpu: Cpu, i: Insn): void => {
    if (opcodeReg || i.mod === 3) {
      const d = regValue(cpu, i.rm, size);
      const r = apply(cpu, d, size === 64 ? cpu.hi[i.rm] : d >> 31);
      setRegSized(cpu, i.rm, size, r, cpu.tmpHi);
      return;
    }
    const a = linear(cpu, i, bytes, Access.Write);
    const aHi = cpu.linHi;
    const v = readLinear(cpu, a, aHi, size);
    const d = size === 64 ? v : sext(v, size);
    const r = apply(cpu, d, size === 64 ? cpu.tmpHi : d >> 31);
    writeLinear(cpu, a, aHi, size, r, cpu.tmpHi);
  };
}

export const handlers: Record<string, Handler> = {};

const OPS: [string, AluOp][] = [
  ['add', AluOp.Add], ['or', AluOp.Or], ['adc', AluOp.Adc], ['sbb', AluOp.Sbb],
  ['and', AluOp.And], ['sub', AluOp.Sub], ['xor', AluOp.Xor], ['cmp', AluOp.Cmp],
];
for (const [name, op] of OPS) {
  for (const size of [8, 16, 32, 64]) {
    handlers[`${name}_rm${size}_r${size}`] = aluHandler(op, size, Shape.RmR);
    handlers[`${name}_r${size}_rm${size}`] = aluHandler(op, size, Shape.RRm);
  }
  handlers[`${name}_al_imm8`] = aluHandler(op, 8, Shape.AccImm);
  handlers[`${name}_ax_imm16`] = aluHandler(op, 16, Shape.AccImm);
  handlers[`${name}_eax_imm32`] = aluHandler(op, 32, Shape.AccImm);
  handlers[`${name}_rax_imm32`] = aluHandler(op, 64, Shape.AccImm);
  handlers[`${name}_rm8_imm8`] = handlers[`${name}_rm8_imm8_82`] = aluHandler(op, 8, Shape.RmImm);
  handlers[`${name}_rm16_imm16`] = handlers[`${name}_rm16_imm8`] = aluHandler(op, 16, Shape.RmImm);
  handlers[`${name}_rm32_imm32`] = handlers[`${name}_rm32_imm8`] = aluHandler(op, 32, Shape.RmImm);
  handlers[`${name}_rm64_imm32`] = handlers[`${name}_rm64_imm8`] = aluHandler(op, 64, Shape.RmImm);
}
for (const size of [8, 16, 32, 64]) {
  handlers[`test_rm${size}_r${size}`] = aluHandler(AluOp.Test, size, Shape.RmR);
}
handlers.test_al_imm8 = aluHandler(AluOp.Test, 8, Shape.AccImm);
handlers.test_ax_imm16 = aluHandler(AluOp.Test, 16, Shape.AccImm);
handlers.test_eax_imm32 = aluHandler(AluOp.Test, 32, Shape.AccImm);
handlers.test_rax_imm32 = aluHandler(AluOp.Test, 64, Shape.AccImm);
for (const suffix of ['', '_f6_1']) {
  handlers[`test_rm8_imm8${suffix}`] = aluHandler(AluOp.Test, 8, Shape.RmImm);
  handlers[`test_rm16_imm16${suffix}`] = aluHandler(AluOp.Test, 16, Shape.RmImm);
  handlers[`test_rm32_imm32${suffix}`] = aluHandler(AluOp.Test, 32, Shape.RmImm);
  handlers[`test_rm64_imm32${suffix}`] = aluHandler(AluOp.Test, 64, Shape.RmImm);
}
for (const [name, kind] of [['inc', Unary.Inc], ['dec', Unary.Dec], ['not', Unary.Not], ['neg', Unary.Neg]] as const) {
  for (const size of [8, 16, 32, 64]) handlers[`${name}_rm${size}`] = unaryHandler(kind, size, false);
}
handlers.inc_r16 = unaryHandler(Unary.Inc, 16, true);
handlers.inc_r32 = unaryHandler(Unary.Inc, 32, true);
handlers.dec_r16 = unaryHandler(Unary.Dec, 16, true);
handlers.dec_r32 = unaryHandler(Unary.Dec, 32, true);

// Specialised 32- and 64-bit handlers. The factories above make many closures of one function literal,
// which share V8's type feedback, so their checks of op/shape/size are never optimised away. Below,
// each (operation, size, shape, register-or-memory operand) is a function literal of its own, compiled
// once at module load from the source templates here; the block builder picks one per decoded
// instruction (SPECIALISE). They compute exactly what aluHandler/unaryHandler do.

/** Statements setting `lo`, `hi` and `lz` from dLo:dHi op sLo:sHi (as alu64). */
function op64Source(op: AluOp): string {
  const add = (carry: string): string =>
    `const t = (dLo >>> 0) + (sLo >>> 0)${carry}; const lo = t | 0; const hi = (dHi + sHi + (t > 0xffffffff ? 1 : 0)) | 0;`;
  const sub = (borrow: string): string =>
    `const t = (dLo >>> 0) - (sLo >>> 0)${borrow}; const lo = t | 0; const hi = (dHi - sHi - (t < 0 ? 1 : 0)) | 0;`;
  switch (op) {
    case AluOp.Add: return `${add('')} const lz = ${LazyOp.Add};`;
    case AluOp.Adc: return `const c = cf(cpu) ? 1 : 0; ${add(' + c')} const lz = c ? ${LazyOp.Adc} : ${LazyOp.Add};`;
    case AluOp.Sub:
    case AluOp.Cmp: return `${sub('')} const lz = ${LazyOp.Sub};`;
    case AluOp.Sbb: return `const c = cf(cpu) ? 1 : 0; ${sub(' - c')} const lz = c ? ${LazyOp.Sbb} : ${LazyOp.Sub};`;
    case AluOp.Or: return `const lo = dLo | sLo, hi = dHi | sHi, lz = ${LazyOp.Logic};`;
    case AluOp.And:
    case AluOp.Test: return `const lo = dLo & sLo, hi = dHi & sHi, lz = ${LazyOp.Logic};`;
    default: return `const lo = dLo ^ sLo, hi = dHi ^ sHi, lz = ${LazyOp.Logic};`;
  }
}

/** Statements setting `r` and `lz` from int32 operands d op s (as alu32 at size 32). */
function op32Source(op: AluOp): string {
  switch (op) {
    case AluOp.Add: return `const r = (d + s) | 0, lz = ${LazyOp.Add};`;
    case AluOp.Adc: return `const c = cf(cpu) ? 1 : 0; const r = (d + s + c) | 0, lz = c ? ${LazyOp.Adc} : ${LazyOp.Add};`;
    case AluOp.Sub:
    case AluOp.Cmp: return `const r = (d - s) | 0, lz = ${LazyOp.Sub};`;
    case AluOp.Sbb: return `const c = cf(cpu) ? 1 : 0; const r = (d - s - c) | 0, lz = c ? ${LazyOp.Sbb} : ${LazyOp.Sub};`;
    case AluOp.Or: return `const r = d | s, lz = ${LazyOp.Logic};`;
    case AluOp.And:
    case AluOp.Test: return `const r = d & s, lz = ${LazyOp.Logic};`;
    default: return `const r = d ^ s, lz = ${LazyOp.Logic};`;
  }
}

const LAZY64 = 'cpu.lazyOp = lz; cpu.lzDst = dLo; cpu.lzDstHi = dHi; cpu.lzSrc = sLo; cpu.lzSrcHi = sHi; cpu.lzRes = lo; cpu.lzResHi = hi;';
const LAZY32 = 'cpu.lazyOp = lz; cpu.lzDst = d; cpu.lzDstHi = d >> 31; cpu.lzSrc = s; cpu.lzSrcHi = s >> 31; cpu.lzRes = r; cpu.lzResHi = r >> 31;';

/** Compiles a handler body; the helpers it may use are passed in by name. */
function compile(name: string, body: string): Handler {
  const make = new Function('cf', 'linear', 'readLinear', 'writeLinear', `return function ${name}(cpu, i) {\n${body}\n};`) as
    (...deps: unknown[]) => Handler;
  const h = make(cf, linear, readLinear, writeLinear);
  RIP_FREE.add(h);
  return h;
}

/** Source of a binary ALU handler: `mem` selects the memory form of the r/m operand (mod ≠ 11b). */
function aluSource(op: AluOp, size: 32 | 64, shape: Shape, mem: boolean): string {
  const wb = writesBack(op);
  const bytes = size >> 3;
  const rw = wb ? Access.Write : Access.Read;
  const lines: string[] = [];
  if (size === 64) {
    if (shape === Shape.RmR) lines.push('const sLo = cpu.lo[i.reg], sHi = cpu.hi[i.reg];');
    else if (shape === Shape.RRm && mem) lines.push(`const sLo = readLinear(cpu, linear(cpu, i, 8, ${Access.Read}), cpu.linHi, 64); const sHi = cpu.tmpHi;`);
    else if (shape === Shape.RRm) lines.push('const sLo = cpu.lo[i.rm], sHi = cpu.hi[i.rm];');
    else lines.push('const sLo = i.immLo, sHi = i.immHi;');
    if (mem && shape !== Shape.RRm) {
      lines.push(`const a = linear(cpu, i, 8, ${rw}); const aHi = cpu.linHi;`);
      lines.push('const dLo = readLinear(cpu, a, aHi, 64); const dHi = cpu.tmpHi;');
    } else {
      lines.push(`const D = ${shape === Shape.RRm ? 'i.reg' : shape === Shape.AccImm ? '0' : 'i.rm'};`);
      lines.push('const dLo = cpu.lo[D], dHi = cpu.hi[D];');
    }
    lines.push(op64Source(op), LAZY64);
    if (wb) lines.push(mem && shape !== Shape.RRm ? 'writeLinear(cpu, a, aHi, 64, lo, hi);' : 'cpu.lo[D] = lo; cpu.hi[D] = hi;');
  } else {
    if (shape === Shape.RmR) lines.push('const s = cpu.lo[i.reg];');
    else if (shape === Shape.RRm && mem) lines.push(`const s = readLinear(cpu, linear(cpu, i, ${bytes}, ${Access.Read}), cpu.linHi, 32) | 0;`);
    else if (shape === Shape.RRm) lines.push('const s = cpu.lo[i.rm];');
    else lines.push('const s = i.immLo | 0;');
    if (mem && shape !== Shape.RRm) {
      lines.push(`const a = linear(cpu, i, ${bytes}, ${rw}); const aHi = cpu.linHi;`);
      lines.push('const d = readLinear(cpu, a, aHi, 32) | 0;');
    } else {
      lines.push(`const D = ${shape === Shape.RRm ? 'i.reg' : shape === Shape.AccImm ? '0' : 'i.rm'};`);
      lines.push('const d = cpu.lo[D];');
    }
    lines.push(op32Source(op), LAZY32);
    if (wb) lines.push(mem && shape !== Shape.RRm ? 'writeLinear(cpu, a, aHi, 32, r, 0);' : 'cpu.lo[D] = r; cpu.hi[D] = 0;');
  }
  return lines.join('\n');
}

/** INC/DEC of a register (as unaryHandler): CF kept in cpu.flags, LazyOp.Inc/Dec for the rest. */
function incDecSource(inc: boolean, size: 32 | 64): string {
  const keepCf = `const c = cf(cpu); cpu.flags = c ? cpu.flags | ${FLAG_CF} : cpu.flags & ${~FLAG_CF};`;
  const lz = inc ? LazyOp.Inc : LazyOp.Dec;
  if (size === 64) {
    return `const D = i.rm; const dLo = cpu.lo[D], dHi = cpu.hi[D]; ${keepCf}
const t = (dLo >>> 0) + ${inc ? 1 : -1}; const lo = t | 0; const hi = (dHi + (t > 0xffffffff ? 1 : t < 0 ? -1 : 0)) | 0;
cpu.lazyOp = ${lz}; cpu.lzDst = dLo; cpu.lzDstHi = dHi; cpu.lzSrc = 1; cpu.lzSrcHi = 0; cpu.lzRes = lo; cpu.lzResHi = hi;
cpu.lo[D] = lo; cpu.hi[D] = hi;`;
  }
  return `const D = i.rm; const d = cpu.lo[D]; ${keepCf}
const r = (d ${inc ? '+' : '-'} 1) | 0;
cpu.lazyOp = ${lz}; cpu.lzDst = d; cpu.lzDstHi = d >> 31; cpu.lzSrc = 1; cpu.lzSrcHi = 0; cpu.lzRes = r; cpu.lzResHi = r >> 31;
cpu.lo[D] = r; cpu.hi[D] = 0;`;
}

/** Registers the specialised variants of handlers[name] (built by aluHandler(op, size, shape)). */
function specialiseAlu(name: string, op: AluOp, size: 32 | 64, shape: Shape): void {
  const generic = handlers[name];
  const reg = compile(`${name}_reg`, aluSource(op, size, shape, false));
  INLINE_BODY.set(reg, aluSource(op, size, shape, false));
  if (shape === Shape.AccImm) {
    SPECIALISE.set(generic, () => reg);
  } else {
    const mem = compile(`${name}_mem`, aluSource(op, size, shape, true));
    SPECIALISE.set(generic, (i) => (i.mod === 3 ? reg : mem));
  }
  RIP_FREE.add(generic);
}

for (const [name, op] of [...OPS, ['test', AluOp.Test] as [string, AluOp]]) {
  for (const size of [32, 64] as const) {
    specialiseAlu(`${name}_rm${size}_r${size}`, op, size, Shape.RmR);
    if (op !== AluOp.Test) specialiseAlu(`${name}_r${size}_rm${size}`, op, size, Shape.RRm);
    specialiseAlu(`${name}_${size === 64 ? 'rax' : 'eax'}_imm32`, op, size, Shape.AccImm);
    specialiseAlu(`${name}_rm${size}_imm32`, op, size, Shape.RmImm);
    if (op !== AluOp.Test) specialiseAlu(`${name}_rm${size}_imm8`, op, size, Shape.RmImm);
    else specialiseAlu(`${name}_rm${size}_imm32_f6_1`, op, size, Shape.RmImm);
  }
}
for (const [name, inc] of [['inc', true], ['dec', false]] as const) {
  for (const size of [32, 64] as const) {
    const generic = handlers[`${name}_rm${size}`];
    const reg = compile(`${name}_r${size}_reg`, incDecSource(inc, size));
    INLINE_BODY.set(reg, incDecSource(inc, size));
    SPECIALISE.set(generic, (i) => (i.mod === 3 ? reg : generic));
    RIP_FREE.add(generic);
  }
  const r32 = handlers[`${name}_r32`];
  const reg32 = compile(`${name}_r32_opcode`, incDecSource(inc, 32));
  INLINE_BODY.set(reg32, incDecSource(inc, 32));
  SPECIALISE.set(r32, () => reg32);
  RIP_FREE.add(r32);
}
