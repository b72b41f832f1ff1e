// Communication only (Megatron's mappings.py): the one region crossing this model needs.
// reduceFromTensorParallelRegion — forward: all-reduce the row-parallel partial sums, in place,
// through the rank's communicator, with the codec the compression policy picks for the call site.
// The all-reduce payload is the only data that crosses from the model's own memory into the group's
// shared memory (the communicator stages it in and copies the result back).
import { type AllReduceOptions, type AllReducePlan, type Communicator, toCodecSpec } from "@tensorwire/collectives";
import { bytesFor } from "@tensorwire/quant-wasm";
import { type CallSite, type CompressionPolicy, type OutlierChannels, type Phase, matchRule, outlierChannelsOf } from "./policy.js";

/** What the all-reduces of a forward pass did on this rank. */
export interface ReduceTotals {
  calls: number;
  /** f32 values reduced */
  elements: number;
  /** values that went through a codec */
  compressedElements: number;
  /** payload bytes as f32 and as sent on the wire (codec bytes for compressed calls) */
  payloadBytes: number;
  wireBytes: number;
  /** wall time inside allReduce (ms), including staging copies */
  ms: number;
}

export function emptyReduceTotals(): ReduceTotals {
  return { calls: 0, elements: 0, compressedElements: 0, payloadBytes: 0, wireBytes: 0, ms: 0 };
}

interface PreparedRule {
  /** the rule's call, prepared once by the communicator (comm.prepare) */
  readonly call: { readonly plan: AllReducePlan };
  /** bytes of n values with the rule's codec */
  readonly packedBytes: (n: number) => number;
  readonly outliers: PreparedOutliers | null;
  /** rotation run length and its ±1 signs, or null */
  readonly rotate: { readonly h: number; readonly signs: Float32Array } | null;
}

/** The fixed signs D of the randomized Hadamard rotation of length h (xorshift32 from a constant seed). */
export function rotationSigns(h: number): Float32Array {
  const s = new Float32Array(h);
  let x = 0x9e3779b9 >>> 0;
  for (let i = 0; i < h; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    s[i] = x & 1 ? -1 : 1;
  }
  return s;
}

/** In place, every full run of h values: x ← H·D·x/√h (inverse = false) or x ← D·H·x/√h (inverse). */
export function rotateRuns(x: Float32Array, h: number, signs: Float32Array, inverse: boolean): void {
  const runs = Math.floor(x.length / h);
  const norm = 1 / Math.sqrt(h);
  for (let r = 0; r < runs; r++) {
    const o = r * h;
    if (!inverse) for (let i = 0; i < h; i++) x[o + i] = x[o + i]! * signs[i]!;
    for (let len = 1; len < h; len <<= 1) {
      for (let i = 0; i < h; i += len << 1) for (let j = i; j < i + len; j++) {
        const a = x[o + j]!, b = x[o + j + len]!;
        x[o + j] = a + b;
        x[o + j + len] = a - b;
      }
    }
    if (inverse) for (let i = 0; i < h; i++) x[o + i] = x[o + i]! * norm * signs[i]!;
    else for (let i = 0; i < h; i++) x[o + i] = x[o + i]! * norm;
  }
}

/** A rule's outlier channels, resolved once per policy (per-layer channel lists cached on first use). */
interface PreparedOutliers {
  readonly spec: OutlierChannels;
  readonly call: { readonly plan: AllReducePlan };
  readonly packedBytes: (n: number) => number;
  /** layer → 1 for an outlier channel, 0 else (length dim); null when the layer has none */
  readonly masks: Map<number, Uint8Array | null>;
}

function prepareOutliers(comm: Communicator, o: OutlierChannels | undefined, scheme: AllReduceOptions["scheme"]): PreparedOutliers | null {
  if (!o) return null;
  const spec = toCodecSpec(o.codec);
  return {
    spec: o,
    call: { plan: comm.prepare(spec === null ? { compress: false } : { codec: spec, compress: true, scheme }) },
    packedBytes: spec === null ? (n: number) => 4 * n : (n: number) => bytesFor(spec, n),
    masks: new Map(),
  };
}

function outlierMask(p: PreparedOutliers, layer: number): Uint8Array | null {
  let m = p.masks.get(layer);
  if (m === undefined) {
    const ch = outlierChannelsOf(p.spec, layer);
    m = ch.length === 0 ? null : new Uint8Array(p.spec.dim);
    for (const c of ch) m![c] = 1;
    p.masks.set(layer, m);
  }
  return m;
}

/** The all-reduce region crossing of one rank, bound to its communicator and compression policy. */
export class TensorParallelRegion {
  private prepared: PreparedRule[] = [];
  private policy!: CompressionPolicy;
  /** staging for calls with outlier channels: the dim − k ordinary channels and the k outliers of each row */
  private mainBuf = new Float32Array(0);
  private sideBuf = new Float32Array(0);
  readonly totals: ReduceTotals = emptyReduceTotals();

