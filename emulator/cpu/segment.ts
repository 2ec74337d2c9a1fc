// segment.ts: loading a segment register — the visible selector and its hidden descriptor cache — and the
// limit/type check every memory access makes outside 64-bit mode.
// Real and virtual-8086 mode: base = selector × 16 (SDM Vol.3A §20.1.1). Protected mode: the
// descriptor is read from the GDT or LDT with the checks of SDM Vol.2B MOV/POP (Sreg) Operation.
import { Access } from '../mmu/mmu';
import { Vector, raise } from './fault';
import { ATTN_MODE, Cpu, Reg, Seg } from './state';
import { ATTR_DB, ATTR_L, CR0_PE, EFLAGS_VM, updateMode } from './modes';

/** segAttr bits (descriptor bits 40–55 shifted down by 8): SDM Vol.3A §3.4.5, Figure 3-8. */
export const ATTR_ACCESSED = 1;
export const ATTR_S = 1 << 4;
export const ATTR_P = 1 << 7;
export const ATTR_G = 1 << 15;
/** Type bits with S = 1 (SDM Vol.3A §3.4.5.1, Table 3-1). */
export const TYPE_CODE = 8;
export const TYPE_CONFORMING = 4; // code
export const TYPE_EXPAND_DOWN = 4; // data
export const TYPE_READABLE = 2; // code
export const TYPE_WRITABLE = 2; // data

/** System descriptor types (S = 0), SDM Vol.3A §3.5, Table 3-2 (IA-32e column in comments). */
export const SYS_TSS16_AVAIL = 1;
export const SYS_LDT = 2;
export const SYS_TSS16_BUSY = 3;
export const SYS_CALL_GATE16 = 4;
export const SYS_TASK_GATE = 5;
export const SYS_INT_GATE16 = 6;
export const SYS_TRAP_GATE16 = 7;
export const SYS_TSS32_AVAIL = 9; // 64-bit TSS (available) in IA-32e mode
export const SYS_TSS32_BUSY = 11; // 64-bit TSS (busy)
export const SYS_CALL_GATE32 = 12; // 64-bit call gate
export const SYS_INT_GATE32 = 14; // 64-bit interrupt gate
export const SYS_TRAP_GATE32 = 15; // 64-bit trap gate

/**
 * Descriptor fields read by readDescriptor (kept here to avoid allocation). lo/hi are the two dwords;
 * hi2 (bits 95:64) and hi3 (127:96) are the upper half of a 16-byte IA-32e system descriptor
 * (readDescriptorUpper); addrLo/addrHi is the linear address of the descriptor (accessed/busy bits).
 */
export const desc = { lo: 0, hi: 0, hi2: 0, hi3: 0, baseLo: 0, limit: 0, attr: 0, addrLo: 0, addrHi: 0 };

/** Reads the 8-byte descriptor for `selector` from the GDT or LDT into `desc`; #GP(selector) beyond the limit. */
export function readDescriptor(cpu: Cpu, selector: number): void {
  if (!tryReadDescriptor(cpu, selector, 8)) raise(Vector.GP, selector & 0xfffc, 'selector beyond the descriptor table limit');
}

/**
 * Reads the descriptor for `selector` into `desc` when its `bytes` (8 or 16) lie within the GDT or LDT
 * limit (SDM Vol.3A §3.5.1); false otherwise. An LDT selector with a null LDTR is beyond every limit.
 */
