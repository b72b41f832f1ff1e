// The quality study (`tensorwire study quality`): the whole frontier of communication codecs on a real
// model and real text. Every format × allowed block size × scale kind × scheme at each TP degree on a
// subset of the stories (the sweep), the related work's ideas (outlier channels kept in 16 bits,
// per-site bit allocation, finer blocks) on the same subset, then the finalists on the full text.
// Writes quality.json (every figure), quality.md (tables, frontier, recommendation, how to regenerate)
// and quality-frontier.svg (bits/value against ΔPPL).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CodecSpec, bitsPerValue, listFormats, resolveCodec } from "@tensorwire/quant-wasm";
import type { CompressionScheme } from "@tensorwire/collectives";
import { type CallSite, type CompressionPolicy, type CompressionRule, UNCOMPRESSED, matchRule } from "@tensorwire/tp-model";
import { type TensorParallelModel, loadModel } from "@tensorwire/tp-model/node";
import { lineChart, type Series } from "../svg.js";
import { type ChannelCalibration, calibrateChannels, readTokenEmbedding, topChannels } from "./calibrate.js";
import { type QualityRow, type QualityVariant, evaluateQuality } from "./quality.js";

/** The compressed all-reduce schemes the study compares. */
export type Scheme = Extract<CompressionScheme, "allgather" | "two-shot">;

/** One configuration of the study: a policy, how it is labelled and what it costs on the wire. */
export interface StudyVariant extends QualityVariant {
  /** "grid": one codec everywhere; "outliers", "allocation", "rotation", "sensitivity": the ideas */
  kind: "grid" | "outliers" | "allocation" | "rotation" | "sensitivity";
  /** chart series / table group, e.g. "4-bit floats" */
  family: string;
  scheme: Scheme;
  /** the codec of the bulk of the values */
  codec: string;
  note?: string;
}

export interface StudyRow {
  tp: number;
  /** "calibration": on the model-generated calibration text (the per-site sensitivity) */
  set: "sweep" | "final" | "calibration";
  kind: StudyVariant["kind"];
  family: string;
  label: string;
  codec: string;
  scheme: Scheme;
  note?: string;
  bits_per_value: number;
  compression_vs_fp16: number;
  compression_vs_fp32: number;
  ppl: number;
  ppl_ref: number;
  delta_ppl_pct: number;
  ln_ppl_ratio_err: number;
  kl_mean: number;
  kl_mean_err: number;
  kl_median: number;
  kl_p99: number;
  kl_max: number;
  top1_agree: number;
  top1_agree_err: number;
  rms_dp: number;
  layer_rel_error: number[];
  windows: number;
  tokens: number;
}

export interface QualityStudyOptions {
  /** model file (.bin needs `tokenizer`) or bytes */
  model: string;
  tokenizer?: string;
  bytes?: Uint8Array;
  modelLabel: string;
  /** every story of the evaluation text, in file order */
  stories: readonly string[];
  textLabel: string;
  /** stories in the sweep (the first N) and in the finalists' evaluation (the first M) */
  sweepStories: number;
  finalStories: number;
  tps: readonly number[];
  /** small grid (one format per family), for tests and a first look */
  quick: boolean;
  /** model-generated calibration stories for the outlier channels (disjoint from the text) */
  calibrationStories: number;
  command: string;
  onProgress?: (phase: string, done: number, total: number) => void;
  log?: (line: string) => void;
  /** called with the results so far after each TP degree (the command writes the files each time) */
  onPartial?: (partial: QualityStudyResult) => void;
}

export interface QualityStudyResult {
  model: string;
  text: string;
  text_form: "raw";
  command: string;
  generated: string;
  sweep_stories: number;
  final_stories: number;
  calibration: {
    stories: number; positions: number; source: string; channels: Record<number, Record<string, number[]>>;
    /** per layer: the largest channel's mean |Δh| over the mean over all channels (how outlying the outliers are) */
    peak_to_mean: number[];
  };
  rows: StudyRow[];
  headline: Headline;
}

export interface Headline {
  /** smallest bits/value with ΔPPL ≤ 1% at TP 2 (final set when evaluated there), or null */
  smallestWithin1pct: StudyRow | null;
  /** the best configuration at ≤ 4.5 bits/value by ΔPPL at TP 2 (final set) */
  best45: StudyRow | null;
  goalMet: boolean;
  recommended: StudyRow | null;
}

const SCHEMES: readonly Scheme[] = ["allgather", "two-shot"];
const SITES: readonly CallSite[] = ["attention", "mlp"];
const GOAL = { bits: 4.5, dppl: 1, kl: 0.01 };

function familyOf(format: string, elementBits: number): string {
  if (elementBits >= 16) return "16-bit casts";
  if (format.startsWith("q") || format.startsWith("int") || format === "mxint8") return `${elementBits}-bit integers`;
  return `${elementBits}-bit floats`;
}

export function specLabel(s: CodecSpec): string {
  return s.block ? `${s.format}/b${s.block}/${s.scale}` : s.format;
}

/** Every format (but the f32 passthrough) × its allowed block sizes × its scale kinds. */
export function gridSpecs(quick: boolean): { spec: CodecSpec; family: string }[] {
  const out: { spec: CodecSpec; family: string }[] = [];
  for (const f of listFormats()) {
    if (f.name === "f32") continue;
    if (quick && !["q8_0", "mxfp4", "nvfp4"].includes(f.name)) continue;
    const blocks = f.blocks.length ? [...f.blocks].sort((a, b) => a - b) : [0];
    for (const block of blocks) for (const scale of f.scales) {
      const spec = block === 0 ? resolveCodec(f.name) : resolveCodec(f.name, { block, scale: scale as CodecSpec["scale"] });
      if (quick && spec.block !== f.defaultBlock) continue;
      out.push({ spec, family: familyOf(f.name, f.elementBits) });
    }
  }
  return out;
}

/**
 * Wire bits per all-reduced value of a policy on a model with `nLayers` layers of width `dim`: the mean
 * over the 2·nLayers prefill calls (all the same size) of each call's codec bits, the outlier channels
 * at their own codec's bits (16, or 32 uncompressed), uncompressed calls at 32.
 */
