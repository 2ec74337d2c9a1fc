// image.ts: what every loader shares — the error value naming file, field and byte offset, the result
// type, and a bounds-checked little-endian reader over the image bytes (no read ever leaves the buffer).

/** A loader's failure: which file, which field, where in the file, and the message for the user. */
export interface LoadError {
  ok: false;
  file: string;
  /** The field or structure at fault, e.g. "program header 2", "Multiboot header checksum". */
  field: string;
  /** Byte offset in the file of that field (-1 when the problem is not at one place, e.g. RAM too small). */
  offset: number;
  /** `kernel.elf: program header 2 at offset 0x40 extends beyond the end of the file (size 0x3a)` */
  message: string;
}

export type LoadResult<T> = ({ ok: true } & T) | LoadError;

/** A span of physical memory a loader filled: file bytes then zeros up to memsz. */
export interface LoadedSegment {
  /** Physical address it was loaded at. */
  physical: number;
  /** Virtual address it was linked at (equal to physical for raw images). */
  virtual: number;
  /** Bytes copied from the file. */
  filesz: number;
  /** Bytes occupied in memory (the rest after filesz is zero-filled). */
  memsz: number;
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Thrown inside a loader and caught at its public entry point (never escapes as an exception). */
export class LoadFailure {
  constructor(readonly field: string, readonly offset: number, readonly detail: string) {}
}

export function fail(field: string, offset: number, detail: string): never {
  throw new LoadFailure(field, offset, detail);
}

export function toError(file: string, f: LoadFailure): LoadError {
  const at = f.offset >= 0 ? ` at offset ${hex(f.offset)}` : '';
  return { ok: false, file, field: f.field, offset: f.offset, message: `${file}: ${f.field}${at} ${f.detail}` };
}

/** Runs `body`, turning a LoadFailure into a LoadError; other exceptions are bugs and propagate. */
export function guard<T>(file: string, body: () => T): LoadResult<T> {
  try {
    return { ok: true, ...body() };
  } catch (e) {
    if (e instanceof LoadFailure) return toError(file, e);
    throw e;
  }
}

/** Largest physical address the loaders accept (52 address bits, SDM Vol.3A §4.1.4 MAXPHYADDR). */
export const MAX_PHYSICAL = 2 ** 52;

/** Bounds-checked little-endian reads; every failure names the field being read and its offset. */
export class ByteReader {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Fails unless [offset, offset + size) lies within the buffer. */
  need(offset: number, size: number, field: string): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0 || offset + size > this.bytes.length) {
      fail(field, offset, `extends beyond the end of the file (size ${hex(this.bytes.length)})`);
    }
  }

  u8(offset: number, field: string): number {
    this.need(offset, 1, field);
    return this.bytes[offset];
  }

  u16(offset: number, field: string): number {
    this.need(offset, 2, field);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number, field: string): number {
    this.need(offset, 4, field);
    return this.view.getUint32(offset, true);
  }

  /** A 64-bit value as a number: exact below 2^53, rounded above (only addresses can be that large). */
  u64(offset: number, field: string): number {
    this.need(offset, 8, field);
    return this.view.getUint32(offset + 4, true) * 2 ** 32 + this.view.getUint32(offset, true);
  }

  /** A 64-bit offset or size: must be exact (below 2^53). */
  u64Exact(offset: number, field: string): number {
    const v = this.u64(offset, field);
    if (!Number.isSafeInteger(v)) fail(field, offset, `is too large (${hex(v)})`);
    return v;
  }

  /** The slice [offset, offset + size), after checking it lies within the buffer. */
  slice(offset: number, size: number, field: string): Uint8Array {
    this.need(offset, size, field);
    return this.bytes.subarray(offset, offset + size);
  }
}

/** Longest name read from a string table: a bound, so a corrupt table costs linear time, not quadratic. */
export const MAX_NAME = 4096;

/**
 * A NUL-terminated string at `offset` of `bytes` (decoded as UTF-8), bounded by `end`; null when no
 * NUL comes within `end` and MAX_NAME bytes.
 */
export function cString(bytes: Uint8Array, offset: number, end = bytes.length): string | null {
  if (offset < 0 || offset >= end) return null;
  const stop = Math.min(end, offset + MAX_NAME);
  let k = offset;
  while (k < stop && bytes[k] !== 0) k++;
  if (k >= stop) return null;
  return utf8(bytes.subarray(offset, k));
}

const decoder = new TextDecoder('utf-8');
export function utf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
