// The primitives algorithms are written in (NCCL's "primitives" layer): byte offsets of every rank's
// regions, copies, f32 sums, codec kernel calls, link charges and per-call counters. Algorithms in
// algorithms/*.ts use only this, the Sync object and the layout.
import type { KernelHandle } from "@tensorwire/quant-wasm";
import type { Layout } from "./layout.js";
import { MAX_PIECES, slotOffset } from "./layout.js";
import { stepSeconds } from "./link.js";
import type { Sync } from "./sync.js";
import type { LinkModel } from "./types.js";

/** Elements per block of the cache-blocked sums (32 KiB of f32: dst and two sources stay in L1/L2). */
const SUM_BLOCK = 8192;
/** Upper bound on the pieces of a pipelined op (layout.ts sizes the packed regions for it). */
export { MAX_PIECES };

/** Counters of the call in progress. */
export interface Counters {
  bytesSent: number;
  bytesReceived: number;
  codecMs: number;
  copyMs: number;
  linkMs: number;
}

export class Engine {
  readonly p: number;
  readonly f32: Float32Array;
  readonly u32: Uint32Array;
  /** quant-wasm's f32 passthrough descriptor: dequantize = SIMD copy, dequantize-accumulate = SIMD `dst += src` */
  private readonly f32d: number;
  readonly c: Counters = { bytesSent: 0, bytesReceived: 0, codecMs: 0, copyMs: 0, linkMs: 0 };
  /** chunk boundaries filled by chunkStarts(): chunk c = [cs[c], cs[c+1]) */
  readonly cs: Int32Array;
  /** byte offset of each rank's input for the current op (from the descriptors, after arrival) */
  readonly inp: Int32Array;
  /** each rank's descriptor flags for the current op (layout.ts FLAG_*) */
  readonly flags: Int32Array;
  /** sequence number of the op in progress (set before its staging/prepare; the same on every rank) */
  seq = 0;
  /** whether the current op must end with a "done reading" barrier (some rank works in place) */
  inPlace = false;
  /** link emulation: performance.now() at which this rank's incoming link becomes free */
  private linkFree = 0;
  /** publish times of the pieces of a pipelined op (compressed-allgather) */
  readonly pieceTimes = new Float64Array(MAX_PIECES);

  constructor(
    readonly rank: number,
    readonly layout: Layout,
    readonly sync: Sync,
    /** quant-wasm's pointer-level kernel handle (bounds-checked; KernelError on failure) */
    readonly k: KernelHandle,
    buffer: ArrayBufferLike,
    readonly link: LinkModel | null,
    readonly timing: boolean,
  ) {
    this.p = layout.worldSize;
    this.f32 = new Float32Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.cs = new Int32Array(this.p + 1);
    this.inp = new Int32Array(this.p);
    this.flags = new Int32Array(this.p);
    this.f32d = k.f32Descriptor;
  }

  // ---- regions (byte offsets) -------------------------------------------------------------------
  /** the alloc() send buffer of rank r (read in place when r calls with that view) */
  X(r: number): number { return slotOffset(this.layout, r, this.layout.input); }
  /** staging buffer for an op with sequence number seq (alternating, see layout.ts) */
  stage(r: number, seq: number): number { return slotOffset(this.layout, r, seq & 1 ? this.layout.stage1 : this.layout.stage0); }
  /** rank r's input for the current op */
  readonly I = (r: number): number => this.inp[r]!;
  S(r: number): number { return slotOffset(this.layout, r, this.layout.scratch); }
  /** rank r's packed region for the current op (alternating by op sequence number, like staging) */
  P(r: number): number { return slotOffset(this.layout, r, this.seq & 1 ? this.layout.packed1 : this.layout.packed); }
  R(r: number): number { return slotOffset(this.layout, r, this.layout.reduced); }
  srcs(): number { return this.layout.srcsBase + this.rank * this.layout.srcsStride; }

  clock(): number { return this.timing ? performance.now() : 0; }

  /**
   * Split n elements into p chunks whose boundaries are multiples of `align` (the last chunks may be
   * short or empty). Every rank computes the same boundaries from (n, p, align).
   */
  chunkStarts(n: number, align: number): Int32Array {
    const p = this.p;
    const size = Math.ceil(Math.ceil(n / align) / p) * align;
    for (let c = 0; c <= p; c++) this.cs[c] = Math.min(n, c * size);
    return this.cs;
  }

  // ---- uncompressed data movement ---------------------------------------------------------------
  /**
   * f32 copy inside the shared memory (byte offsets, n elements; the ranges must not overlap).
   * Uses the wasm f32 passthrough "decode" (a SIMD copy): V8 copies SharedArrayBuffer-backed typed
   * arrays with relaxed atomic word moves, at about a third of the speed (BENCHMARKS.md local kernels).
   */
  copy(dst: number, src: number, n: number): void {
    if (n === 0 || dst === src) return;
    const t = this.clock();
    this.move(dst, src, n);
    if (this.timing) this.c.copyMs += performance.now() - t;
  }

  /** Copy n f32 from shared memory at src into a JS array (timed as copy). */
  copyToArray(out: Float32Array, outOff: number, src: number, n: number): void {
    if (n === 0) return;
    const t = this.clock();
    out.set(this.f32.subarray(src >>> 2, (src >>> 2) + n), outOff);
    if (this.timing) this.c.copyMs += performance.now() - t;
  }

  /** Untimed copy (see copy). */
  move(dst: number, src: number, n: number): void {
    this.k.dequantize(this.f32d, src, n, dst, "copy");
  }

