// physical.ts: guest physical memory — sparse, up to 52 address bits, RAM frames allocated on first write.
// Frames live in one pool ArrayBuffer (the OS zero-fills it lazily, so untouched RAM costs nothing).
// Pool frame 0 is a shared all-zero frame that untouched RAM reads from. Addresses that are neither
// RAM nor a device read as all-ones and drop writes, as on a PC bus with nothing behind it.

export const PAGE_SIZE = 4096;
/** Physical address of the first byte above 4 GiB. */
export const FOUR_GIB = 0x1_0000_0000;
/** The PCI hole: RAM below 4 GiB ends here at the latest (as on QEMU's pc machine). */
export const LOW_RAM_LIMIT = 0xc000_0000;
/** Pool offsets are int32 (so TLB entries stay small integers): at most this much RAM can be touched. */
const MAX_POOL = 0x8000_0000 - PAGE_SIZE;

export interface MmioDevice {
  /** Reads `size` bytes (1, 2, 4) at `offset` from the region base; returns the value as uint32. */
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
}

interface MmioRegion { base: number; size: number; device: MmioDevice }

export class PhysicalMemory {
  readonly pool: Uint8Array;
  readonly view: DataView;
  /** Pool frame (byte offset) per physical frame below 4 GiB; 0 = not allocated yet. */
  private readonly lowFrame: Int32Array;
  private readonly highFrame = new Map<number, number>();
  private nextOffset = PAGE_SIZE; // frame 0 is the zero frame
  /** Bytes of RAM below 4 GiB, and above it (from 4 GiB up). */
  readonly lowRam: number;
  readonly highRam: number;
  private readonly mmio: MmioRegion[] = [];
  /** Pool frames holding decoded code, by pool offset / PAGE_SIZE: writes to them must invalidate. */
  readonly codeFrames: Uint8Array;
  /** Called after a RAM frame is first backed: readers of the shared zero frame must look again. */
  onAllocate: () => void = () => undefined;
  /** Called when a write hits a frame in codeFrames (physical address, size). */
  onCodeWrite: (physical: number, size: number) => void = () => undefined;

  constructor(ramBytes: number) {
    this.lowRam = Math.min(ramBytes, LOW_RAM_LIMIT);
    this.highRam = ramBytes - this.lowRam;
    const poolBytes = Math.min(ramBytes + PAGE_SIZE, MAX_POOL);
    this.pool = new Uint8Array(poolBytes);
    this.view = new DataView(this.pool.buffer);
    this.lowFrame = new Int32Array(0x100000);
    this.codeFrames = new Uint8Array(poolBytes / PAGE_SIZE);
  }

  /** Whether physical frame `pfn` is RAM. */
  isRam(pfn: number): boolean {
    const pa = pfn * PAGE_SIZE;
    return pa < this.lowRam || (pa >= FOUR_GIB && pa - FOUR_GIB < this.highRam);
  }

  /**
   * Pool offset of the frame backing `pfn`: 0 (the zero frame) for RAM never written when `forWrite`
   * is false, a fresh frame when it is true; -1 for frames that are not RAM (devices or nothing).
   */
  frame(pfn: number, forWrite: boolean): number {
    if (this.mmioAt(pfn * PAGE_SIZE) !== null || !this.isRam(pfn)) return -1;
    let off = pfn < 0x100000 ? this.lowFrame[pfn] : this.highFrame.get(pfn) ?? 0;
    if (off === 0 && forWrite) {
      if (this.nextOffset + PAGE_SIZE > this.pool.length) {
        throw new Error(`guest memory: more than ${this.pool.length >>> 20} MiB of RAM touched`);
      }
      off = this.nextOffset;
      this.nextOffset += PAGE_SIZE;
      if (pfn < 0x100000) this.lowFrame[pfn] = off; else this.highFrame.set(pfn, off);
      this.onAllocate();
    }
    return off;
  }

  /** Bytes of RAM actually backed by the pool (what the guest has written to). */
  get touchedBytes(): number {
    return this.nextOffset - PAGE_SIZE;
  }

  addMmio(base: number, size: number, device: MmioDevice): void {
    this.mmio.push({ base, size, device });
  }

  private mmioAt(pa: number): MmioRegion | null {
    for (const r of this.mmio) if (pa >= r.base && pa < r.base + r.size) return r;
    // A device smaller than a page still claims the frame it sits in.
    for (const r of this.mmio) if (Math.floor(pa / PAGE_SIZE) === Math.floor(r.base / PAGE_SIZE)) return r;
    return null;
  }

  // Byte-granular slow path: any physical address, RAM, device or nothing.

  read8(pa: number): number {
    const r = this.mmioAt(pa);
    if (r) return pa >= r.base && pa < r.base + r.size ? r.device.read(pa - r.base, 1) & 0xff : 0xff;
    const pfn = Math.floor(pa / PAGE_SIZE);
    if (!this.isRam(pfn)) return 0xff;
    return this.pool[this.frame(pfn, false) + (pa % PAGE_SIZE)];
  }

  /**
   * Reads a dword as int32 (page-table entries: the walker reads them as two of these, and they may sit
   * anywhere, above 4 GiB too). Never allocates a frame, so the debugger can use it freely.
   */
  read32(pa: number): number {
    const off = pa % 4 === 0 ? this.frame(Math.floor(pa / PAGE_SIZE), false) : -1;
    if (off >= 0) return this.view.getInt32(off + (pa % PAGE_SIZE), true);
    return (this.read8(pa) | (this.read8(pa + 1) << 8) | (this.read8(pa + 2) << 16) | (this.read8(pa + 3) << 24)) | 0;
  }

  write8(pa: number, v: number): void {
    const r = this.mmioAt(pa);
    if (r) {
      if (pa >= r.base && pa < r.base + r.size) r.device.write(pa - r.base, 1, v & 0xff);
      return;
    }
    const pfn = Math.floor(pa / PAGE_SIZE);
    if (!this.isRam(pfn)) return;
    const off = this.frame(pfn, true);
    if (this.codeFrames[off / PAGE_SIZE]) this.onCodeWrite(pa, 1);
    this.pool[off + (pa % PAGE_SIZE)] = v;
  }

  /** Reads `length` bytes for loaders and the debugger (no side effects on RAM). */
  readBytes(pa: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let k = 0; k < length; k++) out[k] = this.read8(pa + k);
    return out;
  }

  /** Writes bytes for loaders and the debugger. */
  writeBytes(pa: number, bytes: Uint8Array): void {
    let k = 0;
    while (k < bytes.length) {
      const a = pa + k;
      const pfn = Math.floor(a / PAGE_SIZE);
      const inPage = Math.min(PAGE_SIZE - (a % PAGE_SIZE), bytes.length - k);
      if (this.isRam(pfn) && this.mmioAt(a) === null) {
        const off = this.frame(pfn, true);
        if (this.codeFrames[off / PAGE_SIZE]) this.onCodeWrite(a, inPage);
        this.pool.set(bytes.subarray(k, k + inPage), off + (a % PAGE_SIZE));
      } else {
        for (let j = 0; j < inPage; j++) this.write8(a + j, bytes[k + j]);
      }
      k += inPage;
    }
  }
}
