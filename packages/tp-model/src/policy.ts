// Compression policy: which codec each all-reduce call site uses. The model has two call sites per
// layer (the row-parallel attention output and MLP down projections) in two phases (prefill: the
// whole prompt as one batch; decode: one token). A policy is an ordered rule list; the first rule that
// matches a call decides it (a rule whose minElements the message does not reach does not match),
// and a call no rule matches is uncompressed.
import { type CodecArg, type CompressWhen, type CompressionScheme, SCHEME_NAMES, toCodecSpec } from "@tensorwire/collectives";

export type CallSite = "attention" | "mlp";
export type Phase = "prefill" | "decode";

export interface CompressionRule {
  /** which projection; default both */
  site?: CallSite;
  /** layer indices; default all */
  layers?: readonly number[];
  /** default both */
  phase?: Phase;
  /** messages with fewer f32 values per rank than this stay uncompressed; default 0 */
  minElements?: number;
  /** codec name or spec; "none" = uncompressed */
  codec: CodecArg;
  /** default "auto" (collectives' choice: allgather at p = 2, else the cheaper modelled scheme) */
  scheme?: CompressionScheme | "auto";
  /** true: always; "auto": only where the link model says it pays (collectives' cost model). Default true */
  compress?: CompressWhen;
  /**
   * Outlier channels (Dong et al., arXiv 2411.07942): these channels of every row of the message are
   * taken out before compression and all-reduced separately with `outliers.codec`; the codec of the
   * rule compresses the remaining dim − k channels of each row. Matters only when the rule compresses.
   */
  outliers?: OutlierChannels;
  /**
   * Rotate before compressing (QuaRot / QuIP#-style incoherence processing): every consecutive run of
   * `rotate` values of the message the block codec sees (a power of two, 2–4096) is multiplied by the
   * orthonormal randomized Hadamard matrix H·D/√rotate (D: fixed ±1 signs, the same on every rank)
   * before quantization, and the reduced sum by its inverse after. The sum is linear, so only the
   * quantization error changes: it is spread evenly over the run. A tail shorter than `rotate` is
   * not rotated. Free on the wire. Matters only when the rule compresses.
   */
  rotate?: number;
}

/** How the outlier channels are all-reduced: 16-bit casts, or "none" = uncompressed f32. */
export type OutlierCodec = "bf16" | "fp16" | "none";

/**
 * Channels of the all-reduced activations kept out of the block codec. A message is `rows × dim`
 * row-major f32 (one row per position); channel c of row r is element r·dim + c.
 */
export interface OutlierChannels {
  /** values per row (the model's dim); a message whose length it does not divide is an error */
  dim: number;
  /**
   * channel indices in 0..dim−1 (distinct), the same for every layer the rule matches; or a map from
   * layer index to that layer's channels (layers absent from the map have none)
   */
  channels: readonly number[] | Readonly<Record<number, readonly number[]>>;
  /** codec of the outlier channels' all-reduce */
  codec: OutlierCodec;
}

/** The outlier channels of `layer` under `o` (empty when none): sorted ascending. */
export function outlierChannelsOf(o: OutlierChannels | undefined, layer: number): readonly number[] {
  if (!o) return [];
  const c = Array.isArray(o.channels) ? o.channels : (o.channels as Readonly<Record<number, readonly number[]>>)[layer] ?? [];
  return [...c].sort((a, b) => a - b);
}

export interface CompressionPolicy {
  readonly rules: readonly CompressionRule[];
}

/** No compression anywhere. */
export const UNCOMPRESSED: CompressionPolicy = { rules: [] };

/**
 * The paper's choice: compress both row-parallel all-reduces of every layer during prefill, decode
 * uncompressed (one token's messages are latency-bound).
 */
export function paperPolicy(codec: CodecArg, options: { scheme?: CompressionScheme | "auto"; compress?: CompressWhen; phase?: Phase | "both" } = {}): CompressionPolicy {
  if (codec === "none" || options.compress === false) return UNCOMPRESSED;
  const phase = options.phase ?? "prefill";
  return { rules: [{ codec, scheme: options.scheme ?? "auto", compress: options.compress ?? true, ...(phase === "both" ? {} : { phase }) }] };
}

const OUTLIER_CODECS = new Set(["bf16", "fp16", "none"]);

function checkChannels(at: string, c: unknown, dim: number): void {
  if (!Array.isArray(c)) throw new TypeError(`${at} must be an array of channel indices`);
  const seen = new Set<number>();
  for (const x of c) {
    if (!Number.isInteger(x) || x < 0 || x >= dim) throw new RangeError(`${at}: channel ${String(x)} is not in 0..${dim - 1}`);
    if (seen.has(x)) throw new RangeError(`${at}: channel ${x} is listed twice`);
    seen.add(x);
  }
}

