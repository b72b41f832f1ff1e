// The shared-memory communicator: one per rank, created from a structured-cloneable RankInit.
// Every collective call is: validate locally → stage the input into X(rank) (skipped for zero-copy
// views from alloc()) → algorithm.prepare → write this rank's op descriptor and arrive (publish a
// step, wait for all peers) → compare all descriptors (mismatch → every rank throws the same error)
// → algorithm.run → copy the result out. Calls longer than `capacity` run as consecutive segments.
import { type KernelHandle, createKernelHandle, formatById, instantiateQuantKernels } from "@tensorwire/quant-wasm";
import { RESERVED_IDS, algorithmByName, algorithmByScheme, algorithmIdName, schemeIdName } from "./algorithms/registry.js";
import type { Segment } from "./algorithms/types.js";
import { Engine } from "./engine.js";
import { CollectiveError } from "./errors.js";
import {
  D_ALGORITHM, D_CODEC, D_COMPARED, D_FLAGS, D_INPUT, D_LENGTH, D_OP, D_ROOT, D_SCHEME, D_SEGMENT, D_SEQ, D_TOTAL,
  FLAG_KEEP_INPUT, FLAG_ZERO_COPY, checkHeader, descWord,
} from "./layout.js";
import {
  AllReducePlan, type PlanState, type ResolvedCall, describeValue, makePlanState, planState,
} from "./plan.js";
import { Sync } from "./sync.js";
import { chooseAlgorithm, chooseScheme, shouldCompress } from "./tuning.js";
import type {
  AllReduceOptions, AllReducePlanOptions, CallStats, CollectiveOptions, CommStats, Communicator, CompressionScheme, OpName,
  RankInit, ResolvedOptions,
} from "./types.js";

/** Op ids in descriptors. Part of the shared-memory protocol: never renumber. */
const OP_IDS: Record<OpName, number> = { allReduce: 1, reduceScatter: 2, allGather: 3, broadcast: 4, barrier: 5 };
const OP_NAMES = Object.fromEntries(Object.entries(OP_IDS).map(([k, v]) => [v, k])) as Record<number, string>;
/** Algorithm word of collectives with a single fixed schedule, and of a call its rank rejected (registry.ts). */
const FIXED = RESERVED_IDS.fixed;
const INVALID = RESERVED_IDS.rejected;
const NO_CODEC = -1;
/** One-shot stages alloc() views up to this size instead of reading them in place (see allReduce). */
const ONE_SHOT_STAGE_BYTES = 64 * 1024;
const ONE_SHOT = algorithmByName("one-shot")!;
/** The choice options of allReduce (a plan replaces all of them). */
const CHOICE_KEYS = ["algorithm", "codec", "compress", "scheme", "seed"] as const;

function codecWordName(w: number): string {
  if (w === NO_CODEC) return "none";
  const f = formatById(w & 0xff);
  return f ? `${f.name} (descriptor 0x${(w >>> 0).toString(16)})` : `descriptor 0x${(w >>> 0).toString(16)}`;
}

const FIELD_NAMES: Record<number, [string, (v: number) => string]> = {
  [D_OP]: ["operation", (v) => OP_NAMES[v] ?? String(v)],
  [D_ALGORITHM]: ["algorithm", algorithmIdName],
  [D_CODEC]: ["codec", codecWordName],
  [D_SCHEME]: ["compression scheme", schemeIdName],
  [D_ROOT]: ["root", String],
  [D_TOTAL]: ["length", String],
  [D_SEGMENT]: ["segment", String],
  [D_LENGTH]: ["segment length", String],
};

/** Do the byte ranges of two views of the same buffer overlap? */
function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteLength > 0 && b.byteLength > 0 &&
    a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