  /** the call of every message no rule matches */
  private readonly uncompressed: { readonly plan: AllReducePlan };

  constructor(readonly comm: Communicator, policy: CompressionPolicy) {
    this.uncompressed = { plan: comm.prepare({ compress: false }) };
    this.setPolicy(policy);
  }

  /** Replace the policy; every rule becomes a prepared plan here (comm.prepare), not per call. */
  setPolicy(policy: CompressionPolicy): void {
    this.policy = policy;
    this.prepared = policy.rules.map((r) => {
      const spec = toCodecSpec(r.codec);
      const options: AllReduceOptions = spec === null
        ? { compress: false }
        : { codec: spec, compress: r.compress ?? true, scheme: r.scheme ?? "auto" };
      return {
        call: { plan: this.comm.prepare(options) },
        packedBytes: spec === null ? (n: number) => 4 * n : (n: number) => bytesFor(spec, n),
        outliers: spec === null ? null : prepareOutliers(this.comm, r.outliers, options.scheme),
        rotate: spec === null || r.rotate === undefined ? null : { h: r.rotate, signs: rotationSigns(r.rotate) },
      };
    });
  }

  /** forward: all-reduce `data` (this rank's partial sums) in place. */
  reduce(data: Float32Array, site: CallSite, layer: number, phase: Phase): void {
    const n = data.length;
    const t = this.totals;
    t.calls++;
    t.elements += n;
    t.payloadBytes += 4 * n;
    if (this.comm.worldSize === 1) {
      t.wireBytes += 4 * n; // nothing is exchanged; nothing is quantized
      return;
    }
    const rule = matchRule(this.policy, site, layer, phase, n);
    const t0 = performance.now();
    if (rule < 0) {
      this.comm.allReduce(data, this.uncompressed);
      t.wireBytes += 4 * n;
    } else {
      const p = this.prepared[rule]!;
      const mask = p.outliers ? outlierMask(p.outliers, layer) : null;
      if (mask) {
        this.reduceWithOutliers(data, rule, p, p.outliers!, mask);
      } else {
        this.compressedReduce(data, p);
        if (this.comm.stats.last?.codec) {
          t.compressedElements += n;
          t.wireBytes += p.packedBytes(n);
        } else {
          t.wireBytes += 4 * n;
        }
      }
    }
    t.ms += performance.now() - t0;
  }

  /**
   * Outlier channels: split each row into its dim − k ordinary channels (packed, rows after rows, into
   * one message for the rule's codec) and its k outlier channels (a second message, rows × k, for
   * the outlier codec); all-reduce both, then put every value back in its place. The result is the
   * same on every rank because both all-reduces are.
   */
  private reduceWithOutliers(data: Float32Array, rule: number, p: PreparedRule, o: PreparedOutliers, mask: Uint8Array): void {
    const dim = o.spec.dim;
    const n = data.length;
    if (n % dim !== 0) throw new RangeError(`compression policy rule ${rule}: outliers.dim ${dim} does not divide the all-reduced message of ${n} values`);
    const rows = n / dim;
    let k = 0;
    for (let c = 0; c < dim; c++) k += mask[c]!;
    const nMain = rows * (dim - k), nSide = rows * k;
    if (this.mainBuf.length < nMain) this.mainBuf = new Float32Array(nMain);
    if (this.sideBuf.length < nSide) this.sideBuf = new Float32Array(nSide);
    const main = this.mainBuf.subarray(0, nMain), side = this.sideBuf.subarray(0, nSide);
    let a = 0, b = 0;
    for (let i = 0, r = 0; r < rows; r++) for (let c = 0; c < dim; c++, i++) {
      if (mask[c]) side[b++] = data[i]!;
      else main[a++] = data[i]!;
    }
    const t = this.totals;
    this.compressedReduce(main, p);
    const mainCompressed = !!this.comm.stats.last?.codec;
    this.comm.allReduce(side, o.call);
    const sideCompressed = !!this.comm.stats.last?.codec;
    if (mainCompressed) t.compressedElements += nMain;
    if (sideCompressed) t.compressedElements += nSide;
    t.wireBytes += (mainCompressed ? p.packedBytes(nMain) : 4 * nMain) + (sideCompressed ? o.packedBytes(nSide) : 4 * nSide);
    a = 0; b = 0;
    for (let i = 0, r = 0; r < rows; r++) for (let c = 0; c < dim; c++, i++) data[i] = mask[c] ? side[b++]! : main[a++]!;
  }

  /** The rule's all-reduce of the values its codec sees, rotated around it when the rule says so. */
  private compressedReduce(x: Float32Array, p: PreparedRule): void {
    if (p.rotate) rotateRuns(x, p.rotate.h, p.rotate.signs, false);
    this.comm.allReduce(x, p.call);
    if (p.rotate) rotateRuns(x, p.rotate.h, p.rotate.signs, true);
  }

  resetTotals(): void {
    Object.assign(this.totals, emptyReduceTotals());
  }
}

