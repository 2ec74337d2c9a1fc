// exec/moveFast.ts: specialised variants of the hottest MOV handlers of exec/move.ts (32/64-bit
// register and memory forms, MOV r, imm). move.ts builds them from one closure per shape, whose V8
// type feedback all sizes share; here each (form, register-or-memory operand) is a function literal of
// its own, compiled once at module load from the templates below and picked per decoded instruction by
// the block builder (SPECIALISE). Each does exactly what the move.ts handler does (SDM Vol.2B MOV).
import { Access, linear, readLinear, writeLinear } from '../access';
import { Handler, Insn, RIP_FREE, SPECIALISE } from '../insn';
import { handlers } from './move';

function compile(name: string, body: string): Handler {
  const make = new Function('linear', 'readLinear', 'writeLinear', `return function ${name}(cpu, i) {\n${body}\n};`) as
    (...deps: unknown[]) => Handler;
  const h = make(linear, readLinear, writeLinear);
  RIP_FREE.add(h);
  return h;
}

/** Registers variants for the register form (mod = 11b) and the memory form of handlers[name]. */
function specialise(name: string, reg: string, mem: string): void {
  const generic = handlers[name];
  if (generic === undefined) return;
  const r = compile(`${name}_reg`, reg);
  const m = compile(`${name}_mem`, mem);
  SPECIALISE.set(generic, (i: Insn) => (i.mod === 3 ? r : m));
  RIP_FREE.add(generic);
}

// MOV r/m, r: a 32-bit register destination zero-extends (SDM Vol.1 §3.4.1.1).
specialise('mov_rm64_r64',
  'cpu.lo[i.rm] = cpu.lo[i.reg]; cpu.hi[i.rm] = cpu.hi[i.reg];',
  `const vLo = cpu.lo[i.reg], vHi = cpu.hi[i.reg]; const a = linear(cpu, i, 8, ${Access.Write}); writeLinear(cpu, a, cpu.linHi, 64, vLo, vHi);`);
specialise('mov_rm32_r32',
  'cpu.lo[i.rm] = cpu.lo[i.reg]; cpu.hi[i.rm] = 0;',
  `const v = cpu.lo[i.reg]; const a = linear(cpu, i, 4, ${Access.Write}); writeLinear(cpu, a, cpu.linHi, 32, v, 0);`);
// MOV r, r/m.
specialise('mov_r64_rm64',
  'cpu.lo[i.reg] = cpu.lo[i.rm]; cpu.hi[i.reg] = cpu.hi[i.rm];',
  `const a = linear(cpu, i, 8, ${Access.Read}); const v = readLinear(cpu, a, cpu.linHi, 64); cpu.lo[i.reg] = v; cpu.hi[i.reg] = cpu.tmpHi;`);
specialise('mov_r32_rm32',
  'cpu.lo[i.reg] = cpu.lo[i.rm]; cpu.hi[i.reg] = 0;',
  `const a = linear(cpu, i, 4, ${Access.Read}); const v = readLinear(cpu, a, cpu.linHi, 32); cpu.lo[i.reg] = v; cpu.hi[i.reg] = 0;`);
// MOV r/m, imm32 (sign-extended to 64 bits by the decoder for the REX.W form).
specialise('mov_rm64_imm32',
  'cpu.lo[i.rm] = i.immLo; cpu.hi[i.rm] = i.immHi;',
  `const a = linear(cpu, i, 8, ${Access.Write}); writeLinear(cpu, a, cpu.linHi, 64, i.immLo, i.immHi);`);
specialise('mov_rm32_imm32',
  'cpu.lo[i.rm] = i.immLo; cpu.hi[i.rm] = 0;',
  `const a = linear(cpu, i, 4, ${Access.Write}); writeLinear(cpu, a, cpu.linHi, 32, i.immLo, 0);`);