export class SharedCommunicator implements Communicator {
  readonly rank: number;
  readonly worldSize: number;
  readonly capacity: number;
  private readonly opts: ResolvedOptions;
  private readonly buf: ArrayBufferLike;
  private readonly i32: Int32Array;
  private readonly f32: Float32Array;
  private readonly sync: Sync;
  private readonly e: Engine;
  private readonly init: RankInit;
  private opSeq = 0;
  private closed = false;
  private readonly h: KernelHandle;
  /** the group's default choices (their per-size decisions are cached, like a plan's) */
  private readonly defaults: PlanState;
  private totals: CommStats = SharedCommunicator.emptyStats();
  private callWait0 = 0;
  private myFlags = 0;
  private readonly lastCall: CallStats = {
    op: "barrier", algorithm: "", codec: null, scheme: null, elements: 0, bytesSent: 0, bytesReceived: 0,
    syncMs: 0, codecMs: 0, copyMs: 0, linkMs: 0, totalMs: 0,
  };

  constructor(init: RankInit) {
    const { rank, worldSize, memory, module, layout, options } = init;
    if (!(memory instanceof WebAssembly.Memory)) throw new TypeError("init.memory must be a shared WebAssembly.Memory");
    if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new RangeError(`rank ${rank} out of range 0..${worldSize - 1}`);
    if (layout.worldSize !== worldSize) throw new RangeError("init.layout was computed for another world size");
    this.init = init;
    this.rank = rank;
    this.worldSize = worldSize;
    this.capacity = layout.capacity;
    this.opts = options;
    const k = instantiateQuantKernels(module, memory);
    if (k.heapBase > layout.ctrlBase) throw new Error(`quant.wasm heap base ${k.heapBase} overlaps the control block at ${layout.ctrlBase}`);
    this.buf = memory.buffer;
    if (this.buf.byteLength < layout.totalBytes) throw new Error(`shared memory has ${this.buf.byteLength} bytes, the layout needs ${layout.totalBytes}`);
    this.i32 = new Int32Array(this.buf);
    this.f32 = new Float32Array(this.buf);
    checkHeader(this.i32, layout);
    this.sync = new Sync(this.i32, layout, rank, {
      spinCount: options.spinCount, adaptive: options.adaptiveSpin, waitSliceMs: options.waitSliceMs, timeoutMs: options.timeoutMs, timing: options.timing,
    });
    this.h = createKernelHandle(k);
    this.e = new Engine(rank, layout, this.sync, this.h, this.buf, options.link, options.timing);
    this.defaults = makePlanState(this, this.h, {}, options, "options", true);
  }

  /** The init object this communicator was created from (e.g. to inspect options). */
  get options(): ResolvedOptions { return this.opts; }
  /** Whether sums run in quant.wasm's SIMD f32 kernel: always (quant-wasm's f32 passthrough descriptor). */
  get simdSums(): boolean { return true; }
  /** The shared memory (its byteLength never changes after creation). */
  get memory(): WebAssembly.Memory { return this.init.memory; }

  // ---- public collectives -----------------------------------------------------------------------
  // Every argument is checked before anything is touched. A rank whose arguments are invalid still
  // arrives, marked rejected (algorithm word RESERVED_IDS.rejected): it throws CollectiveError
  // "invalid" naming the argument, its peers throw "mismatch" naming it, at the same arrival, and
  // the group stays usable (nobody touched peer data).

