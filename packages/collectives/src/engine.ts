// The primitives algorithms are written in (NCCL's "primitives" layer): byte offsets of every rank's
// regions, copies, f32 sums, codec kernel calls, link charges and per-call counters. Algorithms in
// algorithms/*.ts use only this, the Sync object and the layout.
import { type QuantExports, kernelError } from "@tensorwire/quant-wasm";
import type { Layout } from "./layout.js";
import { slotOffset } from "./layout.js";
import { stepSeconds } from "./link.js";
import type { Sync } from "./sync.js";
import type { LinkModel } from "./types.js";

/** Descriptor of the f32 passthrough codec: its dequantize-accumulate is a SIMD `dst += src`. */
export const F32_DESC = 0;

/** Elements per block of the cache-blocked sums (32 KiB of f32: dst and two sources stay in L1/L2). */
const SUM_BLOCK = 8192;
/** Upper bound on the pieces of a pipelined op. */
export const MAX_PIECES = 64;

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
  /** whether quant.wasm's f32 dequantize-accumulate works (else plain JS loops) */
  readonly wasmF32: boolean;
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
    readonly k: QuantExports,
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
    this.wasmF32 = this.probeF32();
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
  probe(): number { return slotOffset(this.layout, this.rank, this.layout.probe); }
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
    if (this.wasmF32) this.k.tw_dequantize(F32_DESC, src, n, dst);
    else this.f32.copyWithin(dst >>> 2, src >>> 2, (src >>> 2) + n);
  }

  /**
   * dst[i] = f32(dst[i] + src[i]) (byte offsets), untimed (callers time whole phases). JS and wasm
   * round identically: the f64 sum of two f32 values, rounded once to f32, equals the f32 sum.
   */
  private add(dst: number, src: number, n: number): void {
    if (this.wasmF32) {
      this.k.tw_dequantize_accumulate(F32_DESC, src, n, dst);
    } else {
      const f = this.f32, d = dst >>> 2, s = src >>> 2;
      for (let i = 0; i < n; i++) f[d + i] += f[s + i]!;
    }
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

  // ---- codec kernels ----------------------------------------------------------------------------
  quantize(desc: number, src: number, n: number, dst: number, seed: number): void {
    if (n === 0) return;
    const t = this.clock();
    const r = this.k.tw_quantize(desc, src, n, dst, seed);
    if (this.timing) this.c.codecMs += performance.now() - t;
    if (r < 0) throw kernelError(r, "tw_quantize");
  }

  dequantize(desc: number, src: number, n: number, dst: number, accumulate: boolean): void {
    if (n === 0) return;
    const t = this.clock();
    const r = accumulate ? this.k.tw_dequantize_accumulate(desc, src, n, dst) : this.k.tw_dequantize(desc, src, n, dst);
    if (this.timing) this.c.codecMs += performance.now() - t;
    if (r < 0) throw kernelError(r, accumulate ? "tw_dequantize_accumulate" : "tw_dequantize");
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
    const r = this.k.tw_dequantize_sum(desc, arr, this.p, n, dst);
    if (this.timing) this.c.codecMs += performance.now() - t;
    if (r < 0) throw kernelError(r, "tw_dequantize_sum");
  }

  /** dst = quantize(Σ_q decode(src_q)) with the p source pointers in rank order. */
  reduceQuantize(desc: number, src: (q: number) => number, n: number, dst: number, scratch: number, seed: number): void {
    if (n === 0) return;
    const arr = this.srcs();
    for (let q = 0; q < this.p; q++) this.u32[(arr >>> 2) + q] = src(q);
    const t = this.clock();
    const r = this.k.tw_reduce_quantize(desc, arr, this.p, n, dst, scratch, seed);
    if (this.timing) this.c.codecMs += performance.now() - t;
    if (r < 0) throw kernelError(r, "tw_reduce_quantize");
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

  /** Does this quant.wasm implement the f32 passthrough accumulate? (Checked on private memory.) */
  private probeF32(): boolean {
    const base = this.probe() >>> 2;
    const f = this.f32;
    for (let i = 0; i < 8; i++) {
      f[base + i] = i + 0.5;
      f[base + 8 + i] = 100 * i + 0.25;
    }
    const r = this.k.tw_dequantize_accumulate(F32_DESC, (base + 8) * 4, 8, base * 4);
    if (r !== 0) return false;
    for (let i = 0; i < 8; i++) if (f[base + i] !== i + 0.5 + 100 * i + 0.25) return false;
    return true;
  }

  /**
   * Does this quant.wasm implement the codec? Quantizes and decodes a small block-aligned probe on
   * this rank's private probe area. Returns null when it works, else the reason.
   */
  probeCodec(desc: number): string | null {
    const base = this.probe();
    const n = 256;
    const f = this.f32;
    for (let i = 0; i < n; i++) f[(base >>> 2) + i] = ((i * 37) % 17) - 8;
    const packed = base + 4 * n;
    const out = base + 4 * n + 1280;
    const need = this.k.tw_bytes_for(desc, n);
    if (need < 0) return kernelError(need, "tw_bytes_for").message;
    if (need > 1280) return `probe area too small for ${need} bytes`;
    const q = this.k.tw_quantize(desc, base, n, packed, 1);
    if (q < 0) return kernelError(q, "tw_quantize").message;
    for (let i = 0; i < n; i++) f[(out >>> 2) + i] = Number.NaN;
    const d = this.k.tw_dequantize(desc, packed, n, out);
    if (d < 0) return kernelError(d, "tw_dequantize").message;
    for (let i = 0; i < n; i++) {
      const v = f[(out >>> 2) + i]!, x = f[(base >>> 2) + i]!;
      if (!(Math.abs(v - x) <= 0.5 * 8 + 1e-6)) return `quant.wasm returned wrong values for this codec (element ${i}: ${x} → ${v}); its kernel is probably not implemented yet`;
    }
    return null;
  }
}
