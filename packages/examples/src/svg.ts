// Small dependency-free SVG charts for the CLI and the studies: a horizontal bar chart (with optional
// spread whiskers) and a line chart (several series, optional log axes). Both produce standalone
// SVG 1.1 documents with axes, tick labels, axis titles with units and a subtitle saying what
// "better" means.
import { wrapWords } from "./wrap.js";

/** Escapes text for SVG element content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Series colours, in order (a chart may pass its own: e.g. a measured curve and its model in one colour). */
export const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];
const BASELINE_COLOR = "#9aa5b1";

const f1 = (v: number): string => (Math.round(v * 10) / 10).toString();

/** Default tick label: up to 3 significant digits, exponent form outside [1e-3, 1e6). */
export function formatTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(1).replace("e+", "e");
  return Number(v.toPrecision(3)).toString();
}

/** "Nice" linear ticks (steps of 1, 2 or 5 × 10^k) covering [min, max], about `count` of them. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new RangeError(`ticks of a non-finite range [${min}, ${max}]`);
  if (max < min) [min, max] = [max, min];
  if (max === min) { const d = Math.abs(min) || 1; min -= d / 2; max += d / 2; }
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) ticks.push(Number((lo + i * step).toPrecision(12)));
  return ticks;
}

/** Log-scale ticks: every power of ten covering [min, max] (min > 0), with 2× and 5× when under 3 decades. */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) {
    throw new RangeError(`log axis needs a positive finite range, got [${min}, ${max}]`);
  }
  if (max < min) [min, max] = [max, min];
  const lo = Math.floor(Math.log10(min) + 1e-9);
  let hi = Math.ceil(Math.log10(max) - 1e-9);
  if (hi === lo) hi = lo + 1;
  const mult = hi - lo < 3 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) for (const m of mult) {
    const v = Number((m * 10 ** e).toPrecision(12));
    if (v <= 10 ** hi * (1 + 1e-9)) ticks.push(v);
  }
  return ticks;
}

/** Approximate width of a 12 px sans-serif character, for layout (labels, wrapping). */
const CHAR_W = 6.6;

/** Lines the subtitle (with what "better" means) takes at this width. */
function subtitleLines(width: number, subtitle: string | undefined, better: string): string[] {
  if (!better.trim()) throw new RangeError("chart: say what \"better\" means (e.g. \"lower is better\")");
  return wrapWords([subtitle?.trim(), better.trim()].filter(Boolean).join(" — "), Math.max(20, Math.floor((width - 32) / CHAR_W)));
}

function header(width: number, height: number, title: string, sub: readonly string[]): string[] {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
    `<text x="16" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="16" y="42" fill="#444" font-style="italic" class="subtitle">${sub.map((l, i) => `<tspan x="16" dy="${i === 0 ? 0 : 15}">${escapeXml(l)}</tspan>`).join("")}</text>`,
  ];
}

/** One bar: a value, optionally its spread (low–high whisker), a note printed after it. */
export interface BarDatum {
  label: string;
  value: number;
  /** lower end of the spread (e.g. p25 or min); drawn as a whisker with `high` */
  low?: number;
  high?: number;
  note?: string;
  /** draw in the baseline colour (e.g. the uncompressed reference) */
  baseline?: boolean;
}

/** Options of barChart. */
export interface BarChartOptions {
  title: string;
  /** e.g. "2 ranks, 4 MiB, link 10 Gbit/s; whiskers: IQR" */
  subtitle?: string;
  /** what "better" means, e.g. "lower is better" (required: every chart says it) */
  better: string;
  /** value axis title with its unit, e.g. "all-reduce time (ms)" */
  axisTitle: string;
  bars: readonly BarDatum[];
  /** value label after each bar; default formatTick */
  format?: (v: number) => string;
  width?: number;
}