  allReduce(data: Float32Array, options?: AllReduceOptions): Float32Array {
    const t0 = this.begin();
    let invalid = this.checkInput("allReduce", "data", data);
    const n = invalid === null ? data.length : 0;
    let out = data;
    let st = this.defaults;
    if (options !== undefined) {
      if (options === null || typeof options !== "object") {
        invalid ??= `allReduce: options must be an object, got ${describeValue(options)}`;
      } else {
        if (options.output !== undefined) {
          const why = this.checkOutput("allReduce", options.output, n, invalid === null ? data : null, true, `differs from input length ${n}`);
          if (why !== null) invalid ??= why;
          else out = options.output;
        }
        if (options.plan !== undefined) {
          const ps = planState(options.plan);
          if (ps === undefined) invalid ??= `allReduce: options.plan must be a plan from comm.prepare(), got ${describeValue(options.plan)}`;
          else if (ps.owner !== this) invalid ??= `allReduce: options.plan was prepared by another communicator (rank ${(options.plan as AllReducePlan).rank}), not this one`;
          else {
            // no per-call choice may come with a plan (plain checks: no allocation on this path)
            if (options.algorithm !== undefined || options.codec !== undefined || options.compress !== undefined ||
                options.scheme !== undefined || options.seed !== undefined) {
              const extra = CHOICE_KEYS.find((key) => options[key] !== undefined)!;
              invalid ??= `allReduce: options.${extra} must be absent when options.plan is given (the plan fixes it)`;
            } else {
              st = ps;
            }
          }
        } else if (options.algorithm !== undefined || options.codec !== undefined || options.compress !== undefined ||
                   options.scheme !== undefined || options.seed !== undefined) {
          try {
            st = makePlanState(this, this.h, options, this.opts, "allReduce: options", false);
          } catch (e) {
            invalid ??= (e as Error).message;
          }
        }
      }
    }
    let call: ResolvedCall | null = null;
    if (invalid === null) {
      try {
        call = this.resolve(st, n);
      } catch (e) {
        invalid = `allReduce: ${(e as Error).message}`;
      }
    }
    if (invalid !== null || call === null) return this.reject(OP_IDS.allReduce, invalid ?? "allReduce: no plan");
    if (this.worldSize === 1) {
      if (out !== data) out.set(data);
      return this.finish("allReduce", call.entry.name, null, null, n, t0, out);
    }
    const e = this.e, r = this.rank, C = this.capacity, alg = call.entry.impl;
    // A small one-shot copies even an alloc() view into the op's staging buffer: a copy of a few KiB
    // is cheaper than the final "done reading" barrier that reading the view in place would need.
    const zcIn = this.isInput(data) && !(call.entry === ONE_SHOT && 4 * n <= ONE_SHOT_STAGE_BYTES);
    const zcOut = this.isInput(out);
    const segs = Math.max(1, Math.ceil(n / C));
    const compressed = call.codec !== null;
    const seed0 = st.seed + Math.imul(r + 1, 0x85ebca77);
    let failed: string | null = null;
    for (let i = 0; i < segs; i++) {
      const off = i * C, len = Math.min(C, n - off);
      const seg: { -readonly [K in keyof Segment]: Segment[K] } = {
        len, dst: zcOut ? e.X(r) : e.S(r), desc: call.desc, align: call.align,
        seed: (seed0 + Math.imul(this.opSeq + 1, 0x9e3779b1)) >>> 0, arrive: 0,
        out: zcOut ? null : out, outOff: off, delivered: false,
      };
      this.setInput(zcIn, zcIn);
      if (zcIn && !zcOut) this.myFlags |= FLAG_KEEP_INPUT;
      try {
        if (!zcIn) this.stage(data, off, len);
        alg.prepare?.(e, seg);
      } catch (err) {
        failed = `allReduce: ${(err as Error).message}`;
      }
      const step = this.arrive(OP_IDS.allReduce, failed ? INVALID : call.entry.id, compressed ? call.desc : NO_CODEC,
        call.entry.schemeId, 0, n, i, len, failed);
      seg.arrive = step;
      alg.run(e, seg);
      if (!zcOut && !seg.delivered) this.e.copyToArray(out, off, seg.dst, len);
    }
    return this.finish("allReduce", call.entry.name, call.codecName, call.scheme, n, t0, out);
  }

  prepare(options?: AllReducePlanOptions): AllReducePlan {
    if (this.closed) throw new CollectiveError(`rank ${this.rank}: communicator is closed`, { code: "closed", rank: this.rank });
    if (options !== undefined && (options === null || typeof options !== "object")) {
      throw this.invalid(`prepare: options must be an object, got ${describeValue(options)}`);
    }
    const o = options ?? {};
    if ((o as AllReduceOptions).output !== undefined || (o as AllReduceOptions).plan !== undefined) {
      throw this.invalid(`prepare: options.${(o as AllReduceOptions).output !== undefined ? "output" : "plan"} does not belong in a plan (pass it to allReduce)`);
    }
    let st: PlanState;
    try {
      st = makePlanState(this, this.h, o, this.opts, "prepare: options", true);
    } catch (e) {
      throw this.invalid((e as Error).message);
    }
    const picked: AllReducePlanOptions = {};
    for (const key of CHOICE_KEYS) if (o[key] !== undefined) (picked as Record<string, unknown>)[key] = o[key];
    return new AllReducePlan(this.rank, picked, st);
  }

