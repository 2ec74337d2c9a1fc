// memory.ts: memory references as the adapter hands them to VS Code's memory view and takes them back —
// `0x7000` is a linear address (read through the current paging), `phys:0x7000` a physical one.
import { parseNumber } from '../emulator/loaders/boot';

export interface MemoryReference {
  space: 'linear' | 'physical';
  address: number;
}

export function parseMemoryReference(text: string): MemoryReference | string {
  const t = text.trim();
  const physical = /^phys(ical)?:/i.test(t);
  const n = parseNumber(physical ? t.replace(/^phys(ical)?:/i, '') : t);
  if (Number.isNaN(n)) return `memory reference "${text}" is not an address (0x…, or phys:0x… for a physical address)`;
  return { space: physical ? 'physical' : 'linear', address: n };
}

export function memoryReference(space: 'linear' | 'physical', address: number): string {
  return `${space === 'physical' ? 'phys:' : ''}0x${address.toString(16)}`;
}