  /** dst[i] = f32(dst[i] + src[i]) (byte offsets), untimed (callers time whole phases). */
  private add(dst: number, src: number, n: number): void {
    this.k.dequantizeAccumulate(this.f32d, src, n, dst, "sum");
  }

  /** dst[i] = f32(dst[i] + src[i]) (byte offsets). */
  accumulate(dst: number, src: number, n: number): void {
    if (n === 0) return;
    const t = this.clock();
    this.add(dst, src, n);
    if (this.timing) this.c.copyMs += performance.now() - t;
  }

  /**
   * dst = src(0) + src(1) + … + src(p−1), summed left to right in rank order (offsets in bytes).
   * Cache-blocked: each SUM_BLOCK-element block of dst gets all p terms while it is in L1.
   */
  sumRanks(dst: number, src: (q: number) => number, n: number): void {
    if (n === 0) return;
    const t = this.clock();
    const p = this.p;
    for (let b = 0; b < n; b += SUM_BLOCK) {
      const m = Math.min(SUM_BLOCK, n - b), off = 4 * b;
      const s0 = src(0) + off;
      if (dst + off !== s0) this.move(dst + off, s0, m);
      for (let q = 1; q < p; q++) this.add(dst + off, src(q) + off, m);
    }
    if (this.timing) this.c.copyMs += performance.now() - t;
  }

  /**
   * Owner push (two-shot when every rank all-reduces its alloc() view in place): chunk [off, off + 4n)
   * (bytes) of every rank's input I(q) becomes Σ_q I(q) (rank order), computed once by this rank.
   * Cache-blocked: each SUM_BLOCK-element block is summed (in place in I(rank) when rank 0, or p = 2
   * where x1 + x0 = x0 + x1 exactly; else in S(rank)) and at once copied into every other
   * I(q) while it is in L1 — peers' blocks were just read, so the stores find their lines in cache.
   */
  sumPush(off: number, n: number): void {
    if (n === 0) return;
    const t = this.clock();
    const p = this.p, r = this.rank, inp = this.inp;
    const own = inp[r]! + off;
    const inPlace = r === 0 || p === 2;
    const tmp = this.S(r) + off;
    for (let b = 0; b < n; b += SUM_BLOCK) {
      const m = Math.min(SUM_BLOCK, n - b), o = off + 4 * b;
      let sum: number;
      if (inPlace) {
        sum = own + 4 * b;
        if (r === 0) for (let q = 1; q < p; q++) this.add(sum, inp[q]! + o, m);
        else this.add(sum, inp[0]! + o, m);
      } else {
        sum = tmp + 4 * b;
        this.move(sum, inp[0]! + o, m);
        for (let q = 1; q < p; q++) this.add(sum, inp[q]! + o, m);
        this.move(own + 4 * b, sum, m);
      }
      for (let q = 0; q < p; q++) if (q !== r) this.move(inp[q]! + o, sum, m);
    }
    if (this.timing) this.c.copyMs += performance.now() - t;
  }

  // ---- codec kernels (quant-wasm's KernelHandle: bounds-checked, KernelError on failure) ----------
  quantize(desc: number, src: number, n: number, dst: number, seed: number): void {
    if (n === 0) return;
    const t = this.clock();
    this.k.quantize(desc, src, n, dst, seed);
    if (this.timing) this.c.codecMs += performance.now() - t;
  }

  dequantize(desc: number, src: number, n: number, dst: number, accumulate: boolean): void {
    if (n === 0) return;
    const t = this.clock();
    if (accumulate) this.k.dequantizeAccumulate(desc, src, n, dst);
    else this.k.dequantize(desc, src, n, dst);
    if (this.timing) this.c.codecMs += performance.now() - t;
  }

  /**
   * dst = Σ_q decode(P(q) + off) in rank order, in one cache-resident sweep (bit for bit a decode
   * + p−1 accumulates): the local sum of the compressed allgather.
   */
  dequantizeSum(desc: number, off: number, n: number, dst: number): void {
    if (n === 0) return;
    const arr = this.srcs();
    for (let q = 0; q < this.p; q++) this.u32[(arr >>> 2) + q] = this.P(q) + off;
    const t = this.clock();
    this.k.dequantizeSum(desc, arr, this.p, n, dst);
    if (this.timing) this.c.codecMs += performance.now() - t;
  }

  /** dst = quantize(Σ_q decode(src_q)) with the p source pointers in rank order. */
  reduceQuantize(desc: number, src: (q: number) => number, n: number, dst: number, scratch: number, seed: number): void {
    if (n === 0) return;
    const arr = this.srcs();
    for (let q = 0; q < this.p; q++) this.u32[(arr >>> 2) + q] = src(q);
    const t = this.clock();
    this.k.reduceQuantize(desc, arr, this.p, n, dst, scratch, seed);
    if (this.timing) this.c.codecMs += performance.now() - t;
  }

  // ---- accounting -------------------------------------------------------------------------------
  /**
   * Record `bytes` read from peers in one step and, with a link model, charge it (link.ts): the
   * transfer starts when the data is available (`avail`, default now) and this rank's link is free,
   * occupies the link for bytes/bandwidth, and arrives `latency` later; the rank waits for arrival.
   */
  received(bytes: number, avail?: number): void {
    this.c.bytesReceived += bytes;
    if (this.link && bytes > 0) {
      const t0 = performance.now();
      const start = Math.max(this.linkFree, avail ?? t0);
      this.linkFree = start + (bytes / this.link.bandwidthBytesPerSec) * 1000;
      this.sync.delayUntil(this.linkFree + this.link.latencySec * 1000);
      this.c.linkMs += performance.now() - t0;
    }
  }

  sent(bytes: number): void {
    this.c.bytesSent += bytes;
  }
}
