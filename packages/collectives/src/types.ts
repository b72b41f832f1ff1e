// Public types of @tensorwire/collectives. The implementation is in communicator.ts.
import type { CodecSpec, FormatName } from "@tensorwire/quant-wasm";
import type { AlgorithmName as RegistryAlgorithmName, CompressionScheme as RegistryCompressionScheme } from "./algorithms/registry.js";
import type { Layout } from "./layout.js";
import type { AllReducePlan } from "./plan.js";

/** All-reduce algorithms (each in its own file under algorithms/; the list is algorithms/registry.ts). */
export type AlgorithmName = RegistryAlgorithmName;
export type Algorithm = AlgorithmName | "auto";

/**
 * Compressed all-reduce schemes (algorithms/registry.ts):
 * - `allgather`: every rank quantizes its input once; every rank decodes and sums all p packed
 *   inputs in rank order. One quantization, error independent of p, (p−1)·M/c bytes per rank.
 * - `two-shot`: quantize → reduce-scatter (chunk owners sum the p decoded chunks in f32 and
 *   requantize) → all-gather of the packed chunks. 2(p−1)/p·M/c bytes per rank, two quantizations.
 * With compression ratio c = 32 / bits per value, allgather moves fewer bytes when c > p/2.
 */
export type CompressionScheme = RegistryCompressionScheme;

/** A codec by name (defaults from quant-wasm), a full spec, or `"none"` for uncompressed. */
export type CodecArg = FormatName | CodecSpec | "none";

/**
 * When to compress: `true` always (when a codec is set), `false` never, `"auto"` only where the link
 * model says it pays (tuning.ts `shouldCompress`; never without a link model).
 */
export type CompressWhen = boolean | "auto";

/** How a waiting rank waits for its peers (sync.ts). */
export type WaitMode = "spin" | "wait" | "auto";

/**
 * An emulated interconnect (link.ts): every step in which a rank reads B bytes from its peers costs
 * `latencySec + B / bandwidthBytesPerSec` of wall time before the rank may use the data.
 */
export interface LinkModel {
  readonly bandwidthBytesPerSec: number;
  readonly latencySec: number;
}

/** Group-wide options, fixed when the group is created (they travel in the init object). */
export interface GroupOptions {
  /** Largest per-rank message (bytes of f32) processed in one piece; longer calls run in segments. Default 4 MiB. */
  maxMessageBytes?: number;
  /**
   * `spin`: poll up to spinCount times, then park (benchmarks, worldSize ≤ cores); `wait`: park after
   * a few polls; `auto` (default): spin with an adaptive poll budget when worldSize ≤ cores, else wait.
   */
  waitMode?: WaitMode;
  /** Atomics.load polls before parking; defaults: 20 000 (≈ 0.2–1 ms) in spin mode, 64 in wait mode. */
  spinCount?: number;
  /** Atomics.wait slice between abort/timeout checks, ms. Default 25. */
  waitSliceMs?: number;
  /** A wait longer than this aborts the group naming the awaited rank(s), ms. Default 30 000. */
  timeoutMs?: number;
  /** Default all-reduce algorithm. Default `auto` (tuning.ts). */
  algorithm?: Algorithm;
  /** Compression policy: codec used when compressing (default `none`). */
  codec?: CodecArg;
  /** Compression policy: when to compress (default `auto`). */
  compress?: CompressWhen;
  /** Compression policy: scheme, or `auto` (tuning.ts `chooseScheme`). Default `auto`. */
  scheme?: CompressionScheme | "auto";
  /** Emulated interconnect; `null`/omitted = plain shared memory. */
  link?: LinkModel | null;
  /** Measure per-phase times (performance.now() costs ~90 ns per read). Default true. */
  timing?: boolean;
  /** Available cores, used by waitMode `auto` (the Node adapter passes os.availableParallelism()). */
  cores?: number;
}

/** Options resolved to concrete values (what travels to every rank). */
export interface ResolvedOptions {
  readonly maxMessageBytes: number;
  readonly waitMode: "spin" | "wait";
  /** adapt the poll budget to how often polling succeeds (waitMode "auto" resolved to spin) */
  readonly adaptiveSpin: boolean;
  readonly spinCount: number;
  readonly waitSliceMs: number;
  readonly timeoutMs: number;
  readonly algorithm: Algorithm;
  readonly codec: CodecSpec | null;
  readonly compress: CompressWhen;
  readonly scheme: CompressionScheme | "auto";
  readonly link: LinkModel | null;
  readonly timing: boolean;
}

/**
 * Everything a rank needs to join its group: plain data plus a shared memory and a compiled module,
 * all structured-cloneable, so it can be posted to a Node worker_thread or a browser Web Worker.
 */
