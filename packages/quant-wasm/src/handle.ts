// The pointer-level kernel handle: one bounds-checked, allocation-free object over quant.wasm's raw
// exports (FORMATS.md section 6). Every pointer call of this package's codec objects and of
// @tensorwire/collectives' engine goes through it, so the argument checks and the error messages
// exist once. Hosts own the memory and pass byte offsets; the handle never allocates per call.
import { type CodecSpec, type FormatName, type CodecOptions, descriptorOf, formatById, resolveCodec } from "./formats.js";
import { KernelError, type QuantExports, type QuantKernels } from "./kernels.js";

const U32_MAX = 0xffffffff;
/** Return code of a host-side argument check (the same meaning as the kernels' −5: bad argument). */
const ERR_ARGUMENT = -5;

function argError(operation: string, detail: string): KernelError {
  return new KernelError(ERR_ARGUMENT, operation, detail);
}

/**
 * Pointer-level calls of one kernels instance. Each call checks its element count (u32), its seed
 * (u32), that every range lies at or above `heapBase` and inside the memory, the 4-byte alignment of
 * f32 pointers, and (where the ABI forbids it) overlaps; then calls the kernel and turns a negative
 * return code into a `KernelError`. The optional `what` argument names the operation in messages
 * (default: the method name); pass a string prepared once to keep the call allocation-free.
 */
export class KernelHandle {
  readonly kernels: QuantKernels;
  /** The raw exports (for code that needs an export the handle does not wrap). */
  readonly exports: QuantExports;
  readonly memory: WebAssembly.Memory;
  /** First byte the host may use. */
  readonly heapBase: number;
  /** Descriptor of the f32 passthrough codec: dequantize is a SIMD copy, dequantizeAccumulate `dst += src`. */
  readonly f32Descriptor: number;
  /** a lower bound of the memory's size (a memory only grows) */
  private knownSize: number;
  /** descriptor → [block, bytes per block (casts: per element), tensor header bytes], kernel-validated */
  private readonly shapes = new Map<number, readonly [number, number, number]>();
  /** u32 view of the memory for the pointer tables of dequantizeSum / reduceQuantize (re-taken after a grow) */
  private u32: Uint32Array;

  constructor(kernels: QuantKernels) {
    this.kernels = kernels;
    this.exports = kernels.exports;
    this.memory = kernels.memory;
    this.heapBase = kernels.heapBase;
    const buf = kernels.memory.buffer;
    this.knownSize = buf.byteLength;
    this.u32 = new Uint32Array(buf);
    this.f32Descriptor = this.descriptor("f32");
  }

  // ---------------------------------------------------------------- descriptors and sizes

  /**
   * The u32 descriptor of a codec (a format name with options, or a full spec), checked by the
   * kernels themselves: a descriptor this quant.wasm refuses throws a `KernelError`.
   */
  descriptor(codec: FormatName | string | CodecSpec, options?: CodecOptions): number {
    const spec = typeof codec === "string" ? resolveCodec(codec, options) : resolveCodec(codec.format, codec);
    const desc = descriptorOf(spec);
    const r = this.exports.tw_bytes_for(desc, 0);
    if (r < 0) throw new KernelError(r, `descriptor check for ${spec.format}`);
    return desc;
  }

  /** Packed bytes of n values (per-tensor header included). */
  bytesFor(desc: number, n: number, what = "bytesFor"): number {
    this.checkCount(what, n);
    // the packed shape of a descriptor the kernels accepted once (tw_bytes_for / tw_block_bytes),
    // so the hot path computes sizes in JS instead of calling into wasm every time
    let sh = this.shapes.get(desc);
    if (sh === undefined) {
      const header = this.exports.tw_bytes_for(desc, 0);
      if (header < 0) throw new KernelError(header, what);
      const bb = this.exports.tw_block_bytes(desc);
      if (bb < 0) throw new KernelError(bb, what);
      if (this.shapes.size >= 64) this.shapes.clear();
      this.shapes.set(desc, (sh = [(desc >>> 8) & 0xff, bb, header]));
    }
    const [B, bb, header] = sh;
    const r = B === 0 ? n * bb : header + Math.ceil(n / B) * bb;
    if (r > 0x7fffffff) throw new KernelError(ERR_ARGUMENT, what, `${n} values need ${r} packed bytes (more than 2^31 − 1)`);
    return r;
  }