export function policyBitsPerValue(policy: CompressionPolicy, nLayers: number, dim: number): number {
  let sum = 0;
  for (let l = 0; l < nLayers; l++) for (const site of SITES) {
    const i = matchRule(policy, site, l, "prefill", Number.MAX_SAFE_INTEGER);
    if (i < 0) { sum += 32; continue; }
    const r = policy.rules[i]!;
    const spec = typeof r.codec === "string" ? resolveCodec(r.codec) : resolveCodec(r.codec.format, r.codec);
    const o = r.outliers;
    const k = o ? (Array.isArray(o.channels) ? o.channels.length : ((o.channels as Record<number, readonly number[]>)[l]?.length ?? 0)) : 0;
    const outBits = o?.codec === "none" ? 32 : 16;
    sum += (bitsPerValue(spec) * (dim - k) + outBits * k) / dim;
  }
  return sum / (2 * nLayers);
}

function gridVariants(quick: boolean, nLayers: number, dim: number): StudyVariant[] {
  const v: StudyVariant[] = [];
  for (const { spec, family } of gridSpecs(quick)) for (const scheme of SCHEMES) {
    const policy: CompressionPolicy = { rules: [{ codec: spec, scheme, compress: true }] };
    v.push({ kind: "grid", family, scheme, codec: specLabel(spec), label: `${specLabel(spec)} ${scheme}`, policy, bitsPerValue: policyBitsPerValue(policy, nLayers, dim) });
  }
  return v;
}

/** Each call site alone compressed with `spec` (the rest uncompressed): where the error comes from. */
function sensitivityVariants(spec: CodecSpec, nLayers: number, dim: number): StudyVariant[] {
  const v: StudyVariant[] = [];
  for (let l = 0; l < nLayers; l++) for (const site of SITES) {
    const policy: CompressionPolicy = { rules: [{ codec: spec, scheme: "allgather", site, layers: [l] }] };
    v.push({ kind: "sensitivity", family: "sensitivity", scheme: "allgather", codec: specLabel(spec), label: `${specLabel(spec)} only at layer ${l} ${site}`, policy, bitsPerValue: policyBitsPerValue(policy, nLayers, dim), note: `${site}@${l}` });
  }
  return v;
}

function outlierVariants(bases: readonly CodecSpec[], ks: readonly number[], cal: ChannelCalibration, dim: number, nLayers: number): StudyVariant[] {
  const v: StudyVariant[] = [];
  for (const spec of bases) for (const k of ks) {
    const per = topChannels(cal, k);
    const channels = Object.fromEntries(per.map((c, l) => [l, c]));
    const policy: CompressionPolicy = { rules: [{ codec: spec, scheme: "allgather", outliers: { dim, channels, codec: "bf16" } }] };
    v.push({ kind: "outliers", family: "outlier channels in bf16", scheme: "allgather", codec: specLabel(spec), label: `${specLabel(spec)} + ${k} bf16 outlier channel${k > 1 ? "s" : ""}/layer`, policy, bitsPerValue: policyBitsPerValue(policy, nLayers, dim), note: `k=${k}` });
  }
  return v;
}

/** Per-site bit allocation: the given call sites get `hi`, the rest `lo` (optionally rotated). */
function allocationVariant(sites: readonly { site: CallSite; layer: number }[], hi: CodecSpec, lo: CodecSpec, nLayers: number, dim: number, rotate?: number): StudyVariant {
  const rules: CompressionRule[] = sites.map((s) => ({ codec: hi, scheme: "allgather", site: s.site, layers: [s.layer] }));
  rules.push({ codec: lo, scheme: "allgather", ...(rotate ? { rotate } : {}) });
  const policy: CompressionPolicy = { rules };
  const where = sites.map((s) => `${s.site}@${s.layer}`).join(", ");
  const lo$ = `${specLabel(lo)}${rotate ? ` rotated/${rotate}` : ""}`;
  return { kind: "allocation", family: "per-site allocation", scheme: "allgather", codec: specLabel(lo), label: `${lo$}, ${where} in ${specLabel(hi)}`, policy, bitsPerValue: policyBitsPerValue(policy, nLayers, dim), note: where };
}

/** Per-site bit allocation by a map: each (layer, site) gets `assign(site, layer)`. */
function mixVariant(name: string, assign: (site: CallSite, layer: number) => CodecSpec, nLayers: number, dim: number): StudyVariant {
  const rules: CompressionRule[] = [];
  for (let l = 0; l < nLayers; l++) for (const site of SITES) rules.push({ codec: assign(site, l), scheme: "allgather", site, layers: [l] });
  const policy: CompressionPolicy = { rules };
  return { kind: "allocation", family: "per-site allocation", scheme: "allgather", codec: specLabel(assign("attention", 0)), label: name, policy, bitsPerValue: policyBitsPerValue(policy, nLayers, dim), note: "mix" };
}

/** A codec everywhere with the randomized Hadamard rotation of runs of `h` values. */
function rotationVariant(spec: CodecSpec, h: number, nLayers: number, dim: number): StudyVariant {
  const policy: CompressionPolicy = { rules: [{ codec: spec, scheme: "allgather", rotate: h }] };
  return { kind: "rotation", family: "Hadamard rotation", scheme: "allgather", codec: specLabel(spec), label: `${specLabel(spec)} rotated/${h}`, policy, bitsPerValue: policyBitsPerValue(policy, nLayers, dim), note: `h=${h}` };
}

function toRow(r: QualityRow, v: StudyVariant, tp: number, set: StudyRow["set"], windows: number): StudyRow {
  return {
    tp, set, kind: v.kind, family: v.family, label: v.label, codec: v.codec, scheme: v.scheme, ...(v.note ? { note: v.note } : {}),
    bits_per_value: v.bitsPerValue, compression_vs_fp16: 16 / v.bitsPerValue, compression_vs_fp32: 32 / v.bitsPerValue,
    ppl: r.ppl, ppl_ref: r.pplRef, delta_ppl_pct: r.deltaPplPct, ln_ppl_ratio_err: r.lnPplRatioErr,
    kl_mean: r.klMean, kl_mean_err: r.klMeanErr, kl_median: r.klMedian, kl_p99: r.klP99, kl_max: r.klMax,
    top1_agree: r.top1Agree, top1_agree_err: r.top1AgreeErr, rms_dp: r.rmsDp, layer_rel_error: r.layerRelError,
    windows, tokens: r.tokens,
  };
}