export interface RankInit {
  readonly rank: number;
  readonly worldSize: number;
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  readonly layout: Layout;
  readonly options: ResolvedOptions;
}

/**
 * The choices of an allReduce call (the per-call options without `output`): what `comm.prepare()`
 * resolves once into an AllReducePlan.
 */
export interface AllReducePlanOptions {
  algorithm?: Algorithm;
  /** Codec for this call; giving one implies `compress: true` unless `compress` says otherwise. */
  codec?: CodecArg;
  compress?: CompressWhen;
  scheme?: CompressionScheme | "auto";
  /** Seed for stochastic rounding (an integer, mixed with rank and call number). Default 0. */
  seed?: number;
}

/** Per-call options of allReduce. */
export interface AllReduceOptions extends AllReducePlanOptions {
  /** Where to write the result (default: in place, into the input array). */
  output?: Float32Array;
  /**
   * A plan from `comm.prepare()` (this communicator's): the call's choices, resolved once. With a
   * plan, `algorithm`, `codec`, `compress`, `scheme` and `seed` must be absent.
   */
  plan?: AllReducePlan;
}

export interface CollectiveOptions {
  /** Where to write the result (reduceScatter: this rank's chunk; allGather: p·n values). */
  output?: Float32Array;
}

export type OpName = "allReduce" | "reduceScatter" | "allGather" | "broadcast" | "barrier";

/** Bytes and times of one call or of many. Times are in milliseconds (0 when `timing` is off). */
export interface TrafficStats {
  /** bytes this rank's peers read from its buffers */
  bytesSent: number;
  /** bytes this rank read from its peers' buffers */
  bytesReceived: number;
  /** time waiting for peers (spinning or parked) */
  syncMs: number;
  /** time in quantize / dequantize / reduce-quantize kernels */
  codecMs: number;
  /** time copying and summing uncompressed data */
  copyMs: number;
  /** time spent in emulated link delays */
  linkMs: number;
  totalMs: number;
}

/** What one call did. */
export interface CallStats extends TrafficStats {
  op: OpName;
  /** the all-reduce algorithm (or the op's own fixed schedule) */
  algorithm: string;
  /** codec name, or null when uncompressed */
  codec: string | null;
  scheme: CompressionScheme | null;
  elements: number;
}

/** Cumulative statistics since creation or the last resetStats(). */
export interface CommStats extends TrafficStats {
  calls: number;
  /** the most recent call, or null */
  last: CallStats | null;
}

/**
 * One rank's handle on its group. Calls are synchronous (they block the calling thread with
 * Atomics.wait, which workers allow) and must be made by every rank in the same order with matching
 * arguments. Pass it explicitly; there is no global communicator.
 */
export interface Communicator {
  readonly rank: number;
  readonly worldSize: number;
  /** Max elements per segment (per rank); longer allReduce/broadcast calls run in segments. */
  readonly capacity: number;
  /** Sum `data` over all ranks; every rank gets bit-identical results. In place unless `output`. */
  allReduce(data: Float32Array, options?: AllReduceOptions): Float32Array;
  /**
   * Validate and resolve an allReduce's choices once (local: no communication). A call given the
   * plan (`allReduce(x, { plan })`) costs no more than one with the group's defaults. Throws a
   * CollectiveError (code `invalid`) naming a bad option.
   */
  prepare(options?: AllReducePlanOptions): AllReducePlan;
  /** Sum `input` over all ranks and return this rank's chunk `chunkRange(input.length, rank)`. */
  reduceScatter(input: Float32Array, options?: CollectiveOptions): Float32Array;
  /** Concatenate every rank's `input` (all the same length) in rank order. */
  allGather(input: Float32Array, options?: CollectiveOptions): Float32Array;
  /** Copy `root`'s `data` into every rank's `data` (in place unless `output`). */
  broadcast(data: Float32Array, root: number, options?: CollectiveOptions): Float32Array;
  /** Wait until every rank has called barrier(). */
  barrier(): void;
  /**
   * This rank's send buffer in shared memory (n ≤ capacity): calls given this view read it in place,
   * with no staging copy. The same memory is returned every time; results overwrite it (in place).
   */
  alloc(n: number): Float32Array;
  /** [start, end) of rank `rank`'s chunk of an n-element reduceScatter input. */
  chunkRange(n: number, rank?: number): [number, number];
  /** Cumulative statistics (and the last call's). */
  readonly stats: CommStats;
  resetStats(): void;
  /** Leave the group: later calls throw; peers waiting for this rank fail fast instead of timing out. */
  close(): void;
}
