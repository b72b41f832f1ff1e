// Units shared by every command: bandwidths ("1Gbit/s", "200MB/s"), latencies ("50us", "1ms") and
// emulated links (`--link <bandwidth>[,<latency>]`) → collectives' LinkModel.
import { LINK_PRESETS, type LinkModel } from "@tensorwire/collectives";

/** Decimal SI prefixes (k = 10^3 …) and binary ones (Ki = 2^10 …). Case-insensitive except that `m` never means milli. */
const DECIMAL_EXP: Record<string, number> = { "": 0, k: 3, m: 6, g: 9, t: 12 };
const BINARY: Record<string, number> = { ki: 2 ** 10, mi: 2 ** 20, gi: 2 ** 30, ti: 2 ** 40 };

/** `<digits>e<exp>` parsed as one decimal literal, so 50 µs is exactly the double nearest 5e-5. */
function decimal(mantissa: string, exp: number): number {
  return Number(`${mantissa}e${exp}`);
}

const BANDWIDTH_RE = /^(\d+(?:\.\d*)?|\.\d+)(?:e([+-]?\d+))?\s*([kmgt]i?)?\s*(bits?|bytes?|b|B)(?:\/s|ps)$/i;

/** The help text describing what `parseBandwidth` accepts. */
export const BANDWIDTH_SYNTAX = "<number><k|M|G|T|Ki|Mi|Gi>(bit/s|b/s|bps|B/s|byte/s), e.g. 10Mbit/s, 1Gbit/s, 200MB/s, 25GB/s";
/** The help text describing what `parseLatency` accepts. */
export const LATENCY_SYNTAX = "<number>(s|ms|us|µs|ns), e.g. 50us, 1ms";
/** The help text describing what `parseLink` accepts. */
export const LINK_SYNTAX = `none | shm | <bandwidth>[,<latency>]; presets ${Object.keys(LINK_PRESETS).join(", ")} carry their own latency`;

/**
 * Parses a bandwidth into bytes per second. Bits: `bit/s`, `bits/s`, `b/s`, `bps` (lower-case b);
 * bytes: `B/s`, `byte/s`, `bytes/s`, `Bps` (upper-case B). Prefixes k, M, G, T are decimal
 * (1 Mbit/s = 10^6 bit/s = 125 000 B/s); Ki, Mi, Gi, Ti are binary. Throws RangeError on anything else
 * (no unit, unknown unit, zero, negative, non-finite).
 */
export function parseBandwidth(text: string): number {
  const s = text.trim();
  const m = BANDWIDTH_RE.exec(s);
  if (!m) throw new RangeError(`bad bandwidth "${text}": expected ${BANDWIDTH_SYNTAX}`);
  const p = (m[3] ?? "").toLowerCase();
  const value = decimal(m[1]!, Number(m[2] ?? 0) + (DECIMAL_EXP[p] ?? 0)) * (BINARY[p] ?? 1);
  const unit = m[4]!;
  const bits = unit === "b" || /^bits?$/i.test(unit) ? true : unit === "B" || /^bytes?$/i.test(unit) ? false : null;
  if (bits === null) throw new RangeError(`bad bandwidth "${text}": unit must be bit/s or B/s`);
  const bytesPerSec = value / (bits ? 8 : 1);
  if (!Number.isFinite(bytesPerSec) || bytesPerSec <= 0) throw new RangeError(`bad bandwidth "${text}": must be positive and finite`);
  return bytesPerSec;
}

const LATENCY_RE = /^(\d+(?:\.\d*)?|\.\d+)(?:e([+-]?\d+))?\s*(s|ms|us|µs|μs|ns)$/;
const LATENCY_EXP: Record<string, number> = { s: 0, ms: -3, us: -6, "µs": -6, "μs": -6, ns: -9 };

/** Parses a latency into seconds: a number with s, ms, us (µs) or ns; a bare `0` is allowed. Throws RangeError otherwise. */
export function parseLatency(text: string): number {
  const s = text.trim();
  if (/^0+(\.0*)?$/.test(s)) return 0;
  const m = LATENCY_RE.exec(s);
  if (!m) throw new RangeError(`bad latency "${text}": expected ${LATENCY_SYNTAX}`);
  const sec = decimal(m[1]!, Number(m[2] ?? 0) + LATENCY_EXP[m[3]!]!);
  if (!Number.isFinite(sec) || sec < 0) throw new RangeError(`bad latency "${text}": must be finite and ≥ 0`);
  return sec;
}

/**
 * Parses `--link`: `none` or `shm` → null (plain shared memory, no emulation); `<bandwidth>[,<latency>]`
 * → `{ bandwidthBytesPerSec, latencySec }`. A bandwidth equal to a LINK_PRESETS entry (`25GB/s`,
 * `10Gbit/s`, `1Gbit/s`, however written) without a latency takes the preset's latency; any other
 * bandwidth without a latency has latency 0. Throws RangeError on a bad part.
 */
export function parseLink(text: string): LinkModel | null {
  const s = text.trim();
  if (/^(none|shm)$/i.test(s)) return null;
  const parts = s.split(",");
  if (parts.length > 2 || parts.some((p) => p.trim() === "")) {
    throw new RangeError(`bad link "${text}": expected ${LINK_SYNTAX}`);
  }
  const bandwidthBytesPerSec = parseBandwidth(parts[0]!);
  if (parts.length === 2) return { bandwidthBytesPerSec, latencySec: parseLatency(parts[1]!) };
  const preset = Object.values(LINK_PRESETS as Record<string, LinkModel>).find((p) => p.bandwidthBytesPerSec === bandwidthBytesPerSec);
  return { bandwidthBytesPerSec, latencySec: preset ? preset.latencySec : 0 };
}

function trimNum(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

/** A bandwidth for people: bit/s with a decimal prefix (`1 Gbit/s`, `200 Mbit/s`); `bytes: true` → B/s (`1.25 GB/s`). */
export function formatBandwidth(bytesPerSec: number, opts: { bytes?: boolean } = {}): string {
  const v = opts.bytes ? bytesPerSec : bytesPerSec * 8;
  const u = opts.bytes ? "B/s" : "bit/s";
  for (const [p, f] of [["T", 1e12], ["G", 1e9], ["M", 1e6], ["k", 1e3]] as const) {
    if (v >= f) return `${trimNum(v / f)} ${p}${u}`;
  }
  return `${trimNum(v)} ${u}`;
}

/** A latency for people: `50 µs`, `1 ms`, `0 s`. */
export function formatLatency(sec: number): string {
  if (sec === 0) return "0 s";
  if (sec >= 1) return `${trimNum(sec)} s`;
  if (sec >= 1e-3) return `${trimNum(sec * 1e3)} ms`;
  if (sec >= 1e-6) return `${trimNum(sec * 1e6)} µs`;
  return `${trimNum(sec * 1e9)} ns`;
}

/** A link for people: `shared memory` for null, else `1 Gbit/s, 50 µs`. */
export function formatLink(link: LinkModel | null): string {
  return link ? `${formatBandwidth(link.bandwidthBytesPerSec)}, ${formatLatency(link.latencySec)}` : "shared memory (no emulation)";
}

/** Bytes for people with binary prefixes: `512 B`, `1.01 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  for (const [p, f] of [["GiB", 2 ** 30], ["MiB", 2 ** 20], ["KiB", 2 ** 10]] as const) {
    if (n >= f) return `${(n / f).toFixed(2)} ${p}`;
  }
  return `${n} B`;
}