  reduceScatter(input: Float32Array, options?: CollectiveOptions): Float32Array {
    const t0 = this.begin();
    let invalid = this.checkInput("reduceScatter", "input", input);
    const n = invalid === null ? input.length : 0;
    const p = this.worldSize, r = this.rank;
    const [a, b] = this.chunkRange(n, r);
    let out: Float32Array | undefined;
    if (options !== undefined) {
      if (options === null || typeof options !== "object") invalid ??= `reduceScatter: options must be an object, got ${describeValue(options)}`;
      else if (options.output !== undefined) {
        const why = this.checkOutput("reduceScatter", options.output, b - a, invalid === null ? input : null, false, `expected this rank's chunk length ${b - a}`);
        if (why !== null) invalid ??= why;
        else out = options.output;
      }
    }
    if (invalid !== null) return this.reject(OP_IDS.reduceScatter, invalid);
    out ??= new Float32Array(b - a);
    if (p === 1) {
      out.set(input);
      return this.finish("reduceScatter", "fixed", null, null, n, t0, out);
    }
    const e = this.e, C = this.capacity;
    if (n <= C) {
      const zc = this.isInput(input);
      this.setInput(zc, zc);
      if (!zc) this.stage(input, 0, n);
      this.arrive(OP_IDS.reduceScatter, FIXED, NO_CODEC, 0, 0, n, 0, n, null);
      // owner r sums chunk r of every rank's input in rank order (the two-shot reduce-scatter step)
      e.received((p - 1) * 4 * (b - a));
      e.sent(4 * (n - (b - a)));
      e.sumRanks(e.S(r) + 4 * a, (q) => e.I(q) + 4 * a, b - a);
      this.sync.barrier(); // peers are done reading X(r)
      this.e.copyToArray(out, 0, e.S(r) + 4 * a, b - a);
      return this.finish("reduceScatter", "fixed", null, null, n, t0, out);
    }
    // Larger than the capacity: rounds of S = ⌊C/p⌋ elements of every rank's chunk. In round k each
    // rank stages piece k of chunk q at offset q·S of its staging buffer (p·S ≤ C), then owner q
    // sums its piece over the ranks in rank order: the same sums as the one-shot path, in order.
    const S = Math.floor(C / p);
    const rounds = Math.ceil(Math.ceil(n / p) / S);
    const piece = (q: number, k: number): [number, number] => {
      const [qa, qb] = this.chunkRange(n, q);
      const off = qa + k * S;
      return [off, Math.max(0, Math.min(S, qb - off))];
    };
    for (let k = 0; k < rounds; k++) {
      this.setInput(false, false);
      let sent = 0;
      for (let q = 0; q < p; q++) {
        const [off, len] = piece(q, k);
        this.stage(input, off, len, q * S);
        if (q !== r) sent += 4 * len;
      }
      this.arrive(OP_IDS.reduceScatter, FIXED, NO_CODEC, 0, 0, n, k, S, null);
      const [, m] = piece(r, k);
      e.received((p - 1) * 4 * m);
      e.sent(sent);
      e.sumRanks(e.S(r), (q) => e.I(q) + 4 * r * S, m);
      this.sync.barrier(); // peers are done reading this rank's staging buffer
      this.e.copyToArray(out, k * S, e.S(r), m);
    }
    return this.finish("reduceScatter", "fixed", null, null, n, t0, out);
  }