/**
 * Points not dominated in (bits/value, cost): each has a lower cost than every cheaper point. The cost
 * defaults to ΔPPL; |ΔPPL| and KL are the other measures the report uses.
 */
export function paretoFrontier<T extends { bits_per_value: number; delta_ppl_pct: number }>(rows: readonly T[], cost: (r: T) => number = (r) => r.delta_ppl_pct): T[] {
  const sorted = [...rows].sort((a, b) => a.bits_per_value - b.bits_per_value || cost(a) - cost(b));
  const out: T[] = [];
  let best = Infinity;
  for (const r of sorted) if (cost(r) < best) { out.push(r); best = cost(r); }
  return out;
}

const absDppl = (r: StudyRow): number => Math.abs(r.delta_ppl_pct);

const within = (r: StudyRow): boolean => r.delta_ppl_pct <= GOAL.dppl;
const meetsGoal = (r: StudyRow): boolean => r.bits_per_value <= GOAL.bits + 1e-9 && r.delta_ppl_pct <= GOAL.dppl && r.kl_mean <= GOAL.kl;

/** Generate calibration stories with the uncompressed model (temperature 1, top-p 0.9, seeds 1..n). */
async function generateCalibration(model: TensorParallelModel, n: number): Promise<string[]> {
  await model.setPolicy(UNCOMPRESSED);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const g = await model.generate({ steps: Math.min(256, model.maxSeqLen), temperature: 1, topp: 0.9, seed: 1000 + i });
    out.push(g.text);
  }
  return out;
}

/** Run the whole study. */
export async function runQualityStudy(o: QualityStudyOptions): Promise<QualityStudyResult> {
  const log = o.log ?? (() => {});
  const sweep = o.stories.slice(0, o.sweepStories);
  const final = o.stories.slice(0, o.finalStories);
  const rows: StudyRow[] = [];
  const calChannels: Record<number, Record<string, number[]>> = {};
  let calInfo = { stories: 0, positions: 0, peak_to_mean: [] as number[] };
  // the call sites ranked by sensitivity at the first TP degree (the allocation uses the same sites at every degree)
  let ranking: { site: CallSite; layer: number }[] | null = null;
  for (const tp of o.tps) {
    const model = await loadModel({ model: o.model, tokenizer: o.tokenizer, bytes: o.bytes, tp });
    try {
      const { nLayers, dim } = model.config;
      // calibration for the outlier channels: model-generated text, never the evaluation stories
      const calText = await generateCalibration(model, o.calibrationStories);
      const emb = await readTokenEmbedding(o.model, o.bytes);
      const cal = await calibrateChannels(model, emb, calText, { onProgress: (d, t) => o.onProgress?.(`TP ${tp} calibration`, d, t) });
      calInfo = { stories: cal.windows, positions: cal.positions, peak_to_mean: cal.meanAbs.map((m) => Math.max(...m) / (m.reduce((a, v) => a + v, 0) / m.length)) };
      for (const k of [1, 2, 4]) calChannels[k] = Object.fromEntries(topChannels(cal, k).map((c, l) => [l, c]));

      const grid = gridVariants(o.quick, nLayers, dim);
      const mx = resolveCodec("mxfp4"), nv = resolveCodec("nvfp4"), q8 = resolveCodec("q8_0");
      const sens = o.quick ? [] : sensitivityVariants(mx, nLayers, dim);
      const outl = outlierVariants(o.quick ? [mx] : [mx, nv, resolveCodec("int4", { block: 32, scale: "fp16" })], o.quick ? [1] : [1, 2, 4], cal, dim, nLayers);
      const int4 = (block: number) => resolveCodec("int4", { block, scale: "fp16" });
      const rot = o.quick ? [] : [rotationVariant(int4(32), 32, nLayers, dim), rotationVariant(int4(64), 16, nLayers, dim), rotationVariant(int4(128), 32, nLayers, dim),
        rotationVariant(mx, 64, nLayers, dim), rotationVariant(nv, 64, nLayers, dim)];
      const first: StudyVariant[] = [...grid, ...outl, ...rot];
      // per-site sensitivity on the calibration text (disjoint from the evaluation stories)
      if (sens.length) {
        const rs = await evaluateQuality(model, { stories: calText, variants: sens, hidden: false, onProgress: (d, t) => o.onProgress?.(`TP ${tp} sensitivity`, d, t) });
        rows.push(...rs.rows.map((r, i) => toRow(r, sens[i]!, tp, "calibration", rs.windows)));
      }
      log(`TP ${tp}: sweep of ${first.length} configurations on ${sweep.length} stories`);
      const res = await evaluateQuality(model, { stories: sweep, variants: first, hidden: true, onProgress: (d, t) => o.onProgress?.(`TP ${tp} sweep`, d, t) });
      const sweepRows = res.rows.map((r, i) => toRow(r, first[i]!, tp, "sweep", res.windows));
      rows.push(...sweepRows);

      // per-site allocation from the measured sensitivity: the most sensitive sites in more bits
      const alloc: StudyVariant[] = [];
      if (!o.quick) {
        ranking ??= rows.filter((r) => r.tp === tp && r.kind === "sensitivity").sort((a, b) => b.kl_mean - a.kl_mean)
          .map((r) => { const [site, layer] = r.note!.split("@"); return { site: site as CallSite, layer: Number(layer) }; });
        const ranked = ranking;
        const fp4b64 = resolveCodec("fp4-e2m1", { block: 64, scale: "e8m0" }), fp4b128 = resolveCodec("fp4-e2m1", { block: 128, scale: "e8m0" });
        const mx6 = resolveCodec("mxfp6-e2m3");
        alloc.push(allocationVariant(ranked.slice(0, 1), q8, mx, nLayers, dim));
        alloc.push(allocationVariant(ranked.slice(0, 1), mx6, mx, nLayers, dim));
        alloc.push(allocationVariant(ranked.slice(0, 1), mx6, fp4b64, nLayers, dim));
        alloc.push(allocationVariant(ranked.slice(0, 2), mx6, fp4b128, nLayers, dim));
        alloc.push(allocationVariant(ranked.slice(0, 1), mx6, int4(64), nLayers, dim, 16));
        alloc.push(allocationVariant(ranked.slice(0, 1), q8, nv, nLayers, dim));
        // attention is the less sensitive site (the sensitivity rows): fewer bits there, more in the MLP
        const fp5b32 = resolveCodec("fp5-e2m2", { block: 32, scale: "e8m0" }), fp5b128 = resolveCodec("fp5-e2m2", { block: 128, scale: "e8m0" });
        const mlpRank = ranked.filter((x) => x.site === "mlp").map((x) => x.layer);
        const sp = (s: CodecSpec) => specLabel(s);
        alloc.push(mixVariant(`attention ${sp(fp4b128)}, mlp ${sp(nv)}`, (site) => (site === "attention" ? fp4b128 : nv), nLayers, dim));
        alloc.push(mixVariant(`attention ${sp(fp4b128)}, mlp ${sp(fp5b128)}`, (site) => (site === "attention" ? fp4b128 : fp5b128), nLayers, dim));
        for (const n of [2, 3]) {
          const top = new Set(mlpRank.slice(0, n));
          alloc.push(mixVariant(`attention ${sp(fp4b128)}, mlp ${sp(nv)}, mlp@${[...top].join(",")} ${sp(fp5b32)}`,
            (site, l) => (site === "attention" ? fp4b128 : top.has(l) ? fp5b32 : nv), nLayers, dim));
        }
        alloc.push(mixVariant(`attention ${sp(mx)}, mlp ${sp(nv)}, mlp@${mlpRank[0]} ${sp(fp5b32)}`,
          (site, l) => (site === "attention" ? mx : l === mlpRank[0] ? fp5b32 : nv), nLayers, dim));
        alloc.push(allocationVariant([{ site: "attention", layer: 0 }, { site: "mlp", layer: 0 }], q8, mx, nLayers, dim));
        alloc.push(allocationVariant([{ site: "mlp", layer: nLayers - 1 }], q8, mx, nLayers, dim));
        const seen = new Set<string>();
        for (let i = alloc.length - 1; i >= 0; i--) if (seen.has(alloc[i]!.label)) alloc.splice(i, 1); else seen.add(alloc[i]!.label);
        const r2 = await evaluateQuality(model, { stories: sweep, variants: alloc, hidden: true, onProgress: (d, t) => o.onProgress?.(`TP ${tp} allocation`, d, t) });
        rows.push(...r2.rows.map((r, i) => toRow(r, alloc[i]!, tp, "sweep", r2.windows)));
      }

      // finalists: chosen on the sweep at the first TP degree, evaluated on the full text at every TP
      const pick = finalists(rows.filter((r) => r.tp === o.tps[0] && r.set === "sweep" && r.kind !== "sensitivity"));
      const finalV = [...first, ...alloc].filter((v) => pick.has(v.label));
      log(`TP ${tp}: ${finalV.length} finalists on ${final.length} stories`);
      const r3 = await evaluateQuality(model, { stories: final, variants: finalV, hidden: true, onProgress: (d, t) => o.onProgress?.(`TP ${tp} finalists`, d, t) });
      rows.push(...r3.rows.map((r, i) => toRow(r, finalV[i]!, tp, "final", r3.windows)));
    } finally {
      await model.close();
    }
    if (tp !== o.tps[o.tps.length - 1]) o.onPartial?.(result());
  }
  return result();

  function result(): QualityStudyResult {
    return {
    model: o.modelLabel, text: o.textLabel, text_form: "raw", command: o.command, generated: new Date().toISOString(),
    sweep_stories: sweep.length, final_stories: final.length,
    calibration: { ...calInfo, source: `${o.calibrationStories} stories generated by the uncompressed model (temperature 1, top-p 0.9, seeds 1000–${999 + o.calibrationStories}); disjoint from the evaluation text`, channels: calChannels },
      rows: [...rows], headline: headline(rows, o.tps[0]!),
    };
  }
}

