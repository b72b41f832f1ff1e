// Prepared all-reduce call plans. An all-reduce's choices (algorithm, codec, compression policy,
// scheme, seed) are validated and resolved once — codec spec, its descriptor from quant-wasm's kernel
// handle, its alignment — into a PlanState; the per-message-size decision (which algorithm, whether
// to compress, which scheme) is then cached inside the state. The group's defaults are one such
// state; `comm.prepare(options)` makes another and hands it out wrapped in an opaque AllReducePlan.
import { type CodecSpec, type KernelHandle } from "@tensorwire/quant-wasm";
import { ALGORITHM_NAMES, SCHEME_NAMES, type AlgorithmEntry } from "./algorithms/registry.js";
import { toCodecSpec } from "./options.js";
import type { Algorithm, AllReducePlanOptions, CompressWhen, CompressionScheme } from "./types.js";

/** What an all-reduce of one message size runs (identical on every rank for the same inputs). */
export interface ResolvedCall {
  readonly entry: AlgorithmEntry;
  /** null: uncompressed */
  readonly codec: CodecSpec | null;
  /** the codec's descriptor (0 when uncompressed) */
  readonly desc: number;
  /** elements per codec block (1 for casts and uncompressed calls) */
  readonly align: number;
  readonly scheme: CompressionScheme | null;
  /** codec name for stats (null when uncompressed) */
  readonly codecName: string | null;
}

/** The resolved choices of a plan (or of the group defaults, or of one call's own options). */
export interface PlanState {
  /** the communicator the state belongs to (plans are checked against it) */
  readonly owner: object;
  readonly algorithm: Algorithm;
  readonly codec: CodecSpec | null;
  readonly desc: number;
  readonly align: number;
  readonly codecName: string | null;
  readonly compress: CompressWhen;
  readonly scheme: CompressionScheme | "auto";
  readonly seed: number;
  /** per message size (elements); null for a one-call state (per-call options) */
  readonly cache: Map<number, ResolvedCall> | null;
}

/** Codec name used in stats: "mxfp4", "int8/b64/f32", "nvfp4/sr" (stochastic rounding). */
export function codecName(spec: CodecSpec): string {
  const f = spec.block ? `${spec.format}/b${spec.block}/${spec.scale}` : spec.format;
  return spec.rounding === "stochastic" ? `${f}/sr` : f;
}

/** A short description of a value for error messages ("null", "Array(3)", "Float64Array(4)", "string"). */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return `Array(${v.length})`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as { length?: number }).length ?? v.byteLength})`;
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  if (typeof v === "string") return JSON.stringify(v);
  return `${typeof v} ${String(v)}`;
}

/** An argument error: the message names the argument (caught and turned into an "invalid" arrival). */
export class ArgumentError extends Error {}

/** Defaults a state is resolved against (the group's resolved options). */
export interface PlanDefaults {
  readonly algorithm: Algorithm;
  readonly codec: CodecSpec | null;
  readonly compress: CompressWhen;
  readonly scheme: CompressionScheme | "auto";
}

/**
 * Validate per-call / plan options and resolve them against the defaults. Throws ArgumentError
 * naming the option (`${where}.codec` …). `cached` states keep per-size decisions.
 */
export function makePlanState(owner: object, h: KernelHandle, o: AllReducePlanOptions, d: PlanDefaults, where: string, cached: boolean): PlanState {
  const algorithm = o.algorithm ?? d.algorithm;
  if (algorithm !== "auto" && !ALGORITHM_NAMES.includes(algorithm)) {
    throw new ArgumentError(`${where}.algorithm: unknown algorithm ${describeValue(o.algorithm)} (known: auto, ${ALGORITHM_NAMES.join(", ")})`);
  }
  let codec: CodecSpec | null;
  if (o.codec === undefined) {
    codec = d.codec;
  } else {
    if (o.codec === null || (typeof o.codec !== "string" && (typeof o.codec !== "object" || typeof (o.codec as { format?: unknown }).format !== "string"))) {
      throw new ArgumentError(`${where}.codec: must be a format name, a codec spec { format, block?, scale?, rounding? } or "none", got ${describeValue(o.codec)}`);
    }
    try {
      codec = toCodecSpec(o.codec);
    } catch (e) {
      throw new ArgumentError(`${where}.codec: ${(e as Error).message}`);
    }
  }
  const compress = o.compress ?? (o.codec !== undefined ? true : d.compress);
  if (compress !== true && compress !== false && compress !== "auto") {
    throw new ArgumentError(`${where}.compress: must be true, false or "auto", got ${describeValue(o.compress)}`);
  }
  const scheme = o.scheme ?? d.scheme;
  if (scheme !== "auto" && !SCHEME_NAMES.includes(scheme)) {
    throw new ArgumentError(`${where}.scheme: unknown compression scheme ${describeValue(o.scheme)} (known: auto, ${SCHEME_NAMES.join(", ")})`);
  }
  const seed = o.seed ?? 0;
  if (typeof seed !== "number" || !Number.isSafeInteger(seed)) {
    throw new ArgumentError(`${where}.seed: must be an integer, got ${describeValue(o.seed)}`);
  }
  let desc = 0, align = 1;
  if (codec !== null) {
    try {
      desc = h.descriptor(codec);
      align = h.alignment(desc);
    } catch (e) {
      throw new ArgumentError(`${where}.codec: ${(e as Error).message}`);
    }
  }
  return {
    owner, algorithm, codec, desc, align, codecName: codec ? codecName(codec) : null, compress, scheme, seed,
    cache: cached ? new Map() : null,
  };
}

let stateOf: (plan: unknown) => PlanState | undefined;

/**
 * A prepared all-reduce plan (`comm.prepare(options)`): the call's algorithm, codec, compression
 * policy, scheme and seed, validated and resolved once; per message size the decision is cached in
 * the plan. Pass it as `comm.allReduce(x, { plan })` (with `output` if wanted, no other option).
 * Opaque: usable only with the communicator that prepared it.
 */
export class AllReducePlan {
  /** The rank of the communicator that prepared the plan. */
  readonly rank: number;
  /** The options the plan was prepared from (a frozen copy). */
  readonly options: Readonly<AllReducePlanOptions>;
  readonly #state: PlanState;
  static {
    stateOf = (plan) => (typeof plan === "object" && plan !== null && #state in plan ? (plan as AllReducePlan).#state : undefined);
  }
  /** @internal plans are made by Communicator.prepare() */
  constructor(rank: number, options: AllReducePlanOptions, state: PlanState) {
    this.rank = rank;
    this.options = Object.freeze({ ...options });
    this.#state = state;
    Object.freeze(this);
  }
}

/** The state behind a plan, or undefined when `plan` is not an AllReducePlan. */
export function planState(plan: unknown): PlanState | undefined {
  return stateOf(plan);
}
