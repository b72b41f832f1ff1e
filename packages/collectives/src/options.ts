// Option defaults and resolution (host side, once per group; the result travels to every rank).
import { type CodecSpec, resolveCodec } from "@tensorwire/quant-wasm";
import { ALGORITHM_NAMES, SCHEME_NAMES } from "./algorithms/registry.js";
import { validateLink } from "./link.js";
import type { CodecArg, GroupOptions, ResolvedOptions } from "./types.js";

export const DEFAULTS = {
  maxMessageBytes: 4 * 1024 * 1024,
  spinCountSpin: 20_000,
  spinCountWait: 64,
  waitSliceMs: 25,
  timeoutMs: 30_000,
} as const;

/** A codec argument as a full spec, or null for uncompressed. */
export function toCodecSpec(codec: CodecArg | null | undefined): CodecSpec | null {
  if (codec == null || codec === "none") return null;
  if (typeof codec === "string") return resolveCodec(codec);
  return resolveCodec(codec.format, codec);
}

function defaultCores(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === "number" && n > 0 ? n : 1;
}

export function resolveOptions(o: GroupOptions, worldSize: number): ResolvedOptions {
  const cores = o.cores ?? defaultCores();
  const waitMode = o.waitMode === "spin" || o.waitMode === "wait" ? o.waitMode
    : o.waitMode === undefined || o.waitMode === "auto" ? (worldSize <= cores ? "spin" : "wait")
    : (() => { throw new RangeError(`waitMode must be "spin", "wait" or "auto", got ${String(o.waitMode)}`); })();
  const num = (v: number | undefined, d: number, name: string, min: number): number => {
    const x = v ?? d;
    if (typeof x !== "number" || !(x >= min) || !Number.isFinite(x)) throw new RangeError(`${name} must be a number ≥ ${min}, got ${String(v)}`);
    return x;
  };
  const algorithm = o.algorithm ?? "auto";
  if (algorithm !== "auto" && !ALGORITHM_NAMES.includes(algorithm)) throw new RangeError(`unknown algorithm "${algorithm}" (known: auto, ${ALGORITHM_NAMES.join(", ")})`);
  const scheme = o.scheme ?? "auto";
  if (scheme !== "auto" && !SCHEME_NAMES.includes(scheme)) throw new RangeError(`unknown compression scheme "${scheme}" (known: auto, ${SCHEME_NAMES.join(", ")})`);
  const compress = o.compress ?? "auto";
  if (compress !== true && compress !== false && compress !== "auto") throw new RangeError(`compress must be true, false or "auto"`);
  return {
    maxMessageBytes: num(o.maxMessageBytes, DEFAULTS.maxMessageBytes, "maxMessageBytes", 512),
    waitMode,
    adaptiveSpin: (o.waitMode === undefined || o.waitMode === "auto") && waitMode === "spin",
    spinCount: Math.floor(num(o.spinCount, waitMode === "spin" ? DEFAULTS.spinCountSpin : DEFAULTS.spinCountWait, "spinCount", 0)),
    waitSliceMs: num(o.waitSliceMs, DEFAULTS.waitSliceMs, "waitSliceMs", 1),
    timeoutMs: num(o.timeoutMs, DEFAULTS.timeoutMs, "timeoutMs", 1),
    algorithm,
    codec: toCodecSpec(o.codec),
    compress,
    scheme,
    link: validateLink(o.link),
    timing: o.timing ?? true,
  };
}