/** The configurations worth the full text: references, the ≤1% smallest, the best at ≤ 4.5 bits, the frontier's knee. */
function finalists(sweep: readonly StudyRow[]): Set<string> {
  const pick = new Set<string>();
  const ag = sweep.filter((r) => r.scheme === "allgather");
  const add = (r: StudyRow | undefined) => { if (r) pick.add(r.label); };
  add(ag.find((r) => r.kind === "grid" && r.codec === "q8_0/b32/fp16"));
  add(ag.find((r) => r.kind === "grid" && r.codec === "mxfp4/b32/e8m0"));
  const lossy = ag.filter((r) => r.bits_per_value < 16);
  add([...lossy].filter(within).sort((a, b) => a.bits_per_value - b.bits_per_value || a.delta_ppl_pct - b.delta_ppl_pct)[0]);
  add([...lossy].filter((r) => within(r) && r.kl_mean <= GOAL.kl).sort((a, b) => a.bits_per_value - b.bits_per_value || a.kl_mean - b.kl_mean)[0]);
  const cheap = lossy.filter((r) => r.bits_per_value <= GOAL.bits + 1e-9).sort((a, b) => a.delta_ppl_pct - b.delta_ppl_pct);
  add(cheap.find((r) => r.kind === "grid"));
  add(cheap.find((r) => r.kind !== "grid"));
  add(cheap[0]);
  return pick;
}

function headline(rows: readonly StudyRow[], tp: number): Headline {
  const at = rows.filter((r) => r.tp === tp && r.kind !== "sensitivity" && r.bits_per_value < 16);
  const fin = at.filter((r) => r.set === "final");
  const pool = fin.length ? fin : at;
  const smallest = [...pool].filter(within).sort((a, b) => a.bits_per_value - b.bits_per_value || a.delta_ppl_pct - b.delta_ppl_pct)[0] ?? null;
  const best45 = [...pool].filter((r) => r.bits_per_value <= GOAL.bits + 1e-9).sort((a, b) => a.delta_ppl_pct - b.delta_ppl_pct)[0] ?? null;
  const goalMet = pool.some(meetsGoal);
  // recommendation: the cheapest within 1% ΔPPL and 0.01 nats mean KL at every TP degree (final runs),
  // else the cheapest within 1% ΔPPL at every degree, else the smallest within 1% here
  const tps = [...new Set(rows.map((r) => r.tp))];
  const set = fin.length ? "final" : "sweep";
  const ok = (label: string, kl: boolean) => tps.every((t) => rows.some((r) => r.tp === t && r.label === label && r.set === set && within(r) && (!kl || r.kl_mean <= GOAL.kl)));
  const cheapest = (f: (r: StudyRow) => boolean) => [...pool].filter(f).sort((a, b) => a.bits_per_value - b.bits_per_value || a.kl_mean - b.kl_mean)[0];
  const recommended = cheapest((r) => ok(r.label, true)) ?? cheapest((r) => ok(r.label, false)) ?? smallest;
  return { smallestWithin1pct: smallest, best45, goalMet, recommended };
}

