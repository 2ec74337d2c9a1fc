// replArgs.ts: what the REPL's commands share — the address argument (`phys:` or an expression), labels
// next to addresses, address widths for the current paging, and whether IA-32e mode is active.
import type { Debuggee } from './debuggee';
import { evaluate } from './evaluate';
import { linearBits } from './readMemory';
import { readRegister } from './registers';

/** An address argument: `phys:EXPR` is physical, anything else an expression giving a linear address. */
export function addressArg(d: Debuggee, text: string, what: string): { address: bigint; physical: boolean } | string {
  let t = text.trim();
  let physical = false;
  if (/^phys:/i.test(t)) { physical = true; t = t.slice(5); }
  if (t === '') return `${what}: missing address`;
  const r = evaluate(d, t);
  if ('error' in r) return `${what}: ${r.error}`;
  return { address: r.value, physical };
}

/** `<label+0x10>` for an address, or '' when no label is near (symbols.ts, through copies). */
export function symbolOf(d: Debuggee, address: bigint): string {
  if (address > BigInt(Number.MAX_SAFE_INTEGER)) return '';
  const s = d.symbols.symbolize(Number(address));
  if (s === null) return '';
  return `<${s.name}${s.offset === 0 ? '' : '+0x' + s.offset.toString(16)}>`;
}

/** Hex digits for linear addresses under the current paging: 16 with 4/5-level paging, 8 otherwise. */
export function addressDigits(d: Debuggee): number {
  return linearBits(d) > 32 ? 16 : 8;
}

/** IA-32e mode is active (EFER.LMA, SDM Vol.3A §2.2.1): 64-bit or compatibility mode. */
export function isIa32e(d: Debuggee): boolean {
  return ((readRegister(d, 'efer') ?? 0n) & (1n << 10n)) !== 0n;
}
