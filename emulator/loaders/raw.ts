// raw.ts: loads a raw binary image at any physical address (above 4 GiB too) with an entry point.
import type { Machine } from '../machine';
import { checkRam } from './elf';
import { guard, hex, LoadResult, LoadedSegment } from './image';

export interface RawLoaded {
  segments: LoadedSegment[];
  entry: number;
}

/** Copies `bytes` to `physical`; the entry defaults to the first byte. The range must be guest RAM. */
export function loadRaw(machine: Machine, bytes: Uint8Array, physical: number, entry = physical, file = 'image'): LoadResult<RawLoaded> {
  return guard(file, () => {
    checkRam(machine, physical, bytes.length, `load range ${hex(physical)}-${hex(physical + bytes.length)}`);
    machine.load(physical, bytes);
    return { segments: [{ physical, virtual: physical, filesz: bytes.length, memsz: bytes.length }], entry };
  });
}