function checkOutliers(at: string, o: unknown, nLayers: number): void {
  if (o === null || typeof o !== "object") throw new TypeError(`${at}: outliers must be an object { dim, channels, codec }`);
  const { dim, channels, codec } = o as OutlierChannels;
  if (!(Number.isInteger(dim) && dim >= 1)) throw new RangeError(`${at}: outliers.dim must be a positive integer, got ${String(dim)}`);
  if (!OUTLIER_CODECS.has(codec)) throw new TypeError(`${at}: outliers.codec must be "bf16", "fp16" or "none", got ${String(codec)}`);
  if (Array.isArray(channels)) {
    checkChannels(`${at}: outliers.channels`, channels, dim);
  } else if (channels !== null && typeof channels === "object") {
    for (const [key, c] of Object.entries(channels)) {
      const l = Number(key);
      if (!Number.isInteger(l) || l < 0 || l >= nLayers || String(l) !== key) throw new RangeError(`${at}: outliers.channels has layer ${key}, not in 0..${nLayers - 1}`);
      checkChannels(`${at}: outliers.channels[${key}]`, c, dim);
    }
  } else {
    throw new TypeError(`${at}: outliers.channels must be an array of channel indices or a map layer → channels`);
  }
}

const SITES = new Set(["attention", "mlp"]);
const PHASES = new Set(["prefill", "decode"]);

/** Validate a policy (plain data from a caller or a message); throws a TypeError naming the rule and field. */
export function checkPolicy(policy: unknown, nLayers: number): CompressionPolicy {
  if (policy === null || typeof policy !== "object" || !Array.isArray((policy as CompressionPolicy).rules)) {
    throw new TypeError("compression policy must be an object { rules: [...] }");
  }
  const rules = (policy as CompressionPolicy).rules;
  rules.forEach((r, i) => {
    const at = `compression policy rule ${i}`;
    if (r === null || typeof r !== "object") throw new TypeError(`${at} is not an object`);
    if (r.site !== undefined && !SITES.has(r.site)) throw new TypeError(`${at}: site must be "attention" or "mlp", got ${String(r.site)}`);
    if (r.phase !== undefined && !PHASES.has(r.phase)) throw new TypeError(`${at}: phase must be "prefill" or "decode", got ${String(r.phase)}`);
    if (r.layers !== undefined) {
      if (!Array.isArray(r.layers)) throw new TypeError(`${at}: layers must be an array of layer indices`);
      for (const l of r.layers) if (!Number.isInteger(l) || l < 0 || l >= nLayers) throw new RangeError(`${at}: layer ${String(l)} is not in 0..${nLayers - 1}`);
    }
    if (r.minElements !== undefined && !(Number.isInteger(r.minElements) && r.minElements >= 0)) throw new RangeError(`${at}: minElements must be a non-negative integer`);
    if (r.codec === undefined || r.codec === null) throw new TypeError(`${at}: codec is required ("none" for uncompressed)`);
    // resolved here, on the host, as the ranks' communicators will resolve it: a bad codec or scheme is a
    // clear error before any rank sees the policy, not a rank that throws inside the group
    if (typeof r.codec !== "string" && typeof r.codec !== "object") throw new TypeError(`${at}: codec must be a format name, "none" or a codec spec, got ${typeof r.codec}`);
    try {
      toCodecSpec(r.codec);
    } catch (e) {
      throw new RangeError(`${at}: codec: ${(e as Error).message}`);
    }
    if (r.scheme !== undefined && r.scheme !== "auto" && !(SCHEME_NAMES as readonly string[]).includes(r.scheme)) {
      throw new TypeError(`${at}: scheme must be "auto" or one of ${SCHEME_NAMES.map((n) => `"${n}"`).join(", ")}, got ${String(r.scheme)}`);
    }
    if (r.compress !== undefined && r.compress !== true && r.compress !== false && r.compress !== "auto") throw new TypeError(`${at}: compress must be true, false or "auto"`);
    if (r.outliers !== undefined) checkOutliers(at, r.outliers, nLayers);
    if (r.rotate !== undefined && !(Number.isInteger(r.rotate) && r.rotate >= 2 && r.rotate <= 4096 && (r.rotate & (r.rotate - 1)) === 0)) {
      throw new RangeError(`${at}: rotate must be a power of two 2–4096, got ${String(r.rotate)}`);
    }
  });
  return { rules };
}

/** The index of the rule deciding a call, or −1 (uncompressed). */
export function matchRule(policy: CompressionPolicy, site: CallSite, layer: number, phase: Phase, elements: number): number {
  const rules = policy.rules;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (r.site !== undefined && r.site !== site) continue;
    if (r.phase !== undefined && r.phase !== phase) continue;
    if (r.layers !== undefined && !r.layers.includes(layer)) continue;
    if (r.minElements !== undefined && elements < r.minElements) continue;
    return r.codec === "none" || r.compress === false ? -1 : i;
  }
  return -1;
}
