// exec/moveFast.ts: specialised variants of the hottest MOV handlers of exec/move.ts (32/64-bit
// register and memory forms, MOV r, imm). move.ts builds them from one closure per shape, whose V8
// type feedback all sizes share; here each (form, register-or-memory operand) is a function literal of
// its own, compiled once at module load from the templates below and picked per decoded instruction by
// the block builder (SPECIALISE). Each does exactly what the move.ts handler does (SDM Vol.2B MOV).
import { Access, linear, readLinear, writeLinear } from '../access';
import { EaKind, Handler, Insn, RIP_FREE, SPECIALISE } from '../insn';
import { handlers } from './move';
import { INLINE_LEA, INLINE_MOV, MovShape } from '../inlineAccess';
import { INLINE_BODY } from '../inlineBody';

function compile(name: string, body: string): Handler {
  const make = new Function('linear', 'readLinear', 'writeLinear', `return function ${name}(cpu, i) {\n${body}\n};`) as
    (...deps: unknown[]) => Handler;
  const h = make(linear, readLinear, writeLinear);
  RIP_FREE.add(h);
  return h;
}

/**
 * Registers variants for the register form (mod = 11b) and the memory form of handlers[name]; `shape`
 * lets translated blocks do the memory form inline (inlineAccess.ts).
 */
function specialise(name: string, reg: string, mem: string, shape: MovShape): void {
  const generic = handlers[name];
  if (generic === undefined) return;
  const r = compile(`${name}_reg`, reg);
  const m = compile(`${name}_mem`, mem);
  INLINE_BODY.set(r, reg);
  INLINE_MOV.set(m, shape);
  SPECIALISE.set(generic, (i: Insn) => (i.mod === 3 ? r : m));
  RIP_FREE.add(generic);
}

// MOV r/m, r: a 32-bit register destination zero-extends (SDM Vol.1 §3.4.1.1).
specialise('mov_rm64_r64',
  'cpu.lo[i.rm] = cpu.lo[i.reg]; cpu.hi[i.rm] = cpu.hi[i.reg];',
  `const vLo = cpu.lo[i.reg], vHi = cpu.hi[i.reg]; const a = linear(cpu, i, 8, ${Access.Write}); writeLinear(cpu, a, cpu.linHi, 64, vLo, vHi);`,
  { load: false, bytes: 8, how: 'reg' });
specialise('mov_rm32_r32',
  'cpu.lo[i.rm] = cpu.lo[i.reg]; cpu.hi[i.rm] = 0;',
  `const v = cpu.lo[i.reg]; const a = linear(cpu, i, 4, ${Access.Write}); writeLinear(cpu, a, cpu.linHi, 32, v, 0);`,
  { load: false, bytes: 4, how: 'reg' });
// MOV r, r/m.
specialise('mov_r64_rm64',
  'cpu.lo[i.reg] = cpu.lo[i.rm]; cpu.hi[i.reg] = cpu.hi[i.rm];',
  `const a = linear(cpu, i, 8, ${Access.Read}); const v = readLinear(cpu, a, cpu.linHi, 64); cpu.lo[i.reg] = v; cpu.hi[i.reg] = cpu.tmpHi;`,
  { load: true, bytes: 8, how: 'full' });
specialise('mov_r32_rm32',
  'cpu.lo[i.reg] = cpu.lo[i.rm]; cpu.hi[i.reg] = 0;',
  `const a = linear(cpu, i, 4, ${Access.Read}); const v = readLinear(cpu, a, cpu.linHi, 32); cpu.lo[i.reg] = v; cpu.hi[i.reg] = 0;`,
  { load: true, bytes: 4, how: 'zx' });
// MOV r/m, imm32 (sign-extended to 64 bits by the decoder for the REX.W form).
specialise('mov_rm64_imm32',
  'cpu.lo[i.rm] = i.immLo; cpu.hi[i.rm] = i.immHi;',
  `const a = linear(cpu, i, 8, ${Access.Write}); writeLinear(cpu, a, cpu.linHi, 64, i.immLo, i.immHi);`,
  { load: false, bytes: 8, how: 'imm' });
specialise('mov_rm32_imm32',
  'cpu.lo[i.rm] = i.immLo; cpu.hi[i.rm] = 0;',
  `const a = linear(cpu, i, 4, ${Access.Write}); writeLinear(cpu, a, cpu.linHi, 32, i.immLo, 0);`,
  { load: false, bytes: 4, how: 'imm' });
// MOV r/m16, r16 and r/m8, r8: a 16- or 8-bit register destination keeps the other bits.
specialise('mov_rm16_r16',
  'cpu.lo[i.rm] = (cpu.lo[i.rm] & ~0xffff) | (cpu.lo[i.reg] & 0xffff);',
  `const v = cpu.lo[i.reg] & 0xffff; const a = linear(cpu, i, 2, ${Access.Write}); writeLinear(cpu, a, cpu.linHi, 16, v, 0);`,
  { load: false, bytes: 2, how: 'reg' });
