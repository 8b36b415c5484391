// The memory of the WebAssembly engine: blocks of its linear memory for
// clients, buffers and the jobs the engine points into (it copies nothing and
// has no heap of its own). Power-of-two size classes with a free list each,
// never merged: a client's blocks and a publish's come back at the same
// sizes, so reuse is exact and a free is a push.

/** Smallest block: 2^MIN_CLASS bytes (16-byte aligned, as every block). */
const MIN_CLASS = 4;
const PAGE = 65536;
/** the largest growth at once, in pages (1 GiB) */
const MAX_STEP = 16384;

export class WasmHeap {
  readonly #memory: WebAssembly.Memory;
  #top: number;
  readonly #free: number[][] = [];
  #bytes: Uint8Array;

  constructor(memory: WebAssembly.Memory, base: number) {
    this.#memory = memory;
    this.#top = (base + 15) & ~15;
    this.#bytes = new Uint8Array(memory.buffer);
  }

  /** The memory as bytes (a new view after the memory grew: only alloc grows
   *  it, the engine has no memory.grow). */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** A block of at least `size` bytes (not zeroed); give it back with
   *  free(at, size). Throws a RangeError when the memory cannot grow. */
  alloc(size: number): number {
    const c = classOf(size);
    const list = this.#free[c];
    if (list?.length) return list.pop()!;
    const at = this.#top, end = at + 2 ** c;
    const have = this.#memory.buffer.byteLength;
    if (end > have) this.#grow(Math.ceil((end - have) / PAGE), have / PAGE);
    this.#top = end;
    return at;
  }

  /** Grows the memory by at least `pages`: by as much again as it has (up
   *  to 1 GiB), since each growth costs a new buffer and a garbage
   *  collection; by exactly `pages` near the 4 GiB limit (RangeError past it). */
  #grow(pages: number, have: number): void {
    const more = Math.max(pages, Math.min(have, MAX_STEP));
    try {
      this.#memory.grow(more);
    } catch (e) {
      if (more === pages) throw e;
      this.#memory.grow(pages);
    }
    this.#bytes = new Uint8Array(this.#memory.buffer);
  }

  /** Gives back a block alloc(size) returned. */
  free(at: number, size: number): void {
    if (!at) return;
    (this.#free[classOf(size)] ??= []).push(at);
  }
}

/** The size class of a block of `size` bytes. */
function classOf(size: number): number {
  return size <= 2 ** MIN_CLASS ? MIN_CLASS : 32 - Math.clz32(size - 1);
}