  /** Bytes of one block (casts: of one element). */
  blockBytes(desc: number): number {
    const r = this.exports.tw_block_bytes(desc);
    if (r < 0) throw new KernelError(r, "blockBytes");
    return r;
  }

  /**
   * Elements per block (1 for the casts): chunk boundaries at multiples of it cut a tensor into
   * pieces that encode independently (each piece then is its own packed tensor).
   */
  alignment(desc: number): number {
    this.blockBytes(desc); // validates the descriptor
    const b = (desc >>> 8) & 0xff;
    return b === 0 ? 1 : b;
  }

  /** Bytes every packed tensor carries once, whatever its length (nvfp4: its f32 tensor scale; else 0). */
  tensorHeaderBytes(desc: number): number {
    const r = this.exports.tw_bytes_for(desc, 0);
    if (r < 0) throw new KernelError(r, "tensorHeaderBytes");
    return r;
  }

  /** The format name of a descriptor (for messages), or undefined for an unknown format id. */
  formatName(desc: number): FormatName | undefined {
    return formatById(desc & 0xff)?.name;
  }

  // ---------------------------------------------------------------- kernels

  /** tw_quantize: n f32 at src → packed at dst. Returns the clipped-block count. */
  quantize(desc: number, src: number, n: number, dst: number, seed = 0, what = "quantize"): number {
    this.checkCount(what, n);
    this.checkSeed(what, seed);
    const nb = this.bytesFor(desc, n, what);
    this.checkRange(what, "src", src, 4 * n, 4);
    this.checkRange(what, "dst", dst, nb, 1);
    const r = this.exports.tw_quantize(desc, src, n, dst, seed);
    if (r < 0) throw new KernelError(r, what);
    return r;
  }

  /** tw_dequantize: packed at src → n f32 at dst. */
  dequantize(desc: number, src: number, n: number, dst: number, what = "dequantize"): void {
    this.checkCount(what, n);
    const nb = this.bytesFor(desc, n, what);
    this.checkRange(what, "src", src, nb, 1);
    this.checkRange(what, "dst", dst, 4 * n, 4);
    const r = this.exports.tw_dequantize(desc, src, n, dst);
    if (r < 0) throw new KernelError(r, what);
  }

  /** tw_dequantize_accumulate: dst[i] = f32(dst[i] + decoded[i]). */
  dequantizeAccumulate(desc: number, src: number, n: number, dst: number, what = "dequantizeAccumulate"): void {
    this.checkCount(what, n);
    const nb = this.bytesFor(desc, n, what);
    this.checkRange(what, "src", src, nb, 1);
    this.checkRange(what, "dst", dst, 4 * n, 4);
    const r = this.exports.tw_dequantize_accumulate(desc, src, n, dst);
    if (r < 0) throw new KernelError(r, what);
  }

  /** tw_quantize_dequantize: quantize into dst and decode into out (out may equal src, must not overlap dst). */
  quantizeDequantize(desc: number, src: number, n: number, dst: number, out: number, seed = 0, what = "quantizeDequantize"): number {
    this.checkCount(what, n);
    this.checkSeed(what, seed);
    const nb = this.bytesFor(desc, n, what);
    this.checkRange(what, "src", src, 4 * n, 4);
    this.checkRange(what, "dst", dst, nb, 1);
    this.checkRange(what, "out", out, 4 * n, 4);
    if (dst < out + 4 * n && out < dst + nb && nb > 0 && n > 0) {
      throw argError(what, `input [${dst}, ${dst + nb}) and output [${out}, ${out + 4 * n}) overlap in the wasm memory`);
    }
    const r = this.exports.tw_quantize_dequantize(desc, src, n, dst, out, seed);
    if (r < 0) throw new KernelError(r, what);
    return r;
  }

  /** tw_dequantize_sum: dst = Σ_j decode(srcs[j]) in index order (srcs: k u32 pointers in the memory). */
  dequantizeSum(desc: number, srcs: number, k: number, n: number, dst: number, what = "dequantizeSum"): void {
    this.checkCount(what, n);
    const nb = this.bytesFor(desc, n, what);
    this.checkSources(what, srcs, k, nb);
    this.checkRange(what, "dst", dst, 4 * n, 4);
    const r = this.exports.tw_dequantize_sum(desc, srcs, k, n, dst);
    if (r < 0) throw new KernelError(r, what);
  }

