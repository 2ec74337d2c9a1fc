// inlineAccess.ts: source text for translated blocks (translate.ts) that does a plain MOV load or store
// of 64-bit code inline — effective address from the Insn's constant fields, then the MMU's TLB fast
// path (mmu.ts read*/write*) — and calls the instruction's handler for everything else: a TLB miss, a
// page-crossing or non-canonical address, FS/GS, 67h address sizes. The inline part has no side effect
// before it commits, so falling back to the handler is exact, faults and watched pages included
// (watched pages and code frames have no fast-path TLB entry, mmu.ts fill).
import { EaKind, Handler, Insn } from './insn';
import { Seg } from './state';
import { TLB_MASK } from '../mmu/mmu';

/** What a specialised MOV handler (exec/moveFast.ts) does with its memory operand. */
export interface MovShape {
  /** Load into a register, or store a register or the immediate. */
  load: boolean;
  /** Bytes accessed: 1, 2, 4 or 8. */
  bytes: number;
  /**
   * For loads, how the register is written: 'full' (64-bit), 'zx' (32-bit value, bits 63:32 cleared),
   * 'sx' (32-bit value, bits 63:32 copying bit 31);
   * for stores, where the value comes from: 'reg' or 'imm'.
   */
  how: 'full' | 'zx' | 'sx' | 'reg' | 'imm';
}

/** The memory-form MOV handlers translate.ts may inline, registered by exec/moveFast.ts. */
export const INLINE_MOV = new WeakMap<Handler, MovShape>();

/** The LEA handlers translate.ts may inline (exec/moveFast.ts), by destination size: 32 or 64. */
export const INLINE_LEA = new WeakMap<Handler, number>();

/**
 * Names the generated code uses, bound by translate.ts: L and H (cpu.lo / cpu.hi), the TLB arrays TL,
 * TH, RD, WR, and POOL and DV (the pool as bytes and as a DataView).
 */
export const INLINE_NAMES = ['L', 'H', 'TL', 'TH', 'RD', 'WR', 'POOL', 'DV'];

/**
 * Code that leaves the linear address in `lo`/`hi` (block-scoped consts), or null when the address form
 * is not one done inline. LEA wants the effective address alone (`segmented` false). 64-bit code, DS/ES/SS/CS: the segment base is 0 (SDM Vol.3A §3.3.7.1), so the
 * linear address is the effective address of access.ts effectiveAddress.
 */
function addressCode(i: Insn, segmented = true): string | null {
  if (segmented && i.seg >= Seg.FS) return null;
  const dLo = i.dispLo | 0, dHi = i.dispHi | 0;
  switch (i.ea) {
    case EaKind.Abs:
      return `const lo = ${dLo}, hi = ${dHi};`;
    case EaKind.Base64:
      if (dLo === 0 && dHi === 0) return `const lo = L[${i.base}], hi = H[${i.base}];`;
      return `const s = (L[${i.base}] >>> 0) + ${dLo >>> 0}; const lo = s | 0, hi = (H[${i.base}] + ${dHi} + (s > 4294967295 ? 1 : 0)) | 0;`;
    case EaKind.Full64: {
      const sc = i.scale;
      const xl = sc === 0 ? `L[${i.index}]` : `(L[${i.index}] << ${sc})`;
      const xh = sc === 0 ? `H[${i.index}]` : `((H[${i.index}] << ${sc}) | (L[${i.index}] >>> ${32 - sc}))`;
      const base = i.base >= 0
        ? `const b = (${dLo >>> 0} + (L[${i.base}] >>> 0)); const bLo = b | 0, bHi = (${dHi} + H[${i.base}] + (b > 4294967295 ? 1 : 0)) | 0;`
        : `const bLo = ${dLo}, bHi = ${dHi};`;
      return `${base} const s = (bLo >>> 0) + (${xl} >>> 0); const lo = s | 0, hi = (bHi + ${xh} + (s > 4294967295 ? 1 : 0)) | 0;`;
    }
    default:
      return null;
  }
}

/** A byte register's value (0–15 low bytes, 16–19 AH, CH, DH, BH: access.ts getReg8). */
function reg8(r: number): string {
  return r < 16 ? `(L[${r}] & 255)` : `((L[${r - 16}] >> 8) & 255)`;
}

/**
 * The inline form of instruction k of a 64-bit block, or null. `fallback` is the statement that runs the
 * handler (the caller follows it with its attention check); the fast path cannot set cpu.attention (no
 * code frame, no watched page, no device), so it needs none.
 * The fast-path test is mmu.ts's (tag, entry valid, access within the page) plus the canonical check
 * access.ts linear makes (SDM Vol.3A §3.3.7.1); a page-offset bound keeps the access inside the page,
 * so it cannot cross into the next 4 GiB either.
 */
export function inlineMov(i: Insn, shape: MovShape, fallback: string): string | null {
  const addr = addressCode(i);
  if (addr === null) return null;
  const n = shape.bytes;
  const table = shape.load ? 'RD' : 'WR';
  const test = `TL[t] === (lo & -4096) && TH[t] === hi && (o = ${table}[t]) >= 0 && ${n === 1 ? 'true' : `(lo & 4095) <= ${4096 - n}`} && ((hi << sh) >> sh) === hi`;
  let body: string;
  const at = 'o + (lo & 4095)';
  if (shape.load) {
    const r = i.reg;
    switch (n) {
      case 1: body = `L[${r}] = POOL[${at}]; H[${r}] = 0;`; break;
      case 2: body = `L[${r}] = DV.getUint16(${at}, true); H[${r}] = 0;`; break;
      case 4: body = shape.how === 'sx'
        ? `const v = DV.getInt32(${at}, true); L[${r}] = v; H[${r}] = v >> 31;`
        : `L[${r}] = DV.getInt32(${at}, true); H[${r}] = 0;`; break;
      default: body = `const p = ${at}; L[${r}] = DV.getInt32(p, true); H[${r}] = DV.getInt32(p + 4, true);`; break;
    }
    if ((shape.how === 'full') !== (n === 8) || (shape.how === 'sx' && n !== 4)) return null;
  } else {
    const vLo = shape.how === 'imm' ? `${i.immLo | 0}` : n === 1 ? reg8(i.reg) : `L[${i.reg}]`;
    const vHi = shape.how === 'imm' ? `${i.immHi | 0}` : `H[${i.reg}]`;
    switch (n) {
      case 1: body = `POOL[${at}] = ${vLo};`; break;
      case 2: body = `DV.setUint16(${at}, ${vLo} & 65535, true);`; break;
      case 4: body = `DV.setInt32(${at}, ${vLo}, true);`; break;
      default: body = `const p = ${at}; DV.setInt32(p, ${vLo}, true); DV.setInt32(p + 4, ${vHi}, true);`; break;
    }
  }
  return `{ ${addr} const t = (lo >>> 12) & ${TLB_MASK}; let o = 0; const sh = 64 - cpu.linearBits;
    if (${test}) { ${body} } else { ${fallback} } }`;
}

/**
 * The inline LEA r32/r64, m of 64-bit code (SDM Vol.2A LEA: the effective address, no segment base,
 * no memory access; a 32-bit destination takes bits 31:0 and clears 63:32), or null for 67h forms.
 */
export function inlineLea(i: Insn, bits: number): string | null {
  const addr = addressCode(i, false);
  if (addr === null) return null;
  return `{ ${addr} L[${i.reg}] = lo; H[${i.reg}] = ${bits === 64 ? 'hi' : '0'}; }`;
}
