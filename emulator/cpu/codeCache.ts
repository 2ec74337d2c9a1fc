// codeCache.ts: decoded blocks, keyed by the physical address they were decoded from and the RIP and
// code size they were decoded for. A write to a 64-byte line that holds decoded code drops every block
// of that frame (self-modifying code, and code copied over old code before it runs, must take effect
// at the next instruction: SDM Vol.3A §11.6).
import type { Insn } from './insn';
import type { BlockFn } from './translate';
import type { CodeSize } from './state';

export class Block {
  valid = true;
  /** An execution breakpoint is set on the first instruction. */
  breakpoint = false;
  /** Another block at the same physical address and code size but another RIP/CS base. */
  alias: Block | null = null;
  /** Times the run loop has interpreted this block; at TRANSLATE_AFTER it is translated (translate.ts). */
  runs = 0;
  /** The translated block, once it has run often enough. */
  fn: BlockFn | null = null;
  constructor(
    readonly insns: Insn[],
    readonly physical: number,
    readonly ripLo: number,
    readonly ripHi: number,
    readonly csBase: number,
    readonly codeSize: CodeSize,
  ) {}
}

class CodePage {
  readonly blocks = new Map<number, Block>();
  /** One byte per 64-byte line of the frame: 1 where decoded instructions lie. */
  readonly lines = new Uint8Array(64);
}

const JUMP_CACHE_SIZE = 4096;

export class CodeCache {
  private readonly pages = new Map<number, CodePage>();
  /** Direct-mapped cache of recently run blocks by RIP, checked before the page maps. */
  private readonly jump: (Block | null)[] = new Array<Block | null>(JUMP_CACHE_SIZE).fill(null);
  /** Statistics for the bench. */
  blocksDecoded = 0;
  invalidations = 0;

  /** The block for this RIP, if one is cached and still valid for the current translation. */
  find(ripLo: number, ripHi: number, csBase: number, size: CodeSize): Block | null {
    const b = this.jump[(ripLo ^ (ripLo >>> 12)) & (JUMP_CACHE_SIZE - 1)];
    if (b !== null && b.ripLo === ripLo && b.ripHi === ripHi && b.csBase === csBase && b.codeSize === size && b.valid) return b;
    return null;
  }

  /** The block decoded at a physical address for this RIP, after a jump-cache miss. */
  lookup(physical: number, ripLo: number, ripHi: number, csBase: number, size: CodeSize): Block | null {
    const page = this.pages.get(Math.floor(physical / 4096));
    if (page === undefined) return null;
    for (let b = page.blocks.get(((physical % 4096) << 2) | size) ?? null; b !== null; b = b.alias) {
      if (b.ripLo === ripLo && b.ripHi === ripHi && b.csBase === csBase) {
        this.jump[(ripLo ^ (ripLo >>> 12)) & (JUMP_CACHE_SIZE - 1)] = b;
        return b;
      }
    }
    return null;
  }

  /**
   * Records a new block. `spans` lists [physical, length] of each run of bytes it was decoded from
   * (two when an instruction straddles a page), so writes to any of them drop it.
   */
  add(b: Block, spans: number[]): void {
    this.blocksDecoded++;
    const pfn = Math.floor(b.physical / 4096);
    let page = this.pages.get(pfn);
    if (page === undefined) this.pages.set(pfn, (page = new CodePage()));
    const key = ((b.physical % 4096) << 2) | b.codeSize;
    b.alias = page.blocks.get(key) ?? null;
    page.blocks.set(key, b);
    for (let k = 0; k < spans.length; k += 2) {
      const start = spans[k], len = spans[k + 1];
      const spanPfn = Math.floor(start / 4096);
      let p = this.pages.get(spanPfn);
      if (p === undefined) this.pages.set(spanPfn, (p = new CodePage()));
      if (spanPfn !== pfn) p.blocks.set(-1 - p.blocks.size, b); // foreign block: dropped with this frame too
      for (let a = start % 4096; a < (start % 4096) + len; a += 64 - (a % 64)) p.lines[a >> 6] = 1;
    }
    this.jump[(b.ripLo ^ (b.ripLo >>> 12)) & (JUMP_CACHE_SIZE - 1)] = b;
  }

  /** Whether a write of `size` bytes at `physical` hits decoded code; if so, drops that frame's blocks. */
  write(physical: number, size: number): boolean {
    const pfn = Math.floor(physical / 4096);
    const page = this.pages.get(pfn);
    if (page === undefined) return false;
    const off = physical % 4096;
    let hit = false;
    for (let a = off; a < off + size && a < 4096; a++) if (page.lines[a >> 6]) { hit = true; break; }
    if (!hit) return false;
    this.invalidations++;
    for (const b of page.blocks.values()) {
      for (let x: Block | null = b; x !== null; x = x.alias) x.valid = false;
    }
    this.pages.delete(pfn);
    return true;
  }

  /** Whether the frame still holds decoded code (its writes must keep taking the slow path). */
  hasFrame(pfn: number): boolean {
    return this.pages.has(pfn);
  }

  /** Forgets the RIP → block shortcuts (after a change of paging or of CS base). */
  flushJumps(): void {
    this.jump.fill(null);
  }

  clear(): void {
    for (const p of this.pages.values()) for (const b of p.blocks.values()) for (let x: Block | null = b; x; x = x.alias) x.valid = false;
    this.pages.clear();
    this.flushJumps();
  }
}
