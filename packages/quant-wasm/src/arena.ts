// Host-side staging memory in the kernels' shared WebAssembly.Memory: a bump allocator with marks.
// Kernels never allocate (FORMATS.md section 6); the convenience calls of a Codec stage their
// Float32Array/Uint8Array arguments here, call the kernel on pointers, and release.
//
//   0 ........ heapBase ..... [ memory the host lays out itself ] ..... [ arena region ] ... byteLength
//   (module data)              (e.g. collectives' buffers)               base      top    limit
//
// Two kinds of region:
// - growable (the default): the arena takes fresh pages with memory.grow(). grow() is atomic on a
//   shared memory, so the pages it returns belong to this arena alone even when several threads (and
//   several instances) run on the same memory; it never touches pages that existed before.
// - fixed: [base, base + size) chosen by the caller (e.g. a per-worker slice above heapBase).
import type { QuantKernels } from "./kernels.js";

const PAGE = 65536;

export interface ArenaOptions {
  /** First byte of a fixed region (multiple of 16, at or above heapBase). Omit for a growable arena. */
  base?: number;
  /** Bytes of the fixed region (required with `base`). */
  size?: number;
  /** Growable arenas: bytes taken at the first allocation (default 1 MiB). */
  initialBytes?: number;
}

/** A stack (bump) allocator over a region of the kernels' memory. Not thread-safe: one per thread. */
export class WasmArena {
  readonly memory: WebAssembly.Memory;
  readonly growable: boolean;
  private regionBase: number;
  private regionLimit: number;
  private topPtr: number;
  private readonly initialBytes: number;

  constructor(kernels: QuantKernels, options: ArenaOptions = {}) {
    this.memory = kernels.memory;
    this.initialBytes = options.initialBytes ?? 1 << 20;
    if (options.base === undefined) {
      if (options.size !== undefined) throw new RangeError("arena: `size` needs `base` (a fixed region)");
      this.growable = true;
      this.regionBase = this.regionLimit = this.topPtr = 0;
      return;
    }
    const { base, size } = options;
    if (!Number.isInteger(base) || base < kernels.heapBase || base % 16 !== 0) {
      throw new RangeError(`arena: base ${base} must be a multiple of 16 at or above heapBase ${kernels.heapBase}`);
    }
    if (size === undefined || !Number.isInteger(size) || size <= 0) throw new RangeError("arena: a fixed region needs a positive integer `size`");
    this.growable = false;
    this.regionBase = this.topPtr = base;
    this.regionLimit = base + size;
    const have = this.memory.buffer.byteLength;
    if (this.regionLimit > have) growMemory(this.memory, Math.ceil((this.regionLimit - have) / PAGE));
  }

  /** First byte of the current region. */
  get base(): number {
    return this.regionBase;
  }
  /** One past the last byte of the current region. */
  get limit(): number {
    return this.regionLimit;
  }
  /** Next free byte. */
  get top(): number {
    return this.topPtr;
  }