  allGather(input: Float32Array, options?: CollectiveOptions): Float32Array {
    const t0 = this.begin();
    let invalid = this.checkInput("allGather", "input", input);
    const n = invalid === null ? input.length : 0, p = this.worldSize;
    let out: Float32Array | undefined;
    if (options !== undefined) {
      if (options === null || typeof options !== "object") invalid ??= `allGather: options must be an object, got ${describeValue(options)}`;
      else if (options.output !== undefined) {
        const o = options.output;
        const why = this.checkOutput("allGather", o, p * n, invalid === null ? input : null, false, `expected ${p} × ${n}`);
        if (why !== null) invalid ??= why;
        else if (o.buffer === this.buf) invalid ??= "allGather: options.output must not live in the group's shared memory";
        else out = o;
      }
    }
    if (invalid !== null) return this.reject(OP_IDS.allGather, invalid);
    out ??= new Float32Array(p * n);
    if (p === 1) {
      out.set(input);
      return this.finish("allGather", "fixed", null, null, n, t0, out);
    }
    const e = this.e, C = this.capacity, zc = this.isInput(input);
    const segs = Math.max(1, Math.ceil(n / C));
    for (let i = 0; i < segs; i++) {
      const off = i * C, len = Math.min(C, n - off);
      this.setInput(zc, zc);
      if (!zc) this.stage(input, off, len);
      this.arrive(OP_IDS.allGather, FIXED, NO_CODEC, 0, 0, n, i, len, null);
      e.received((p - 1) * 4 * len);
      e.sent((p - 1) * 4 * len);
      for (let q = 0; q < p; q++) this.e.copyToArray(out, q * n + off, e.I(q), len);
      this.sync.barrier(); // peers are done reading X(r)
    }
    return this.finish("allGather", "fixed", null, null, n, t0, out);
  }

  broadcast(data: Float32Array, root: number, options?: CollectiveOptions): Float32Array {
    const t0 = this.begin();
    let invalid = this.checkInput("broadcast", "data", data);
    const n = invalid === null ? data.length : 0, p = this.worldSize, r = this.rank;
    if (typeof root !== "number" || !Number.isInteger(root) || root < 0 || root >= p) {
      invalid ??= `broadcast: root ${describeValue(root)} is not a rank of this group (an integer in 0..${p - 1})`;
    }
    let out = data;
    if (options !== undefined) {
      if (options === null || typeof options !== "object") invalid ??= `broadcast: options must be an object, got ${describeValue(options)}`;
      else if (options.output !== undefined) {
        const why = this.checkOutput("broadcast", options.output, n, invalid === null ? data : null, true, `differs from input length ${n}`);
        if (why !== null) invalid ??= why;
        else out = options.output;
      }
    }
    if (invalid !== null) return this.reject(OP_IDS.broadcast, invalid);
    if (p === 1) {
      if (out !== data) out.set(data);
      return this.finish("broadcast", "fixed", null, null, n, t0, out);
    }
    const e = this.e, C = this.capacity;
    const zcIn = this.isInput(data), zcOut = this.isInput(out);
    const segs = Math.max(1, Math.ceil(n / C));
    for (let i = 0; i < segs; i++) {
      const off = i * C, len = Math.min(C, n - off);
      this.setInput(zcIn, zcIn || zcOut);
      if (r === root && !zcIn) this.stage(data, off, len);
      this.arrive(OP_IDS.broadcast, FIXED, NO_CODEC, 0, root, n, i, len, null);
      if (r !== root) {
        e.received(4 * len);
        if (zcOut) e.copy(e.X(r), e.I(root), len);
        else this.e.copyToArray(out, off, e.I(root), len);
      } else {
        e.sent((p - 1) * 4 * len);
        if (out !== data) {
          if (zcOut) e.copy(e.X(r), e.I(root), len);
          else this.e.copyToArray(out, off, e.I(root), len);
        }
      }
      this.sync.barrier(); // every rank has copied the root's segment
    }
    return this.finish("broadcast", "fixed", null, null, n, t0, out);
  }

  barrier(): void {
    const t0 = this.begin();
    if (this.worldSize > 1) this.arrive(OP_IDS.barrier, FIXED, NO_CODEC, 0, 0, 0, 0, 0, null);
    this.finish("barrier", "fixed", null, null, 0, t0, null);
  }

  alloc(n: number): Float32Array {
    if (!Number.isInteger(n) || n < 0 || n > this.capacity) {
      throw new RangeError(`alloc(${n}): n must be an integer in 0..${this.capacity} (the capacity; raise maxMessageBytes)`);
    }
    return new Float32Array(this.buf, this.e.X(this.rank), n);
  }

