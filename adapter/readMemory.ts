// readMemory.ts: guest memory as the debugger reads it — by linear address through the current paging
// (inspect.ts walks: no accessed/dirty bits, no #PF, no CR2), with bigint addresses so that canonical
// addresses above 2^53 work, or by physical address. Used by expressions and the REPL's dumps.
import { walk } from '../emulator/mmu/inspect';
import type { Debuggee } from './debuggee';
import { hex } from './format';

const MASK = (1n << 64n) - 1n;

/**
 * Reads `size` bytes (little-endian, unsigned) at a linear address through the current paging, or at a
 * physical address. Linear addresses must be canonical with 4- or 5-level paging (SDM Vol.1 §3.3.7.1) and
 * below 4 GiB otherwise.
 */
export function readMemory(d: Debuggee, address: bigint, size: number, physical: boolean): { value: bigint } | { error: string } {
  const bytes = readBytes(d, address, size, physical);
  if ('error' in bytes) return bytes;
  let v = 0n;
  for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes.bytes[k]);
  return { value: v };
}

/** Bytes at a linear (or physical) address; a read that crosses into an unmapped page fails as a whole. */
export function readBytes(d: Debuggee, address: bigint, size: number, physical: boolean): { bytes: Uint8Array } | { error: string } {
  const out = new Uint8Array(size);
  if (physical) {
    if (address + BigInt(size) > 1n << 52n) return { error: `cannot read physical ${hex(address)}: beyond the 52-bit physical address space` };
    out.set(d.readPhysical(Number(address), size));
    return { bytes: out };
  }
  const bits = linearBits(d);
  let done = 0;
  while (done < size) {
    const at = (address + BigInt(done)) & MASK;
    const check = linearProblem(at, bits);
    if (check !== null) return { error: `cannot read linear ${hex(at)}: ${check}` };
    const r = walk(d.machine.phys, d.cpu, at);
    if (r.physical === null) return { error: `cannot read linear ${hex(at)}: ${r.fault?.reason ?? 'not mapped'}` };
    const inPage = Math.min(size - done, 4096 - Number(at & 0xfffn));
    out.set(d.readPhysical(r.physical, inPage), done);
    done += inPage;
  }
  return { bytes: out };
}

/**
 * Bits of a linear address under the current paging: 57 or 48 with 5- or 4-level paging (IA-32e mode, also in
 * compatibility mode: the debugger may look above 4 GiB while 32-bit code runs, and GDTR/IDTR bases are
 * 64-bit there), 32 otherwise.
 */
export function linearBits(d: Debuggee): number {
  const paging = d.mode().paging;
  return paging === '5-level' ? 57 : paging === '4-level' ? 48 : 32;
}

/** Why a linear address cannot be used with `bits`-bit linear addresses (SDM Vol.1 §3.3.7.1), or null. */
export function linearProblem(linear: bigint, bits: number): string | null {
  if (bits > 32) {
    const top = linear >> BigInt(bits - 1);
    const ones = (1n << BigInt(65 - bits)) - 1n;
    if (top !== 0n && top !== ones) return `not canonical for ${bits}-bit linear addresses`;
    return null;
  }
  return linear > 0xffffffffn ? 'beyond the 32-bit linear address space' : null;
}

/** The NUL-terminated string at a linear address (at most 256 bytes; stops at an unmapped page). */
export function readString(d: Debuggee, linear: bigint, max = 256): string {
  let s = '';
  for (let k = 0; k < max; k++) {
    const r = readBytes(d, linear + BigInt(k), 1, false);
    if ('error' in r) return s + `<${r.error}>`;
    if (r.bytes[0] === 0) return s;
    s += String.fromCharCode(r.bytes[0]);
  }
  return s + '…';
}