export function tryReadDescriptor(cpu: Cpu, selector: number, bytes: number): boolean {
  const index = selector & 0xfff8;
  const ldt = (selector & 4) !== 0;
  const baseLo = ldt ? cpu.segBaseLo[Seg.LDTR] : cpu.gdtrBaseLo;
  const baseHi = ldt ? cpu.segBaseHi[Seg.LDTR] : cpu.gdtrBaseHi;
  const limit = ldt ? cpu.segLimit[Seg.LDTR] : cpu.gdtrLimit;
  if (ldt && ((cpu.segSel[Seg.LDTR] & 0xfffc) === 0 || (cpu.segAttr[Seg.LDTR] & ATTR_P) === 0)) return false;
  if (index + bytes - 1 > limit >>> 0) return false;
  const a = (baseLo + index) | 0;
  // Descriptor tables have 64-bit bases only while IA-32e mode is active (SDM Vol.3A §3.5.1).
  const aHi = cpu.long64 || (cpu.efer & (1 << 10)) !== 0 ? (baseHi + ((a >>> 0) < (baseLo >>> 0) ? 1 : 0)) | 0 : 0;
  // Descriptor-table reads are implicit supervisor-mode accesses whatever the CPL (SDM Vol.3A §4.6.1).
  const lo = cpu.mem.readSystem(a, aHi, 4);
  const hi = cpu.mem.readSystem((a + 4) | 0, aHi, 4);
  if (bytes === 16) {
    desc.hi2 = cpu.mem.readSystem((a + 8) | 0, aHi, 4);
    desc.hi3 = cpu.mem.readSystem((a + 12) | 0, aHi, 4);
  } else {
    desc.hi2 = desc.hi3 = 0;
  }
  desc.addrLo = a;
  desc.addrHi = aHi;
  desc.lo = lo;
  desc.hi = hi;
  desc.baseLo = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) | 0;
  let limitRaw = (lo & 0xffff) | (hi & 0x000f0000);
  if (hi & (1 << 23)) limitRaw = (limitRaw << 12) | 0xfff; // G: 4 KiB granularity
  desc.limit = limitRaw | 0;
  desc.attr = (hi >>> 8) & 0xffff;
  return true;
}

/** Sets the accessed bit of the descriptor last read (SDM Vol.3A §3.4.5.1: set when the selector is loaded). */
export function markAccessed(cpu: Cpu): void {
  if ((desc.attr & ATTR_ACCESSED) === 0) cpu.mem.writeSystem((desc.addrLo + 5) | 0, desc.addrHi, 1, (desc.attr | 1) & 0xff);
  desc.attr |= ATTR_ACCESSED;
}

/** Installs `desc` in the hidden part of `seg` with the visible `selector`. */
export function setCache(cpu: Cpu, seg: number, selector: number): void {
  cpu.segSel[seg] = selector & 0xffff;
  cpu.segBaseLo[seg] = desc.baseLo;
  cpu.segBaseHi[seg] = 0;
  cpu.segLimit[seg] = desc.limit;
  cpu.segAttr[seg] = desc.attr;
}

/** A null selector in `seg`: unusable, any access faults (SDM Vol.3A §3.4.2). */
export function setNull(cpu: Cpu, seg: number, selector: number): void {
  cpu.segSel[seg] = selector & 0xffff;
  cpu.segBaseLo[seg] = cpu.segBaseHi[seg] = 0;
  cpu.segLimit[seg] = 0;
  cpu.segAttr[seg] = 0;
}

/**
 * Loads CS from `desc` (already checked by the far transfer) with RPL = `cpl`, and makes `cpl` current.
 * A CPL change re-selects paging's user/supervisor view (Mmu.setPagingState); CS changes the mode
 * (compatibility vs 64-bit from CS.L, SDM Vol.3A §5.2.1), so the run loop re-derives it (ATTN_MODE).
 */
export function loadCs(cpu: Cpu, selector: number, cpl: number): void {
  markAccessed(cpu);
  setCache(cpu, Seg.CS, (selector & 0xfffc) | cpl);
  setCpl(cpu, cpl);
}

/** Makes `cpl` the current privilege level (after CS/SS are loaded) and re-derives the mode. */
export function setCpl(cpu: Cpu, cpl: number): void {
  const changed = cpu.cpl !== cpl;
  cpu.attention |= ATTN_MODE;
  updateMode(cpu);
  cpu.cpl = cpl;
  if (changed) cpu.mem.setPagingState(cpu, false);
}

/**
 * Flat segments that SYSCALL/SYSRET/SYSENTER/SYSEXIT load without reading a descriptor (SDM Vol.2B
 * SYSCALL Operation): base 0, limit FFFFFH with G = 1, present, S = 1, accessed.
 */
