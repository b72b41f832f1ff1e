// Communication only (Megatron's mappings.py): the one region crossing this model needs.
// reduceFromTensorParallelRegion — forward: all-reduce the row-parallel partial sums, in place,
// through the rank's communicator, with the codec the compression policy picks for the call site.
// The all-reduce payload is the only data that crosses from the model's own memory into the group's
// shared memory (the communicator stages it in and copies the result back).
import type { AllReduceOptions, Communicator } from "@tensorwire/collectives";
import { bytesFor, resolveCodec } from "@tensorwire/quant-wasm";
import { type CallSite, type CompressionPolicy, type Phase, matchRule } from "./policy.js";

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
  readonly options: AllReduceOptions;
  /** bytes of n values with the rule's codec */
  readonly packedBytes: (n: number) => number;
}

/** The all-reduce region crossing of one rank, bound to its communicator and compression policy. */
export class TensorParallelRegion {
  private prepared: PreparedRule[] = [];
  private policy!: CompressionPolicy;
  readonly totals: ReduceTotals = emptyReduceTotals();

  constructor(readonly comm: Communicator, policy: CompressionPolicy) {
    this.setPolicy(policy);
  }

  /** Replace the policy; the options of every rule are resolved once, here, not per call. */
  setPolicy(policy: CompressionPolicy): void {
    this.policy = policy;
    this.prepared = policy.rules.map((r) => {
      const spec = r.codec === "none" ? null : typeof r.codec === "string" ? resolveCodec(r.codec) : resolveCodec(r.codec.format, r.codec);
      const options: AllReduceOptions = spec === null
        ? { compress: false }
        : { codec: spec, compress: r.compress ?? true, scheme: r.scheme ?? "auto" };
      return { options, packedBytes: spec === null ? (n: number) => 4 * n : (n: number) => bytesFor(spec, n) };
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
      this.comm.allReduce(data, UNCOMPRESSED_CALL);
      t.wireBytes += 4 * n;
    } else {
      const p = this.prepared[rule]!;
      this.comm.allReduce(data, p.options);
      if (this.comm.stats.last?.codec) {
        t.compressedElements += n;
        t.wireBytes += p.packedBytes(n);
      } else {
        t.wireBytes += 4 * n;
      }
    }
    t.ms += performance.now() - t0;
  }

  resetTotals(): void {
    Object.assign(this.totals, emptyReduceTotals());
  }
}

const UNCOMPRESSED_CALL: AllReduceOptions = { compress: false };