// ---------------------------------------------------------------- report

const pct = (v: number): string => `${v >= 0 ? "+" : ""}${v.toFixed(v !== 0 && Math.abs(v) < 0.1 ? 3 : 2)}%`;
const sci = (v: number): string => (v === 0 ? "0" : v.toExponential(2));
const top = (r: StudyRow): string => `${(100 * r.top1_agree).toFixed(2)} ± ${(100 * r.top1_agree_err).toFixed(2)}%`;

function table(rows: readonly StudyRow[], withLayers = true): string {
  const head = ["configuration", "TP", "bits/value", "vs FP16", "vs FP32", "PPL", "ΔPPL", "KL mean", "KL p99", "same top-1", ...(withLayers ? ["‖Δh‖/‖h‖ after each layer"] : [])];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`];
  for (const r of rows) {
    lines.push(`| ${[r.label, String(r.tp), r.bits_per_value.toFixed(3), `${r.compression_vs_fp16.toFixed(2)}x`, `${r.compression_vs_fp32.toFixed(2)}x`, r.ppl.toFixed(4), pct(r.delta_ppl_pct), sci(r.kl_mean), sci(r.kl_p99), top(r),
      ...(withLayers ? [r.layer_rel_error.map((e) => e.toExponential(1)).join(" ")] : [])].join(" | ")} |`);
  }
  return lines.join("\n");
}

const byBits = (a: StudyRow, b: StudyRow): number => a.bits_per_value - b.bits_per_value || a.delta_ppl_pct - b.delta_ppl_pct;

/** The markdown report. Every sentence with a number is computed from `res`. */
export function qualityMarkdown(res: QualityStudyResult, svgName: string): string {
  const tps = [...new Set(res.rows.map((r) => r.tp))];
  const tp0 = tps[0]!;
  const h = res.headline;
  const L: string[] = [];
  const fin = res.rows.filter((r) => r.set === "final");
  const sw = res.rows.filter((r) => r.set === "sweep");
  const ref = fin[0] ?? sw[0];
  L.push("# Quality study: what compressed all-reduces cost", "");
  L.push(`Model **${res.model}**, evaluation text **${res.text}** in its **raw** form (as is: blank lines between paragraphs kept), ` +
    `one story per window starting at BOS, every next token predicted (teacher forcing). Every configuration is compared with the ` +
    `uncompressed run at the same TP degree (same windows, same ranks): perplexity, ΔPPL, KL divergence of the next-token ` +
    `distributions, top-1 agreement and the residual stream's relative error after each layer, as llama.cpp's ` +
    "`llama-perplexity --kl-divergence` reports them. Bits/value count every bit on the wire: element bits, block scales, and the 16-bit outlier channels.", "");
  L.push(`- sweep: the first ${res.sweep_stories} stories (${sw.find((r) => r.tp === tp0)?.tokens ?? 0} predicted tokens) for every configuration at TP ${tps.join(" and ")};`);
  L.push(`- finalists: the first ${res.final_stories} stories (${fin.find((r) => r.tp === tp0)?.tokens ?? 0} predicted tokens), allgather scheme, at TP ${tps.join(" and ")};`);
  L.push(`- reference perplexity (uncompressed, TP ${tp0}, ${ref?.set === "final" ? "finalists' text" : "sweep"}): ${ref?.ppl_ref.toFixed(4) ?? "-"};`);
  L.push(`- generated ${res.generated} by \`${res.command}\`.`, "");
  L.push("## Regenerate", "", "```sh", "npm ci && npx tsc -b packages/examples", "export TENSORWIRE_MODELS=<dir holding stories260K/> TENSORWIRE_DATA=<dir holding tinystories/valid_first1000.txt>",
    "npx tensorwire fetch stories260K   # if the model is not there yet", res.command, "```", "");
  L.push("## Headline", "");
  const s = h.smallestWithin1pct;
  L.push(s
    ? `- **Smallest bits/value within 1% ΔPPL at TP ${s.tp}: ${s.bits_per_value.toFixed(3)} bits/value** (${s.compression_vs_fp16.toFixed(2)}x vs FP16, ${s.compression_vs_fp32.toFixed(2)}x vs FP32) with ${s.label}: ΔPPL ${pct(s.delta_ppl_pct)} (± ${(100 * s.ln_ppl_ratio_err).toFixed(2)} points, 1σ), KL mean ${sci(s.kl_mean)} nats, same top-1 ${top(s)} (${s.set === "final" ? `${s.windows} stories` : `sweep, ${s.windows} stories`}).`
    : `- No configuration below 16 bits/value stays within 1% ΔPPL at TP ${tp0}.`);
  const b = h.best45;
  if (b) L.push(`- Best at ≤ ${GOAL.bits} bits/value (≥ ${(16 / GOAL.bits).toFixed(2)}x vs FP16) at TP ${b.tp}: ${b.label}, ${b.bits_per_value.toFixed(3)} bits/value: ΔPPL ${pct(b.delta_ppl_pct)}, KL mean ${sci(b.kl_mean)}, KL p99 ${sci(b.kl_p99)}, same top-1 ${top(b)}.`);
  L.push(`- Goal (≤ ${GOAL.bits} bits/value, ΔPPL ≤ ${GOAL.dppl}%, mean KL ≤ ${GOAL.kl} nats at TP ${tp0}): **${h.goalMet ? "met" : "not met"}**${h.goalMet ? "" : b ? ` — the best ≤ ${GOAL.bits}-bit configuration ${[
    b.delta_ppl_pct > GOAL.dppl ? `is ${(b.delta_ppl_pct - GOAL.dppl).toFixed(2)} points of ΔPPL over` : `is within the ΔPPL budget`,
    b.kl_mean > GOAL.kl ? `has ${(b.kl_mean / GOAL.kl).toFixed(2)}x the KL budget` : "within the KL budget"].join(" but ")}; the lowest mean KL at ≤ ${GOAL.bits} bits/value is ${sci(Math.min(...res.rows.filter((r) => r.tp === tp0 && r.set === b.set && r.kind !== "sensitivity" && r.bits_per_value <= GOAL.bits + 1e-9).map((r) => r.kl_mean)))} nats` : ""}.`);
  const q8 = fin.filter((r) => r.codec === "q8_0/b32/fp16");
  if (q8.length) L.push(`- q8_0 (8.5 bits/value): ${q8.map((r) => `TP ${r.tp} ΔPPL ${pct(r.delta_ppl_pct)}, KL ${sci(r.kl_mean)}`).join("; ")}.`);
  L.push("", `![bits/value against ΔPPL](${svgName})`, "");

  L.push("## Recommendation", "");
  const rec = h.recommended;
  if (rec) {
    const others = fin.filter((r) => r.label === rec.label && r.tp !== rec.tp);
    L.push(`**${rec.codec}** (${rec.scheme}${rec.kind !== "grid" ? `, ${rec.label}` : ""}): ${rec.bits_per_value.toFixed(3)} bits/value, ${rec.compression_vs_fp16.toFixed(2)}x smaller than FP16 messages, ` +
      `ΔPPL ${pct(rec.delta_ppl_pct)} at TP ${rec.tp}${others.map((r) => `, ${pct(r.delta_ppl_pct)} at TP ${r.tp}`).join("")}. KL mean ${sci(rec.kl_mean)} nats, same top-1 ${top(rec)}. ${rec.kl_mean <= GOAL.kl && others.every((r) => r.kl_mean <= GOAL.kl)
        ? `It is the cheapest finalist within 1% ΔPPL and ${GOAL.kl} nats mean KL at every TP degree measured: ΔPPL alone is a weak criterion (errors that flatten or sharpen the distribution partly cancel in the perplexity), the KL divergence and the top-1 agreement say how far the predictions move.`
        : "It is the cheapest finalist within 1% ΔPPL at every TP degree measured."} ` +
      (s && s.label !== rec.label ? slowLinkAdvice(s, fin) : "") +
      (b && b.label !== rec.label ? `Where the bandwidth matters most, the best at ≤ ${GOAL.bits} bits/value is ${b.label} (${b.bits_per_value.toFixed(3)} bits/value): ΔPPL ${pct(b.delta_ppl_pct)}, KL mean ${sci(b.kl_mean)} nats, same top-1 ${top(b)}. ` : "") +
      schemeAdvice(sw));
  } else {
    L.push("No configuration below 16 bits/value stays within 1% ΔPPL at every TP degree measured.");
  }
  L.push("");

  if (fin.length) {
    L.push(`## Finalists (${res.final_stories} stories)`, "", table([...fin].sort((a, b2) => a.tp - b2.tp || byBits(a, b2))), "");
  }
  L.push("## Frontier", "", "Configurations no cheaper configuration beats (sweep), per TP degree and scheme, in |ΔPPL| (a negative ΔPPL is noise, not a gain) and in mean KL:", "");
  for (const [name, cost, fmt] of [["|ΔPPL|", absDppl, (r: StudyRow) => pct(r.delta_ppl_pct)], ["KL mean", (r: StudyRow) => r.kl_mean, (r: StudyRow) => `KL ${sci(r.kl_mean)}`]] as const) {
    for (const tp of tps) for (const scheme of SCHEMES) {
      const f = paretoFrontier(sw.filter((r) => r.tp === tp && r.scheme === scheme && r.kind !== "sensitivity" && r.bits_per_value < 16), cost);
      if (f.length) L.push(`- ${name}, TP ${tp}, ${scheme}: ${f.map((r) => `${r.label.replace(` ${scheme}`, "")} (${r.bits_per_value.toFixed(2)} b, ${fmt(r)})`).join(" → ")}`);
    }
  }
  L.push("");

  L.push("## What the related work's ideas buy", "");
  ideasSection(L, res, tps);

  L.push("## Error against the TP degree and the scheme", "");
  const cmpRows: string[] = ["| codec | " + tps.flatMap((t) => SCHEMES.map((sc) => `TP ${t} ${sc} ΔPPL / KL`)).join(" | ") + " |", "| --- |" + tps.flatMap(() => SCHEMES.map(() => " ---: |")).join("")];
  for (const c of ["q8_0/b32/fp16", "mxfp6-e2m3/b32/e8m0", "fp5-e2m2/b32/e8m0", "mxfp4/b32/e8m0", "nvfp4/b16/ue4m3", "int4/b32/fp16"]) {
    const cells = tps.flatMap((t) => SCHEMES.map((sc) => sw.find((r) => r.tp === t && r.scheme === sc && r.kind === "grid" && r.codec === c)));
    if (cells.every((x) => !x)) continue;
    cmpRows.push(`| ${c} | ` + cells.map((x) => (x ? `${pct(x.delta_ppl_pct)} / ${sci(x.kl_mean)}` : "-")).join(" | ") + " |");
  }
  L.push(cmpRows.join("\n"), "");
  L.push(growthSentence(sw, tps), "");

  L.push("## Every configuration (sweep)", "");
  for (const tp of tps) for (const scheme of SCHEMES) {
    const g = sw.filter((r) => r.tp === tp && r.scheme === scheme && r.kind === "grid").sort(byBits);
    if (g.length) L.push(`### TP ${tp}, ${scheme} (${g[0]!.windows} stories, ${g[0]!.tokens} tokens)`, "", table(g), "");
  }
  L.push("## Method", "",
    "- Text: the stories of the file split at `<|endoftext|>` lines, each trimmed, **raw** (paragraph breaks kept as blank lines); each is encoded with BOS and scored as one window of at most the model's context (longer stories are truncated).",
    "- PPL = exp(mean NLL) over every predicted token; ΔPPL = PPL / PPL_ref − 1; KL(p_ref ‖ p) per token in nats, mean / p99 over tokens; same top-1 = share of tokens whose argmax agrees, ± its standard error.",
    "- Compression: every row-parallel all-reduce (attention output and MLP down projection of every layer) with the configuration's codec and scheme; `allgather` quantizes each rank's partial sum once, `two-shot` quantizes the partial shards for the reduce-scatter and the reduced shard again for the all-gather.",
    `- Outlier channels: per layer, the k channels with the largest mean |Δh| (the residual stream's update by the layer, i.e. the sum of its two all-reduced outputs) measured on ${res.calibration.source}; ${res.calibration.positions} positions. Those channels are all-reduced in bf16 in a separate message, the rest with the 4-bit codec (\`outliers\` in tp-model's compression rule). Chosen channels (k = 4) per layer: ${Object.entries(res.calibration.channels[4] ?? {}).map(([l, c]) => `${l}: [${c.join(", ")}]`).join("; ") || "-"}.`,
    "- Rotation: every run of h values the block codec sees is multiplied by a fixed randomized Hadamard matrix H·D/√h before quantization and by its inverse after the reduce (`rotate` in tp-model's compression rule; free on the wire).",
    "- Per-site allocation: the call sites ranked by the KL divergence each causes when it alone is compressed with mxfp4, measured on the calibration text (the `calibration` rows in quality.json), at the first TP degree; the most sensitive sites get more bits, and the attention outputs (less sensitive than the MLP outputs) fewer.",
    "- Bits/value: the mean over the 2 × layers all-reduce calls (all the same size) of each call's wire bits per value.", "");
  return L.join("\n");
}