/** A horizontal bar chart with a value axis (ticks, grid, title) starting at 0. Values must be finite and ≥ 0. */
export function barChart(opts: BarChartOptions): string {
  const { bars } = opts;
  if (bars.length === 0) throw new RangeError("barChart: no bars");
  for (const b of bars) {
    for (const v of [b.value, b.low ?? 0, b.high ?? 0]) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`barChart: bar "${b.label}" has a value that is not finite and ≥ 0 (${v})`);
    }
  }
  const fmt = opts.format ?? formatTick;
  const width = opts.width ?? 860;
  const sub = subtitleLines(width, opts.subtitle, opts.better);
  const rowH = 24, left = 150, plotW = Math.max(200, width - left - 260), top = 60 + 15 * (sub.length - 1);
  const plotH = bars.length * rowH;
  const height = top + plotH + 58;
  const ticks = niceTicks(0, Math.max(...bars.map((b) => Math.max(b.value, b.high ?? 0))) || 1, 5);
  const vmax = ticks[ticks.length - 1]!;
  const X = (v: number): number => left + (v / vmax) * plotW;
  const parts = header(width, height, opts.title, sub);
  parts.push(`<g class="grid" stroke="#e5e7eb">`);
  for (const t of ticks) parts.push(`<line x1="${f1(X(t))}" y1="${top}" x2="${f1(X(t))}" y2="${top + plotH}"/>`);
  parts.push(`</g>`);
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const color = b.baseline ? BASELINE_COLOR : PALETTE[0]!;
    parts.push(`<text x="${left - 8}" y="${y + 16}" text-anchor="end">${escapeXml(b.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 4}" width="${f1(Math.max(0.5, X(b.value) - left))}" height="${rowH - 8}" fill="${color}"/>`);
    let end = X(b.value);
    if (b.low !== undefined && b.high !== undefined) {
      const cy = y + rowH / 2;
      parts.push(`<path class="whisker" d="M${f1(X(b.low))} ${cy}H${f1(X(b.high))}M${f1(X(b.low))} ${cy - 5}V${cy + 5}M${f1(X(b.high))} ${cy - 5}V${cy + 5}" stroke="#111" fill="none"/>`);
      end = Math.max(end, X(b.high));
    }
    parts.push(`<text x="${f1(end + 6)}" y="${y + 16}" fill="#222">${escapeXml(`${fmt(b.value)}${b.note ? `  ${b.note}` : ""}`)}</text>`);
  });
  const axisY = top + plotH;
  parts.push(`<g class="x-axis">`, `<line x1="${left}" y1="${axisY}" x2="${left + plotW}" y2="${axisY}" stroke="#111"/>`);
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${axisY}" stroke="#111"/>`);
  for (const t of ticks) {
    parts.push(`<line x1="${f1(X(t))}" y1="${axisY}" x2="${f1(X(t))}" y2="${axisY + 5}" stroke="#111"/>`);
    parts.push(`<text class="tick" x="${f1(X(t))}" y="${axisY + 18}" text-anchor="middle">${escapeXml(formatTick(t))}</text>`);
  }
  parts.push(`<text class="axis-title" x="${f1(left + plotW / 2)}" y="${axisY + 40}" text-anchor="middle">${escapeXml(opts.axisTitle)}</text>`, `</g>`);
  parts.push(`</svg>`, "");
  return parts.join("\n");
}

/** One point of a series; `low`/`high` draw a vertical error bar. */
export interface Point { x: number; y: number; low?: number; high?: number }

/** A named line. Points are drawn in x order; non-finite y values leave a gap. */
export interface Series {
  name: string;
  points: readonly Point[];
  dashed?: boolean;
  /** CSS colour; default from the palette by series index */
  color?: string;
}

/** An axis of lineChart. */
export interface Axis {
  /** title with the unit, e.g. "link bandwidth (bit/s)" */
  title: string;
  /** logarithmic scale (all values must be > 0) */
  log?: boolean;
  /** range; default from the data (linear y axes include 0 unless `min` is given) */
  min?: number;
  max?: number;
  /** tick label, e.g. v => formatBandwidth(v); default formatTick */
  format?: (v: number) => string;
  /** explicit tick positions (default: niceTicks / logTicks) */
  ticks?: readonly number[];
}

/** Options of lineChart. */
export interface LineChartOptions {
  title: string;
  subtitle?: string;
  /** what "better" means, e.g. "lower TTFT is better" */
  better: string;
  x: Axis;
  y: Axis;
  series: readonly Series[];
  width?: number;
  height?: number;
}

function scale(axis: Axis, values: number[], from: number, to: number, includeZero: boolean): { map: (v: number) => number; ticks: number[] } {
  if (axis.log) {
    const bad = values.find((v) => !(v > 0));
    if (bad !== undefined) throw new RangeError(`lineChart: "${axis.title}" is a log axis but has the value ${bad}`);
  }
  let lo = axis.min ?? Math.min(...values);
  let hi = axis.max ?? Math.max(...values);
  if (!axis.log && includeZero && axis.min === undefined) lo = Math.min(0, lo);
  let ticks = axis.ticks ? [...axis.ticks] : axis.log ? logTicks(lo, hi) : niceTicks(lo, hi, 5);
  if (!axis.ticks) {
    if (axis.min === undefined) lo = Math.min(lo, ticks[0]!);
    if (axis.max === undefined) hi = Math.max(hi, ticks[ticks.length - 1]!);
    ticks = ticks.filter((t) => t >= lo * (1 - 1e-9) - 1e-300 && t <= hi * (1 + 1e-9) + 1e-300);
  }
  if (hi === lo) { hi = lo + (axis.log ? lo : 1); }
  const t = axis.log ? (v: number) => Math.log10(v) : (v: number) => v;
  const a = t(lo), b = t(hi);
  return { map: (v: number) => from + ((t(v) - a) / (b - a)) * (to - from), ticks };
}

