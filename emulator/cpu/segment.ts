// segment.ts: loading a segment register — the visible selector and its hidden descriptor cache.
// Real and virtual-8086 mode: base = selector × 16 (SDM Vol.3A §20.1.1). Protected mode: the
// descriptor is read from the GDT or LDT with the checks of SDM Vol.2B MOV/POP (Sreg) Operation.
import { Access } from '../mmu/mmu';
import { Vector, raise } from './fault';
import { ATTN_MODE, Cpu, Seg } from './state';
import { CR0_PE, EFLAGS_VM } from './modes';

/** Descriptor fields read by readDescriptor (kept here to avoid allocation). */
export const desc = { lo: 0, hi: 0, baseLo: 0, limit: 0, attr: 0 };

/** Reads the 8-byte descriptor for `selector` from the GDT or LDT into `desc`; #GP(selector) beyond the limit. */
export function readDescriptor(cpu: Cpu, selector: number): void {
  const index = selector & ~7;
  const ldt = (selector & 4) !== 0;
  const baseLo = ldt ? cpu.segBaseLo[Seg.LDTR] : cpu.gdtrBaseLo;
  const baseHi = ldt ? cpu.segBaseHi[Seg.LDTR] : cpu.gdtrBaseHi;
  const limit = ldt ? cpu.segLimit[Seg.LDTR] : cpu.gdtrLimit;
  if (ldt && (cpu.segSel[Seg.LDTR] & ~3) === 0 || index + 7 > limit >>> 0) raise(Vector.GP, selector & ~3, 'selector beyond the descriptor table limit');
  const a = (baseLo + index) | 0;
  const aHi = cpu.long64 ? baseHi + ((a >>> 0) < (baseLo >>> 0) ? 1 : 0) : 0;
  const lo = cpu.mem.read32(a, aHi);
  const hi = cpu.mem.read32((a + 4) | 0, aHi);
  desc.lo = lo;
  desc.hi = hi;
  desc.baseLo = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) | 0;
  let limitRaw = (lo & 0xffff) | (hi & 0x000f0000);
  if (hi & (1 << 23)) limitRaw = (limitRaw << 12) | 0xfff; // G: 4 KiB granularity
  desc.limit = limitRaw | 0;
  desc.attr = (hi >>> 8) & 0xffff;
}

/**
 * Loads data or stack segment register `seg` (ES, SS, DS, FS, GS) with `selector`, as MOV Sreg and
 * POP Sreg do. CS is loaded only by far transfers.
 */
export function loadSegment(cpu: Cpu, seg: number, selector: number): void {
  selector &= 0xffff;
  if ((cpu.cr0 & CR0_PE) === 0 || (cpu.flags & EFLAGS_VM) !== 0) {
    cpu.segSel[seg] = selector;
    cpu.segBaseLo[seg] = selector << 4;
    cpu.segBaseHi[seg] = 0;
    if (seg === Seg.SS) cpu.attention |= ATTN_MODE;
    return;
  }
  const rpl = selector & 3;
  if ((selector & ~3) === 0) {
    // Null selector: #GP(0) for SS except in 64-bit mode at CPL < 3 with RPL = CPL (SDM Vol.2B MOV).
    if (seg === Seg.SS && !(cpu.long64 && cpu.cpl !== 3 && rpl === cpu.cpl)) raise(Vector.GP, 0, 'null selector loaded into SS');
    cpu.segSel[seg] = selector;
    cpu.segBaseLo[seg] = cpu.segBaseHi[seg] = 0;
    cpu.segLimit[seg] = 0;
    cpu.segAttr[seg] = 0; // not present: any use faults
    if (seg === Seg.SS) cpu.attention |= ATTN_MODE;
    return;
  }
  readDescriptor(cpu, selector);
  const attr = desc.attr;
  const type = attr & 0xf, s = (attr >> 4) & 1, dpl = (attr >> 5) & 3, present = (attr >> 7) & 1;
  const code = (type & 8) !== 0;
  if (seg === Seg.SS) {
    // SS: writable data segment with RPL = DPL = CPL.
    if (rpl !== cpu.cpl || !s || code || (type & 2) === 0 || dpl !== cpu.cpl) raise(Vector.GP, selector & ~3, 'SS needs a writable data segment at CPL');
    if (!present) raise(Vector.SS, selector & ~3, 'stack segment not present');
  } else {
    // Data segments or readable code; DPL ≥ max(CPL, RPL) unless conforming code.
    if (!s || code && (type & 2) === 0) raise(Vector.GP, selector & ~3, 'not a data or readable code segment');
    if ((!code || (type & 4) === 0) && (rpl > dpl || cpu.cpl > dpl)) raise(Vector.GP, selector & ~3, 'segment DPL below CPL or RPL');
    if (!present) raise(Vector.NP, selector & ~3, 'segment not present');
  }
  // Set the accessed bit in the descriptor (SDM Vol.3A §3.4.5.1).
  if ((type & 1) === 0) {
    const baseLo = selector & 4 ? cpu.segBaseLo[Seg.LDTR] : cpu.gdtrBaseLo;
    const a = (baseLo + (selector & ~7) + 5) | 0;
    cpu.mem.write8(a, 0, (attr | 1) & 0xff);
  }
  cpu.segSel[seg] = selector;
  cpu.segBaseLo[seg] = desc.baseLo;
  cpu.segBaseHi[seg] = 0;
  cpu.segLimit[seg] = desc.limit;
  cpu.segAttr[seg] = attr | 1;
  if (seg === Seg.SS) cpu.attention |= ATTN_MODE;
}

export { Access };