function ideasSection(L: string[], res: QualityStudyResult, tps: readonly number[]): void {
  const sw = res.rows.filter((r) => r.set === "sweep");
  for (const tp of tps) {
    const at = sw.filter((r) => r.tp === tp);
    const g = (codec: string) => at.find((r) => r.kind === "grid" && r.scheme === "allgather" && r.codec === codec);
    const base = g("mxfp4/b32/e8m0");
    if (!base) continue;
    L.push(`### TP ${tp} (sweep, ${base.windows} stories; baseline mxfp4 ${base.bits_per_value.toFixed(2)} bits/value, ΔPPL ${pct(base.delta_ppl_pct)}, KL ${sci(base.kl_mean)})`, "");
    const lines: string[] = ["| idea | configuration | bits/value | ΔPPL | KL mean | KL p99 | same top-1 |", "| --- | --- | ---: | ---: | ---: | ---: | ---: |"];
    const row = (idea: string, r: StudyRow | undefined) => { if (r) lines.push(`| ${idea} | ${r.label} | ${r.bits_per_value.toFixed(3)} | ${pct(r.delta_ppl_pct)} | ${sci(r.kl_mean)} | ${sci(r.kl_p99)} | ${top(r)} |`); };
    for (const c of ["fp4-e2m1/b16/e8m0", "fp4-e2m1/b16/fp16", "nvfp4/b16/ue4m3", "int4/b16/fp16", "int4/b8/fp16", "fp4-e2m1/b8/fp16", "fp5-e2m2/b32/e8m0", "fp5-e2m2/b16/fp16", "fp5-e3m1/b32/e8m0", "mxfp6-e2m3/b32/e8m0"]) row("finer blocks / scales, fp5", g(c));
    for (const r of at.filter((x) => x.kind === "outliers")) row("outlier channels (Dong et al.)", r);
    for (const r of at.filter((x) => x.kind === "rotation")) row("Hadamard rotation", r);
    for (const r of at.filter((x) => x.kind === "allocation")) row("per-site allocation", r);
    L.push(lines.join("\n"), "");
    const sens = res.rows.filter((r) => r.tp === tp && r.kind === "sensitivity").sort((a, b) => b.kl_mean - a.kl_mean);
    if (sens.length) {
      const tot = sens.reduce((a, r) => a + r.kl_mean, 0);
      L.push(`Sensitivity (mxfp4 at one call site only, KL mean on the ${sens[0]!.windows} calibration stories): ${sens.map((r) => `${r.note} ${sci(r.kl_mean)}`).join(", ")}. ` +
        `The most sensitive site carries ${(100 * sens[0]!.kl_mean / tot).toFixed(0)}% of the summed single-site KL; the first three ${(100 * sens.slice(0, 3).reduce((a, r) => a + r.kl_mean, 0) / tot).toFixed(0)}%.`, "");
    }
    const rots = at.filter((r) => r.kind === "rotation");
    if (rots.length) L.push(`Rotation (same bits): ${rots.map((r) => { const g0 = g(r.codec); return `${r.label} KL ${sci(r.kl_mean)}${g0 ? ` vs ${sci(g0.kl_mean)} unrotated (${g0.kl_mean > r.kl_mean ? "−" : "+"}${Math.abs(100 * (1 - r.kl_mean / g0.kl_mean)).toFixed(0)}%)` : ""}`; }).join("; ")}.`, "");
    const outl = at.filter((r) => r.kind === "outliers" && r.codec === "mxfp4/b32/e8m0");
    const ptm = res.calibration.peak_to_mean;
    if (outl.length && ptm.length) L.push(`Outlier channels and how outlying they are: the largest channel's mean |Δh| is ${ptm.map((v) => v.toFixed(1)).join(", ")} times the mean over all channels in layers 0–${ptm.length - 1} (calibration text)` +
      (Math.max(...ptm) < 10 ? "; the massive activations Dong et al. isolate (orders of magnitude above the rest) do not occur in this model, so there is little to take out of the blocks." : "."), "");
    if (outl.length) L.push(`Outlier channels on mxfp4: ${outl.map((r) => `${r.note} → ${r.bits_per_value.toFixed(3)} bits, ΔPPL ${pct(r.delta_ppl_pct)}, KL ${sci(r.kl_mean)} (${((1 - r.kl_mean / base.kl_mean) * 100).toFixed(0)}% less KL)`).join("; ")}.`, "");
  }
}