  /** Reserve `bytes` (aligned to `align`, a power of two ≤ 65536) and return the pointer. */
  alloc(bytes: number, align = 16): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`arena: bad allocation size ${bytes}`);
    let p = alignUp(this.topPtr, align);
    if (this.regionLimit === 0 || p + bytes > this.regionLimit) {
      if (!this.growable) {
        throw new RangeError(`arena: ${bytes} bytes do not fit (region ${this.regionBase}..${this.regionLimit}, ${this.regionLimit - this.topPtr} free)`);
      }
      p = this.growFor(bytes, align);
    }
    this.topPtr = p + bytes;
    return p;
  }

  /**
   * Allocate n f32 and return a view on the memory's current buffer (its byteOffset is the pointer).
   * Prefer this to `new Float32Array(memory.buffer, arena.alloc(...))`: there `memory.buffer` is read
   * before alloc() may grow the memory, and the view would be built on the old, shorter buffer.
   */
  allocF32(n: number): Float32Array {
    const p = this.alloc(4 * n, 16);
    return f32View(this.memory, p, n);
  }

  /** Allocate `bytes` and return a Uint8Array on the memory's current buffer. */
  allocU8(bytes: number, align = 16): Uint8Array {
    const p = this.alloc(bytes, align);
    return u8View(this.memory, p, bytes);
  }

  /** The current top, to hand back to reset() when the allocations made after it are dead. */
  mark(): number {
    return this.topPtr;
  }

  /** Free everything allocated after `mark` (a mark taken before a region change frees the whole region). */
  reset(mark = this.regionBase): void {
    this.topPtr = mark >= this.regionBase && mark <= this.regionLimit ? mark : this.regionBase;
  }

  /** Growable arena: extend the region in place when it ends at the memory's end, else take fresh pages. */
  private growFor(bytes: number, align: number): number {
    const end = this.memory.buffer.byteLength;
    const used = this.topPtr - this.regionBase;
    if (this.regionLimit !== 0 && this.regionLimit === end) {
      const need = alignUp(this.topPtr, align) + bytes - this.regionLimit;
      const pages = Math.ceil(Math.max(need, this.regionLimit - this.regionBase) / PAGE);
      const old = growMemory(this.memory, pages);
      if (old * PAGE === this.regionLimit) {
        this.regionLimit += pages * PAGE;
        return alignUp(this.topPtr, align);
      }
      // another thread grew the memory in between: our new pages start at old*PAGE
      this.regionBase = this.topPtr = old * PAGE;
      this.regionLimit = this.regionBase + pages * PAGE;
      if (alignUp(this.topPtr, align) + bytes <= this.regionLimit) return alignUp(this.topPtr, align);
    }
    const want = Math.max(bytes + align, this.initialBytes, 2 * used);
    const pages = Math.ceil(want / PAGE);
    const old = growMemory(this.memory, pages);
    this.regionBase = this.topPtr = old * PAGE;
    this.regionLimit = this.regionBase + pages * PAGE;
    return alignUp(this.topPtr, align);
  }
}

function alignUp(p: number, align: number): number {
  if (!(align > 0 && (align & (align - 1)) === 0 && align <= PAGE)) throw new RangeError(`arena: bad alignment ${align}`);
  return Math.ceil(p / align) * align; // pointers reach 2^32: stay in doubles, not i32 bit tricks
}

function growMemory(memory: WebAssembly.Memory, pages: number): number {
  currentBuffer(memory); // remember the pre-grow buffer: views the caller took on it stay recognised
  try {
    return memory.grow(pages);
  } catch (e) {
    throw new RangeError(`cannot grow the wasm memory by ${pages} pages (${(pages * PAGE) / 2 ** 20} MiB): ${(e as Error).message}; ` +
      "the memory's maximum is too small or the 4 GiB limit is reached");
  }
}

const defaultArenas = new WeakMap<QuantKernels, WasmArena>();

/** The per-instance growable arena used by the convenience calls when no arena is given. */
export function defaultArena(kernels: QuantKernels): WasmArena {
  let a = defaultArenas.get(kernels);
  if (!a) defaultArenas.set(kernels, (a = new WasmArena(kernels)));
  return a;
}

/** Create an arena (growable by default; pass `{ base, size }` for a fixed region). */
export function createArena(kernels: QuantKernels, options?: ArenaOptions): WasmArena {
  return new WasmArena(kernels, options);
}

// ---- views over the memory (a shared memory's `buffer` object changes on every grow: never cache) ----

const seenBuffers = new WeakMap<WebAssembly.Memory, WeakSet<ArrayBufferLike>>();

/** The memory's current buffer, remembered so views taken on it before a grow are still recognised. */
export function currentBuffer(memory: WebAssembly.Memory): ArrayBuffer | SharedArrayBuffer {
  const buf = memory.buffer;
  let seen = seenBuffers.get(memory);
  if (!seen) seenBuffers.set(memory, (seen = new WeakSet()));
  seen.add(buf);
  return buf;
}

/**
 * Whether a typed array lies in the memory (its byteOffset is then its wasm pointer). Views on a buffer
 * object from before a grow this package did not see (another thread's grow) are not recognised; the
 * codec then stages them like any other array: slower, never wrong.
 */
export function isInMemory(memory: WebAssembly.Memory, view: ArrayBufferView): boolean {
  return view.buffer === currentBuffer(memory) || (seenBuffers.get(memory)?.has(view.buffer) ?? false);
}

/** A Uint8Array over [ptr, ptr + length) of the memory, on its current buffer. */
export function u8View(memory: WebAssembly.Memory, ptr: number, length: number): Uint8Array {
  return new Uint8Array(currentBuffer(memory), ptr, length);
}

/** A Float32Array over n f32 at ptr (4-byte aligned) of the memory, on its current buffer. */
export function f32View(memory: WebAssembly.Memory, ptr: number, n: number): Float32Array {
  return new Float32Array(currentBuffer(memory), ptr, n);
}