  /** tw_reduce_quantize: dst = quantize(Σ_j decode(srcs[j])) (scratch: n f32). Returns the clipped count. */
  reduceQuantize(desc: number, srcs: number, k: number, n: number, dst: number, scratch: number, seed = 0, what = "reduceQuantize"): number {
    this.checkCount(what, n);
    this.checkSeed(what, seed);
    const nb = this.bytesFor(desc, n, what);
    this.checkSources(what, srcs, k, nb);
    this.checkRange(what, "dst", dst, nb, 1);
    this.checkRange(what, "scratch", scratch, 4 * n, 4);
    const r = this.exports.tw_reduce_quantize(desc, srcs, k, n, dst, scratch, seed);
    if (r < 0) throw new KernelError(r, what);
    return r;
  }

  /**
   * Write the pointers `ptrs[0 … k−1]` into the u32 table at `srcs` (4-aligned, in the memory), for
   * dequantizeSum / reduceQuantize, without allocating (reuse one Uint32Array / Int32Array for `ptrs`).
   */
  writeSources(srcs: number, ptrs: ArrayLike<number>, k = ptrs.length, what = "writeSources"): void {
    if (!Number.isInteger(k) || k < 0 || k > ptrs.length) throw argError(what, `k must be an integer in 0..${ptrs.length}, got ${k}`);
    this.checkRange(what, "srcs", srcs, 4 * k, 4);
    const u = this.view(srcs + 4 * k);
    for (let j = 0; j < k; j++) u[(srcs >>> 2) + j] = ptrs[j]!;
  }

  // ---------------------------------------------------------------- checks

  private checkCount(what: string, n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > U32_MAX) throw argError(what, `element count must be an integer in 0..2^32-1, got ${n}`);
  }

  private checkSeed(what: string, seed: number): void {
    if (!Number.isInteger(seed) || seed < 0 || seed > U32_MAX) throw argError(what, `seed must be a u32, got ${seed}`);
  }

  /** [ptr, ptr + bytes) must lie at or above heapBase and inside the memory; f32 pointers 4-byte aligned. */
  private checkRange(what: string, name: string, ptr: number, bytes: number, align: number): void {
    if (!Number.isInteger(ptr) || ptr < 0) throw argError(what, `${name}: pointer must be a non-negative integer, got ${ptr}`);
    if (ptr % align !== 0) throw argError(what, `${name}: pointer ${ptr} must be ${align}-byte aligned`);
    if (bytes > 0 && ptr < this.heapBase) throw argError(what, `${name}: pointer ${ptr} lies below heapBase ${this.heapBase}`);
    if (ptr + bytes <= this.knownSize) return;
    // a memory only grows: the cached size is a lower bound, re-read it only here
    this.knownSize = this.memory.buffer.byteLength;
    if (ptr + bytes > this.knownSize) throw argError(what, `${name}: [${ptr}, ${ptr + bytes}) exceeds the memory (${this.knownSize} bytes)`);
  }

  /** The k u32 pointers at srcs: the table and every packed input they point to must be in range. */
  private checkSources(what: string, srcs: number, k: number, nb: number): void {
    if (!Number.isInteger(k) || k < 1 || k > U32_MAX) throw argError(what, `k must be a positive u32, got ${k}`);
    this.checkRange(what, "srcs", srcs, 4 * k, 4);
    const u = this.view(srcs + 4 * k);
    for (let j = 0; j < k; j++) {
      const p = u[(srcs >>> 2) + j]!;
      if (p < this.heapBase && nb > 0) throw argError(what, `srcs[${j}]: pointer ${p} lies below heapBase ${this.heapBase}`);
      if (p + nb > this.knownSize) {
        this.knownSize = this.memory.buffer.byteLength;
        if (p + nb > this.knownSize) throw argError(what, `srcs[${j}]: [${p}, ${p + nb}) exceeds the memory (${this.knownSize} bytes)`);
      }
    }
  }

  /** A u32 view covering [0, end): the cached one unless the memory grew past it. */
  private view(end: number): Uint32Array {
    if (end > this.u32.byteLength) this.u32 = new Uint32Array(this.memory.buffer);
    return this.u32;
  }
}

const handles = new WeakMap<QuantKernels, KernelHandle>();

/** The kernel handle of a kernels instance (one per instance, memoized). */
export function createKernelHandle(kernels: QuantKernels): KernelHandle {
  let h = handles.get(kernels);
  if (!h) handles.set(kernels, (h = new KernelHandle(kernels)));
  return h;
}