/** Which scheme to prefer, from the sweep: the median two-shot / allgather KL ratio over the grid. */
/** The cheapest finalist within the ΔPPL goal, at every TP degree it was run at, with its KL against the budget. */
function slowLinkAdvice(s: StudyRow, fin: readonly StudyRow[]): string {
  const all = fin.filter((r) => r.label === s.label).sort((x, y) => x.tp - y.tp);
  const every = all.every((r) => r.delta_ppl_pct <= GOAL.dppl);
  const klMax = Math.max(...all.map((r) => r.kl_mean));
  return `On slow links, where every bit counts, the cheapest finalist within ${GOAL.dppl}% ΔPPL ${every ? "at every TP degree" : `at TP ${s.tp}`} is ${s.label} ` +
    `(${s.bits_per_value.toFixed(3)} bits/value, ${s.compression_vs_fp16.toFixed(2)}x smaller than FP16): ` +
    `${all.map((r) => `TP ${r.tp} ΔPPL ${pct(r.delta_ppl_pct)}, KL mean ${sci(r.kl_mean)}, same top-1 ${top(r)}`).join("; ")}; ` +
    `its largest mean KL is ${(klMax / GOAL.kl).toFixed(2)}x the ${GOAL.kl}-nat budget. `;
}

function schemeAdvice(sw: readonly StudyRow[]): string {
  const ratios: number[] = [];
  for (const r of sw.filter((x) => x.scheme === "allgather" && x.kind === "grid" && x.kl_mean > 0)) {
    const o = sw.find((x) => x.tp === r.tp && x.scheme === "two-shot" && x.kind === "grid" && x.codec === r.codec);
    if (o) ratios.push(o.kl_mean / r.kl_mean);
  }
  if (!ratios.length) return "";
  ratios.sort((x, y) => x - y);
  const m = ratios[ratios.length >> 1]!;
  return m > 1
    ? `Prefer the allgather scheme: two-shot quantizes twice (the partial shards, then the reduced shard) and its KL is ${m.toFixed(2)}x allgather's at the same bits (median over codecs and TP degrees); two-shot pays only where its lower traffic matters more.`
    : `Two-shot's KL is ${m.toFixed(2)}x allgather's at the same bits (median over codecs and TP degrees), so the cheaper-traffic scheme costs no quality here.`;
}