  chunkRange(n: number, rank: number = this.rank): [number, number] {
    const p = this.worldSize;
    return [Math.floor((rank * n) / p), Math.floor(((rank + 1) * n) / p)];
  }

  get stats(): CommStats {
    return { ...this.totals, last: this.totals.last ? { ...this.totals.last } : null };
  }

  resetStats(): void {
    this.totals = SharedCommunicator.emptyStats();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sync.markClosed();
  }

  // ---- internals --------------------------------------------------------------------------------

  private static emptyStats(): CommStats {
    return { calls: 0, bytesSent: 0, bytesReceived: 0, syncMs: 0, codecMs: 0, copyMs: 0, linkMs: 0, totalMs: 0, last: null };
  }

  private invalid(msg: string): CollectiveError {
    return new CollectiveError(`rank ${this.rank}: ${msg}`, { code: "invalid", rank: this.rank });
  }

  /** Why `x` cannot be the input (`name`) of `op`, or null. */
  private checkInput(op: string, name: string, x: unknown): string | null {
    if (x instanceof Float32Array) return null;
    return `${op}: ${name} must be a Float32Array, got ${describeValue(x)}`;
  }

  /**
   * Why `out` cannot receive `op`'s result of `want` values, or null. It must be a Float32Array of
   * exactly `want` elements; it may not overlap the input (`sameOk`: except being the input itself,
   * for in place), and a view of the group's shared memory must lie inside this rank's alloc() region.
   */
  private checkOutput(op: string, out: unknown, want: number, input: Float32Array | null, sameOk: boolean, lengthNote: string): string | null {
    if (!(out instanceof Float32Array)) return `${op}: options.output must be a Float32Array, got ${describeValue(out)}`;
    if (out.length !== want) return `${op}: options.output length ${out.length} ${lengthNote}`;
    if (input !== null && overlaps(out, input) && !(sameOk && out.byteOffset === input.byteOffset && out.length === input.length)) {
      return `${op}: options.output (bytes ${out.byteOffset}..${out.byteOffset + out.byteLength}) overlaps the input ` +
        `(bytes ${input.byteOffset}..${input.byteOffset + input.byteLength}) of the same buffer` +
        (sameOk ? "; pass the input itself for in place, or a disjoint array" : "; pass a disjoint array");
    }
    if (out.buffer === this.buf && out.byteLength > 0) {
      const x = this.e.X(this.rank);
      if (out.byteOffset < x || out.byteOffset + out.byteLength > x + 4 * this.capacity) {
        return `${op}: options.output lies in the group's shared memory outside this rank's alloc() region`;
      }
    }
    return null;
  }

  /**
   * Arrive marked rejected, so the peers fail at this arrival instead of waiting: this rank throws
   * CollectiveError "invalid" with `why`, the peers "mismatch" naming it (p = 1: just throw).
   */
  private reject(op: number, why: string): never {
    if (this.worldSize === 1) throw this.invalid(why);
    this.myFlags = 0;
    this.arrive(op, INVALID, NO_CODEC, 0, 0, 0, 0, 0, why);
    throw this.invalid(why); // not reached: arrive throws for a rejected call
  }

  private begin(): number {
    if (this.closed) throw new CollectiveError(`rank ${this.rank}: communicator is closed`, { code: "closed", rank: this.rank });
    this.sync.checkAbort();
    const c = this.e.c;
    c.bytesSent = 0; c.bytesReceived = 0; c.codecMs = 0; c.copyMs = 0; c.linkMs = 0;
    this.callWait0 = this.sync.waitMs;
    return this.opts.timing ? performance.now() : 0;
  }