export function loadFlat(cpu: Cpu, seg: number, selector: number, type: number, dpl: number, l: boolean): void {
  cpu.segSel[seg] = selector & 0xffff;
  cpu.segBaseLo[seg] = cpu.segBaseHi[seg] = 0;
  cpu.segLimit[seg] = -1;
  // Code: L and D as asked (D = 1 when L = 0); SS: B = 1.
  cpu.segAttr[seg] = type | ATTR_S | (dpl << 5) | ATTR_P | 0xf00 | ATTR_G | (l ? ATTR_L : ATTR_DB);
}

/**
 * Whether `size` bytes at `offset` lie within a segment of attributes `attr` and limit `limit`
 * (SDM Vol.3A §5.3): for an expand-down data segment the valid offsets are limit+1 up to FFFFH or
 * FFFFFFFFH (by the B flag); otherwise 0 up to the limit.
 */
export function withinLimit(attr: number, limit: number, offset: number, size: number): boolean {
  const end = (offset >>> 0) + size - 1;
  if ((attr & (ATTR_S | TYPE_CODE | TYPE_EXPAND_DOWN)) === (ATTR_S | TYPE_EXPAND_DOWN)) {
    const upper = (attr & ATTR_DB) !== 0 ? 0xffffffff : 0xffff;
    return (offset >>> 0) > (limit >>> 0) && end <= upper;
  }
  return end <= (limit >>> 0);
}

/**
 * The segment check of a data access outside 64-bit mode (SDM Vol.3A §5.3 limit checking, §5.4 type
 * checking, §3.4.2 null selectors): #SS(0) for SS, #GP(0) for other segments when the offset is
 * outside the limit (expand-down aware), the segment is null/unusable, a write goes to a read-only
 * data segment or any code segment, or a read goes to an execute-only code segment. Type and null
 * checks apply in protected mode only: real-address and virtual-8086 mode loads do not read descriptors.
 */
export function checkSegmentAccess(cpu: Cpu, seg: number, offset: number, size: number, write: boolean): void {
  const attr = cpu.segAttr[seg];
  if (!withinLimit(attr, cpu.segLimit[seg], offset, size)) {
    raise(seg === Seg.SS ? Vector.SS : Vector.GP, 0, 'offset beyond the segment limit');
  }
  if ((cpu.cr0 & CR0_PE) === 0 || (cpu.flags & EFLAGS_VM) !== 0) return;
  if ((attr & ATTR_P) === 0) raise(seg === Seg.SS ? Vector.SS : Vector.GP, 0, 'access through a null segment selector');
  const t = attr & (TYPE_CODE | TYPE_WRITABLE);
  if (write ? t !== TYPE_WRITABLE : t === TYPE_CODE) {
    raise(seg === Seg.SS ? Vector.SS : Vector.GP, 0, write ? 'write to a read-only or code segment' : 'read from an execute-only code segment');
  }
}

/**
 * Loads data or stack segment register `seg` (ES, SS, DS, FS, GS) with `selector`, as MOV Sreg, POP Sreg
 * and LDS/LES/LFS/LGS/LSS do (SDM Vol.2B MOV Operation). CS is loaded only by far transfers (exec/far.ts).
 */