function growthSentence(sw: readonly StudyRow[], tps: readonly number[]): string {
  if (tps.length < 2) return "";
  const [a, b] = [tps[0]!, tps[tps.length - 1]!];
  const parts: string[] = [];
  for (const scheme of SCHEMES) {
    const ratios: number[] = [];
    for (const r of sw.filter((x) => x.tp === a && x.scheme === scheme && x.kind === "grid" && x.kl_mean > 0)) {
      const o = sw.find((x) => x.tp === b && x.scheme === scheme && x.kind === "grid" && x.codec === r.codec);
      if (o && o.kl_mean > 0) ratios.push(o.kl_mean / r.kl_mean);
    }
    if (ratios.length) {
      ratios.sort((x, y) => x - y);
      parts.push(`${scheme}: KL at TP ${b} / KL at TP ${a} has median ${ratios[ratios.length >> 1]!.toFixed(2)} (range ${ratios[0]!.toFixed(2)}–${ratios[ratios.length - 1]!.toFixed(2)}) over ${ratios.length} codecs`);
    }
  }
  const ts: number[] = [];
  for (const tp of tps) for (const r of sw.filter((x) => x.tp === tp && x.scheme === "allgather" && x.kind === "grid" && x.kl_mean > 0)) {
    const o = sw.find((x) => x.tp === tp && x.scheme === "two-shot" && x.kind === "grid" && x.codec === r.codec);
    if (o) ts.push(o.kl_mean / r.kl_mean);
  }
  ts.sort((x, y) => x - y);
  return `${parts.join("; ")}.${ts.length ? ` Two-shot / allgather KL: median ${ts[ts.length >> 1]!.toFixed(2)} over ${ts.length} (codec, TP) pairs.` : ""}`;
}

/** The frontier chart: bits/value on x, ΔPPL (%, log) on y, one series per TP degree and scheme. */
export function frontierSvg(res: QualityStudyResult): string {
  const floor = 1e-3;
  const sw = res.rows.filter((r) => r.set === "sweep" && r.kind !== "sensitivity" && r.bits_per_value < 16);
  const tps = [...new Set(res.rows.map((r) => r.tp))];
  const series: Series[] = [];
  for (const tp of tps) for (const scheme of SCHEMES) {
    const f = paretoFrontier(sw.filter((r) => r.tp === tp && r.scheme === scheme && r.kind === "grid"), absDppl);
    if (f.length) series.push({ name: `TP ${tp} ${scheme} (frontier)`, dashed: scheme === "two-shot", points: f.map((r) => ({ x: r.bits_per_value, y: Math.max(floor, absDppl(r)) })) });
  }
  for (const tp of tps.slice(0, 1)) {
    const ideas = paretoFrontier(sw.filter((r) => r.tp === tp && r.kind !== "grid"), absDppl);
    if (ideas.length) series.push({ name: `TP ${tp} ideas (frontier)`, points: ideas.map((r) => ({ x: r.bits_per_value, y: Math.max(floor, absDppl(r)) })) });
  }
  const xs = sw.map((r) => r.bits_per_value);
  series.push({ name: "1% ΔPPL", dashed: true, color: "#9aa5b1", points: [{ x: Math.min(...xs), y: 1 }, { x: Math.max(...xs), y: 1 }] });
  return lineChart({
    title: `Quality frontier: ${res.model.split(" ")[0]} on TinyStories (raw text)`,
    subtitle: `sweep of ${res.sweep_stories} stories, allgather and two-shot; ideas = outliers, rotation, per-site allocation; |ΔPPL| < ${floor}% drawn at ${floor}%`,
    better: "lower-left is better",
    x: { title: "wire bits per value (bits/value)" },
    y: { title: "|ΔPPL| vs uncompressed (%, log scale)", log: true },
    series, width: 900, height: 500,
  });
}

/** Write quality.json, quality.md and quality-frontier.svg into `dir`; returns their paths. */
export function writeQualityStudy(res: QualityStudyResult, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, "quality.json"), join(dir, "quality.md"), join(dir, "quality-frontier.svg")];
  writeFileSync(files[0]!, JSON.stringify(res, null, 1) + "\n");
  writeFileSync(files[1]!, qualityMarkdown(res, "quality-frontier.svg"));
  writeFileSync(files[2]!, frontierSvg(res));
  return files;
}