  private finish<T>(op: OpName, algorithm: string, codec: string | null, scheme: CompressionScheme | null, n: number, t0: number, out: T): T {
    const c = this.e.c;
    // one reused record (the stats getter hands out copies): no allocation per call
    const last = this.lastCall;
    last.op = op; last.algorithm = algorithm; last.codec = codec; last.scheme = scheme; last.elements = n;
    last.bytesSent = c.bytesSent; last.bytesReceived = c.bytesReceived; last.syncMs = this.sync.waitMs - this.callWait0;
    last.codecMs = c.codecMs; last.copyMs = c.copyMs; last.linkMs = c.linkMs;
    last.totalMs = this.opts.timing ? performance.now() - t0 : 0;
    const t = this.totals;
    t.calls++;
    t.bytesSent += last.bytesSent; t.bytesReceived += last.bytesReceived; t.syncMs += last.syncMs;
    t.codecMs += last.codecMs; t.copyMs += last.copyMs; t.linkMs += last.linkMs; t.totalMs += last.totalMs;
    t.last = last;
    return out;
  }

  /** Is `a` exactly this rank's send buffer (a view from alloc())? Then it is read in place. */
  private isInput(a: Float32Array): boolean {
    return a.buffer === this.buf && a.byteOffset === this.e.X(this.rank);
  }

  /**
   * Where this rank's input for the next op lives: its alloc() view (zero-copy) or the staging
   * buffer of the next op's parity (packed regions alternate the same way: Engine.P). `inPlace` marks
   * ops that read the alloc() view in place.
   */
  private setInput(zeroCopy: boolean, inPlace: boolean): void {
    const e = this.e, r = this.rank;
    e.seq = this.opSeq + 1;
    e.inp[r] = zeroCopy ? e.X(r) : e.stage(r, this.opSeq + 1);
    this.myFlags = inPlace ? FLAG_ZERO_COPY : 0;
  }

  /** Copy src[off, off + len) into this rank's input buffer at element dstOff. */
  private stage(src: Float32Array, off: number, len: number, dstOff = 0): void {
    if (len === 0) return;
    const t = this.e.clock();
    const dst = this.e.inp[this.rank]! + 4 * dstOff;
    const from = src.byteOffset + 4 * off;
    if (src.buffer === this.buf && (dst + 4 * len <= from || from + 4 * len <= dst)) {
      this.e.move(dst, from, len); // a view of the shared memory (disjoint): SIMD copy in wasm
    } else {
      this.f32.set(off === 0 && len === src.length ? src : src.subarray(off, off + len), dst >>> 2);
    }
    if (this.opts.timing) this.e.c.copyMs += performance.now() - t;
  }

  /** What an allReduce of n elements runs under a state's choices: cached per size in defaults and plans. */
  private resolve(st: PlanState, n: number): ResolvedCall {
    const cache = st.cache;
    if (cache !== null) {
      const hit = cache.get(n);
      if (hit !== undefined) return hit;
    }
    const call = this.decide(st, n);
    if (cache !== null) {
      if (cache.size >= 256) cache.clear();
      cache.set(n, call);
    }
    return call;
  }

  /** Algorithm / codec / scheme for n elements: a pure function of (n, p, link, choices), so every rank agrees. */
  private decide(st: PlanState, n: number): ResolvedCall {
    const p = this.worldSize, link = this.opts.link, bytes = 4 * n;
    const codec = st.codec, when = st.compress;
    const compress = codec !== null && p > 1 && (when === true || (when === "auto" && shouldCompress(bytes, p, link, codec)));
    if (compress) {
      const scheme: CompressionScheme = st.scheme === "auto" ? chooseScheme(bytes, p, link, codec) : st.scheme;
      const entry = algorithmByScheme(scheme);
      if (!entry) throw new RangeError(`unknown compression scheme "${String(scheme)}"`);
      return { entry, codec, desc: st.desc, align: st.align, scheme, codecName: st.codecName };
    }
    const name = st.algorithm === "auto" ? chooseAlgorithm(bytes, p, link) : st.algorithm;
    const entry = algorithmByName(name);
    if (!entry) throw new RangeError(`unknown algorithm "${String(name)}"`);
    return { entry, codec: null, desc: 0, align: 1, scheme: null, codecName: null };
  }