export function loadSegment(cpu: Cpu, seg: number, selector: number): void {
  selector &= 0xffff;
  if ((cpu.cr0 & CR0_PE) === 0 || (cpu.flags & EFLAGS_VM) !== 0) {
    cpu.segSel[seg] = selector;
    cpu.segBaseLo[seg] = selector << 4;
    cpu.segBaseHi[seg] = 0;
    // A real-mode load makes a segment nulled in protected mode usable again (limit and type stay).
    if ((cpu.segAttr[seg] & ATTR_P) === 0) cpu.segAttr[seg] = 0x93;
    if (seg === Seg.SS) cpu.attention |= ATTN_MODE;
    return;
  }
  const rpl = selector & 3;
  if ((selector & 0xfffc) === 0) {
    // Null selector: #GP(0) for SS except in 64-bit mode at CPL < 3 with RPL = CPL (SDM Vol.2B MOV).
    if (seg === Seg.SS && !(cpu.long64 && cpu.cpl !== 3 && rpl === cpu.cpl)) raise(Vector.GP, 0, 'null selector loaded into SS');
    setNull(cpu, seg, selector);
    if (seg === Seg.SS) cpu.attention |= ATTN_MODE;
    return;
  }
  readDescriptor(cpu, selector);
  const attr = desc.attr;
  const type = attr & 0xf, s = (attr >> 4) & 1, dpl = (attr >> 5) & 3, present = (attr >> 7) & 1;
  const code = (type & TYPE_CODE) !== 0;
  if (seg === Seg.SS) {
    // SS: writable data segment with RPL = DPL = CPL.
    if (rpl !== cpu.cpl || !s || code || (type & TYPE_WRITABLE) === 0 || dpl !== cpu.cpl) raise(Vector.GP, selector & 0xfffc, 'SS needs a writable data segment at CPL');
    if (!present) raise(Vector.SS, selector & 0xfffc, 'stack segment not present');
  } else {
    // Data segments or readable code; DPL ≥ max(CPL, RPL) unless conforming code.
    if (!s || code && (type & TYPE_READABLE) === 0) raise(Vector.GP, selector & 0xfffc, 'not a data or readable code segment');
    if ((!code || (type & TYPE_CONFORMING) === 0) && (rpl > dpl || cpu.cpl > dpl)) raise(Vector.GP, selector & 0xfffc, 'segment DPL below CPL or RPL');
    if (!present) raise(Vector.NP, selector & 0xfffc, 'segment not present');
  }
  markAccessed(cpu);
  setCache(cpu, seg, selector);
  if (seg === Seg.SS) cpu.attention |= ATTN_MODE;
}

/**
 * After a return to an outer privilege level (RET, IRET): ES, DS, FS and GS that hold a data or
 * non-conforming code segment with DPL < the new CPL are nulled (SDM Vol.2 RET/IRET Operation,
 * "FOR each SegReg in (ES, FS, GS, and DS)").
 */
export function nullOuterSegments(cpu: Cpu, cpl: number): void {
  for (const seg of OUTER_SEGS) {
    const attr = cpu.segAttr[seg];
    const conformingCode = (attr & (TYPE_CODE | TYPE_CONFORMING)) === (TYPE_CODE | TYPE_CONFORMING);
    if ((attr & ATTR_S) !== 0 && !conformingCode && cpl > ((attr >> 5) & 3)) setNull(cpu, seg, 0);
  }
}
const OUTER_SEGS = [Seg.ES, Seg.FS, Seg.GS, Seg.DS];

/**
 * A stack being built by a far CALL, an interrupt or an exception before it becomes current: its SS
 * cache, pointer and width (16, 32 or 64). Nothing here touches SS or RSP until frameCommit, so a
 * fault part-way leaves the registers as they were (SDM Vol.2 CALL/INT n: checks precede the switch).
 * `err` is the error code of the #SS raised when the frame does not fit (0, or the new SS selector).
 */
export const frame = { sel: 0, base: 0, limit: 0, attr: 0, width: 32, spLo: 0, spHi: 0, err: 0, supervisor: false };

/** Starts a frame on the current stack. */
export function frameCurrent(cpu: Cpu, err: number): void {
  frame.sel = cpu.segSel[Seg.SS];
  frame.base = cpu.segBaseLo[Seg.SS];
  frame.limit = cpu.segLimit[Seg.SS];
  frame.attr = cpu.segAttr[Seg.SS];
  frame.width = cpu.stackSize;
  frame.spLo = cpu.lo[Reg.RSP];
  frame.spHi = cpu.hi[Reg.RSP];
  frame.err = err;
  frame.supervisor = false;
}

/**
 * Starts a frame on the stack described by `desc` (legacy modes) at ESP = `sp`: the stack of an inner
 * privilege level, so at CPL 0–2 (a supervisor-mode stack: see framePush).
 */
export function frameNew(selector: number, sp: number, err: number): void {
  frame.sel = selector;
  frame.base = desc.baseLo;
  frame.limit = desc.limit;
  frame.attr = desc.attr;
  frame.width = (desc.attr & ATTR_DB) !== 0 ? 32 : 16;
  frame.spLo = sp;
  frame.spHi = 0;
  frame.err = err;
  frame.supervisor = true;
}