specialise('mov_rm8_r8',
  `const v = i.reg < 16 ? cpu.lo[i.reg] & 0xff : (cpu.lo[i.reg - 16] >> 8) & 0xff;
if (i.rm < 16) cpu.lo[i.rm] = (cpu.lo[i.rm] & ~0xff) | v; else cpu.lo[i.rm - 16] = (cpu.lo[i.rm - 16] & ~0xff00) | (v << 8);`,
  `const v = i.reg < 16 ? cpu.lo[i.reg] & 0xff : (cpu.lo[i.reg - 16] >> 8) & 0xff; const a = linear(cpu, i, 1, ${Access.Write}); writeLinear(cpu, a, cpu.linHi, 8, v, 0);`,
  { load: false, bytes: 1, how: 'reg' });

// MOVZX r32, r/m16 and r/m8 (SDM Vol.2B MOVZX): zero-extended, bits 63:32 cleared. Byte registers 16–19
// are AH, CH, DH, BH (access.ts getReg8).
specialise('movzx_r32_rm16',
  'cpu.lo[i.reg] = cpu.lo[i.rm] & 0xffff; cpu.hi[i.reg] = 0;',
  `const a = linear(cpu, i, 2, ${Access.Read}); const v = readLinear(cpu, a, cpu.linHi, 16); cpu.lo[i.reg] = v & 0xffff; cpu.hi[i.reg] = 0;`,
  { load: true, bytes: 2, how: 'zx' });
specialise('movzx_r32_rm8',
  'const v = i.rm < 16 ? cpu.lo[i.rm] & 0xff : (cpu.lo[i.rm - 16] >> 8) & 0xff; cpu.lo[i.reg] = v; cpu.hi[i.reg] = 0;',
  `const a = linear(cpu, i, 1, ${Access.Read}); const v = readLinear(cpu, a, cpu.linHi, 8); cpu.lo[i.reg] = v & 0xff; cpu.hi[i.reg] = 0;`,
  { load: true, bytes: 1, how: 'zx' });

// MOVSXD r64, r/m32 (SDM Vol.2B MOVSX/MOVSXD): bits 63:32 copy bit 31.
specialise('movsxd_r64_rm32',
  'const v = cpu.lo[i.rm]; cpu.lo[i.reg] = v; cpu.hi[i.reg] = v >> 31;',
  `const a = linear(cpu, i, 4, ${Access.Read}); const v = readLinear(cpu, a, cpu.linHi, 32) | 0; cpu.lo[i.reg] = v; cpu.hi[i.reg] = v >> 31;`,
  { load: true, bytes: 4, how: 'sx' });

/** Replaces handlers[name], which has no r/m operand, by `body` compiled, which translated blocks paste inline. */
function specialiseAll(name: string, body: string): void {
  const generic = handlers[name];
  if (generic === undefined) return;
  const h = compile(`${name}_all`, body);
  INLINE_BODY.set(h, body);
  SPECIALISE.set(generic, () => h);
  RIP_FREE.add(generic);
}
// MOV r32, imm32 zero-extends; MOV r64, imm64 (SDM Vol.2B MOV, B8+r): the register is i.rm.
specialiseAll('mov_r32_imm32', 'cpu.lo[i.rm] = i.immLo; cpu.hi[i.rm] = 0;');
specialiseAll('mov_r64_imm64', 'cpu.lo[i.rm] = i.immLo; cpu.hi[i.rm] = i.immHi;');

/**
 * LEA with a base + displacement address in 64-bit code (EaKind.Base64: SDM Vol.2A LEA, the effective
 * address without segment base, sized to the operand), as access.ts effectiveAddress computes it; other
 * address forms keep the generic handler.
 */
function specialiseLea(name: string, bits: number, body: string): void {
  const generic = handlers[name];
  if (generic === undefined) return;
  INLINE_LEA.set(generic, bits);
  const b64 = compile(`${name}_base64`, `const s = (cpu.lo[i.base] >>> 0) + (i.dispLo >>> 0);
const hi = (cpu.hi[i.base] + i.dispHi + (s > 0xffffffff ? 1 : 0)) | 0;
cpu.linHi = hi;
${body}`);
  INLINE_LEA.set(b64, bits);
  SPECIALISE.set(generic, (i: Insn) => (i.ea === EaKind.Base64 ? b64 : generic));
  RIP_FREE.add(generic);
}
specialiseLea('lea_r64_m', 64, 'cpu.lo[i.reg] = s | 0; cpu.hi[i.reg] = hi;');
specialiseLea('lea_r32_m', 32, 'cpu.lo[i.reg] = s | 0; cpu.hi[i.reg] = 0;');