  /**
   * Write this rank's descriptor for the next op, publish the arrival and wait for every peer; then
   * compare all descriptors. Every rank reads the same descriptors, so either all ranks proceed or all
   * throw (the group stays usable after a mismatch). Returns the arrival step.
   */
  private arrive(op: number, alg: number, codec: number, scheme: number, root: number, total: number, segment: number, len: number, invalid: string | null): number {
    const seq = ++this.opSeq;
    const i32 = this.i32, l = this.init.layout, p = this.worldSize;
    const d = descWord(l, this.rank, seq);
    i32[d + D_SEQ] = seq;
    i32[d + D_OP] = op;
    i32[d + D_ALGORITHM] = alg;
    i32[d + D_CODEC] = codec;
    i32[d + D_SCHEME] = scheme;
    i32[d + D_ROOT] = root;
    i32[d + D_TOTAL] = total;
    i32[d + D_SEGMENT] = segment;
    i32[d + D_LENGTH] = len;
    i32[d + D_INPUT] = this.e.inp[this.rank]!;
    i32[d + D_FLAGS] = this.myFlags;
    this.myFlags = 0;
    const step = this.sync.publish();
    this.sync.waitAll(step);
    // compare every rank's descriptor with mine
    const mine = d;
    let bad = invalid !== null;
    for (let q = 0; q < p && !bad; q++) {
      if (q === this.rank) continue;
      const dq = descWord(l, q, seq);
      if (i32[dq + D_SEQ] !== seq) bad = true;
      for (let w = D_OP; w < D_OP + D_COMPARED && !bad; w++) if (i32[dq + w] !== i32[mine + w]) bad = true;
    }
    if (bad) throw this.mismatchError(seq, invalid);
    const e = this.e;
    let flags = 0;
    for (let q = 0; q < p; q++) {
      const dq = descWord(l, q, seq);
      e.inp[q] = i32[dq + D_INPUT]!;
      const fq = i32[dq + D_FLAGS]!;
      e.flags[q] = fq;
      flags |= fq;
    }
    e.inPlace = (flags & FLAG_ZERO_COPY) !== 0;
    return step;
  }

  private mismatchError(seq: number, invalid: string | null): CollectiveError {
    const i32 = this.i32, l = this.init.layout, p = this.worldSize;
    if (invalid !== null) return this.invalid(invalid);
    const rejected: number[] = [];
    for (let q = 0; q < p; q++) if (i32[descWord(l, q, seq) + D_ALGORITHM] === INVALID) rejected.push(q);
    if (rejected.length) {
      return new CollectiveError(`rank ${this.rank}: collective call rejected by rank${rejected.length > 1 ? "s" : ""} ${rejected.join(", ")} (invalid arguments there; see that rank's error)`, { code: "mismatch", ranks: rejected, rank: this.rank });
    }
    const parts: string[] = [];
    const ranks = new Set<number>();
    for (let w = D_OP; w < D_OP + D_COMPARED; w++) {
      const byValue = new Map<number, number[]>();
      for (let q = 0; q < p; q++) {
        const v = i32[descWord(l, q, seq) + w]!;
        const list = byValue.get(v);
        if (list) list.push(q);
        else byValue.set(v, [q]);
      }
      if (byValue.size > 1) {
        const [name, fmt] = FIELD_NAMES[w]!;
        const groups = [...byValue.entries()].map(([v, qs]) => `${fmt(v)} on rank${qs.length > 1 ? "s" : ""} ${qs.join(",")}`);
        parts.push(`${name} differs: ${groups.join("; ")}`);
        // the minority values name the odd ranks out
        const sorted = [...byValue.values()].sort((x, y) => y.length - x.length);
        for (const qs of sorted.slice(1)) qs.forEach((q) => ranks.add(q));
      }
    }
    return new CollectiveError(`rank ${this.rank}: mismatched collective calls across ranks: ${parts.join(" | ")}`, {
      code: "mismatch", ranks: [...ranks].sort((a, b) => a - b), rank: this.rank,
    });
  }
}

/** Join a group: create this rank's communicator from its init object (synchronous; in a worker). */
export function createCommunicator(init: RankInit): SharedCommunicator {
  return new SharedCommunicator(init);
}