/**
 * Starts a 64-bit frame at RSP = lo/hi with SS = `selector` (a null selector in IA-32e mode), for the
 * handler's or callee's privilege level `cpl`.
 */
export function frame64(selector: number, lo: number, hi: number, err: number, cpl: number): void {
  frame.sel = selector;
  frame.base = frame.limit = frame.attr = 0;
  frame.width = 64;
  frame.spLo = lo;
  frame.spHi = hi;
  frame.err = err;
  frame.supervisor = cpl < 3;
}

function canonical(cpu: Cpu, hi: number): boolean {
  const shift = 64 - cpu.linearBits;
  return ((hi << shift) >> shift) === hi;
}

/** #SS(frame.err) unless `bytes` below the frame's pointer fit: within the limit, or canonical in 64-bit. */
export function frameRoom(cpu: Cpu, bytes: number): void {
  if (frame.width === 64) {
    const low = (frame.spLo >>> 0) - bytes;
    const lowHi = low < 0 ? (frame.spHi - 1) | 0 : frame.spHi;
    if (!canonical(cpu, frame.spHi) || !canonical(cpu, lowHi)) raise(Vector.SS, frame.err, 'stack frame at a non-canonical address');
    return;
  }
  const mask = frame.width === 16 ? 0xffff : -1;
  const low = (frame.spLo - bytes) & mask;
  if (!withinLimit(frame.attr, frame.limit, low, bytes)) raise(Vector.SS, frame.err, 'stack frame beyond the stack segment limit');
}

/** Pushes `size` bits (16, 32, 64) onto the frame (memory only; the registers change at frameCommit). */
export function framePush(cpu: Cpu, size: number, v: number, vHi: number): void {
  const n = size >> 3;
  let aLo: number, aHi = 0;
  if (frame.width === 64) {
    const s = (frame.spLo >>> 0) - n;
    if (s < 0) frame.spHi = (frame.spHi - 1) | 0;
    frame.spLo = s | 0;
    aLo = frame.spLo;
    aHi = frame.spHi;
  } else {
    frame.spLo = frame.width === 16 ? (frame.spLo & ~0xffff) | ((frame.spLo - n) & 0xffff) : (frame.spLo - n) | 0;
    const off = frame.width === 16 ? frame.spLo & 0xffff : frame.spLo;
    if (!withinLimit(frame.attr, frame.limit, off, n)) raise(Vector.SS, frame.err, 'stack frame beyond the stack segment limit');
    aLo = (frame.base + off) | 0;
  }
  const m = cpu.mem;
  if (frame.supervisor && cpu.cpl === 3) {
    // The frame is written at the new CPL, which is a supervisor level, while CPL is still 3 until the
    // transfer commits: paging must check the writes as supervisor-mode accesses (SDM Vol.3A §4.6: the
    // access mode is that of the new CPL; Linux with page-table isolation maps its entry stacks
    // supervisor-only in the user page tables). They go through the implicit supervisor path.
    if (size === 64) { m.writeSystem(aLo, aHi, 4, v); m.writeSystem((aLo + 4) | 0, aLo === -4 ? (aHi + 1) | 0 : aHi, 4, vHi); }
    else m.writeSystem(aLo, aHi, size >> 3, v);
    return;
  }
  if (size === 16) m.write16(aLo, aHi, v);
  else if (size === 32) m.write32(aLo, aHi, v);
  else m.write64(aLo, aHi, v, vHi);
}

/** Makes the frame's stack pointer current (SS is loaded by the caller). */
export function frameCommit(cpu: Cpu): void {
  if (frame.width === 64) { cpu.lo[Reg.RSP] = frame.spLo; cpu.hi[Reg.RSP] = frame.spHi; }
  else if (frame.width === 32) cpu.lo[Reg.RSP] = frame.spLo;
  else cpu.lo[Reg.RSP] = (cpu.lo[Reg.RSP] & ~0xffff) | (frame.spLo & 0xffff);
}

/** True when lo/hi is canonical for the current linear-address width (SDM Vol.3A §3.3.7.1). */
export function isCanonical(cpu: Cpu, lo: number, hi: number): boolean {
  void lo;
  return canonical(cpu, hi);
}

export { Access };