/** A line chart: axes with ticks, tick labels and titles, grid, one polyline + markers per series, legend. */
export function lineChart(opts: LineChartOptions): string {
  const pts = opts.series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
  if (pts.length === 0) throw new RangeError("lineChart: no finite points");
  // the legend column is as wide as its longest name; the plot keeps at least 480 px
  const right = Math.max(190, 60 + Math.ceil(CHAR_W * Math.max(0, ...opts.series.map((s) => s.name.length))));
  const left = 78, bottom = 64;
  const width = Math.max(opts.width ?? 820, left + 480 + right);
  const sub = subtitleLines(width, opts.subtitle, opts.better);
  const top = 60 + 15 * (sub.length - 1);
  const height = Math.max(opts.height ?? 460, top + 20 * opts.series.length + 40, top + 300 + bottom);
  const x0 = left, x1 = width - right, y0 = height - bottom, y1 = top;
  const xs = scale(opts.x, pts.map((p) => p.x), x0, x1, false);
  const ys = scale(opts.y, pts.flatMap((p) => [p.y, p.low ?? p.y, p.high ?? p.y]).filter(Number.isFinite), y0, y1, true);
  const fx = opts.x.format ?? formatTick, fy = opts.y.format ?? formatTick;
  const parts = header(width, height, opts.title, sub);
  parts.push(`<g class="grid" stroke="#e5e7eb">`);
  for (const t of xs.ticks) parts.push(`<line x1="${f1(xs.map(t))}" y1="${y1}" x2="${f1(xs.map(t))}" y2="${y0}"/>`);
  for (const t of ys.ticks) parts.push(`<line x1="${x0}" y1="${f1(ys.map(t))}" x2="${x1}" y2="${f1(ys.map(t))}"/>`);
  parts.push(`</g>`);
  parts.push(`<g class="x-axis">`, `<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}" stroke="#111"/>`);
  for (const t of xs.ticks) {
    parts.push(`<line x1="${f1(xs.map(t))}" y1="${y0}" x2="${f1(xs.map(t))}" y2="${y0 + 5}" stroke="#111"/>`);
    parts.push(`<text class="tick" x="${f1(xs.map(t))}" y="${y0 + 18}" text-anchor="middle">${escapeXml(fx(t))}</text>`);
  }
  parts.push(`<text class="axis-title" x="${f1((x0 + x1) / 2)}" y="${y0 + 42}" text-anchor="middle">${escapeXml(opts.x.title)}</text>`, `</g>`);
  parts.push(`<g class="y-axis">`, `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}" stroke="#111"/>`);
  for (const t of ys.ticks) {
    parts.push(`<line x1="${x0 - 5}" y1="${f1(ys.map(t))}" x2="${x0}" y2="${f1(ys.map(t))}" stroke="#111"/>`);
    parts.push(`<text class="tick" x="${x0 - 8}" y="${f1(ys.map(t) + 4)}" text-anchor="end">${escapeXml(fy(t))}</text>`);
  }
  const cy = (y0 + y1) / 2;
  parts.push(`<text class="axis-title" x="18" y="${f1(cy)}" text-anchor="middle" transform="rotate(-90 18 ${f1(cy)})">${escapeXml(opts.y.title)}</text>`, `</g>`);
  opts.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const sorted = [...s.points].filter((p) => Number.isFinite(p.x)).sort((a, b) => a.x - b.x);
    let d = "";
    let pen = false;
    for (const p of sorted) {
      if (!Number.isFinite(p.y)) { pen = false; continue; }
      d += `${pen ? "L" : "M"}${f1(xs.map(p.x))} ${f1(ys.map(p.y))}`;
      pen = true;
    }
    parts.push(`<g class="series">`);
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${escapeXml(color)}" stroke-width="2"${s.dashed ? ` stroke-dasharray="6 4"` : ""}/>`);
    for (const p of sorted) {
      if (!Number.isFinite(p.y)) continue;
      const px = f1(xs.map(p.x)), py = f1(ys.map(p.y));
      if (p.low !== undefined && p.high !== undefined && Number.isFinite(p.low) && Number.isFinite(p.high)) {
        parts.push(`<path d="M${px} ${f1(ys.map(p.low))}V${f1(ys.map(p.high))}" stroke="${escapeXml(color)}"/>`);
      }
      parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${escapeXml(color)}"/>`);
    }
    parts.push(`</g>`);
    const ly = top + 8 + i * 20;
    parts.push(`<g class="legend"><line x1="${x1 + 16}" y1="${ly}" x2="${x1 + 40}" y2="${ly}" stroke="${escapeXml(color)}" stroke-width="2"${s.dashed ? ` stroke-dasharray="6 4"` : ""}/>` +
      `<text x="${x1 + 46}" y="${ly + 4}">${escapeXml(s.name)}</text></g>`);
  });
  parts.push(`</svg>`, "");
  return parts.join("\n");
}
