// The SVG chart module: well-formed standalone documents with axes, ticks, axis titles, legend and
// the "better" subtitle; tick helpers against hand-computed values; bad input rejected.
import { describe, expect, it } from "vitest";
import { barChart, escapeXml, formatTick, lineChart, logTicks, niceTicks } from "../src/svg.js";
import { formatBandwidth } from "../src/cli/units.js";
import { checkWellFormedXml } from "./xml.js";

describe("tick helpers", () => {
  it("niceTicks: steps of 1, 2, 5 × 10^k covering the range", () => {
    expect(niceTicks(0, 3.88, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0, 0.037, 5)).toEqual([0, 0.01, 0.02, 0.03, 0.04]);
    expect(niceTicks(-1, 1, 4)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks(5, 5).length).toBeGreaterThan(1);
    expect(() => niceTicks(0, Infinity)).toThrow(RangeError);
  });
  it("logTicks: powers of ten, with 2 and 5 on short ranges", () => {
    expect(logTicks(1.25e6, 25e9)).toEqual([1e6, 1e7, 1e8, 1e9, 1e10, 1e11]);
    expect(logTicks(3, 40)).toEqual([1, 2, 5, 10, 20, 50, 100]);
    expect(() => logTicks(0, 10)).toThrow(/positive/);
  });
  it("formatTick and escapeXml", () => {
    expect(formatTick(0)).toBe("0");
    expect(formatTick(0.30000000000000004)).toBe("0.3");
    expect(formatTick(1e7)).toBe("1.0e7");
    expect(escapeXml(`a<b & "c">`)).toBe("a&lt;b &amp; &quot;c&quot;&gt;");
  });
});

describe("the xml checker itself", () => {
  it("rejects what is not well-formed", () => {
    for (const bad of ["<a><b></a></b>", "<a>", "<a x=1/>", "<a x=\"1\" x=\"2\"/>", "<a>1 < 2</a>", "<a>&nbsp;</a>", "<a/><b/>", "text<a/>"]) {
      expect(() => checkWellFormedXml(bad), bad).toThrow();
    }
    expect(checkWellFormedXml(`<?xml version="1.0"?>\n<a x="1"><b/>t &amp; u<!-- c --></a>\n`)).toBe("a");
  });
});

describe("barChart", () => {
  const svg = barChart({
    title: "all-reduce time <by codec>",
    subtitle: "2 ranks, 4 MiB",
    better: "lower is better",
    axisTitle: "all-reduce time (ms)",
    bars: [
      { label: "f32", value: 3.9, low: 3.8, high: 4.0, baseline: true, note: "baseline" },
      { label: "mxfp4", value: 1.5, low: 1.4, high: 1.7, note: "2.55x & more" },
    ],
    format: (v) => `${v.toFixed(2)} ms`,
  });
  it("is a well-formed standalone SVG with an axis, ticks, titles and whiskers", () => {
    expect(checkWellFormedXml(svg)).toBe("svg");
    expect(svg).toContain(`xmlns="http://www.w3.org/2000/svg"`);
    expect(svg).toContain("all-reduce time &lt;by codec&gt;");
    expect(svg).toContain("2 ranks, 4 MiB — lower is better");
    expect(svg).toContain(`class="axis-title"`);
    expect(svg).toContain("all-reduce time (ms)");
    for (const t of ["0", "1", "2", "3", "4"]) expect(svg).toContain(`class="tick" x=`), expect(svg).toMatch(new RegExp(`>${t}</text>`));
    expect((svg.match(/class="whisker"/g) ?? []).length).toBe(2);
    expect(svg).toContain("1.50 ms  2.55x &amp; more");
  });
  it("rejects negative, NaN and empty input, and a chart that does not say what is better", () => {
    const base = { title: "t", better: "lower is better", axisTitle: "ms" };
    expect(() => barChart({ ...base, bars: [] })).toThrow(/no bars/);
    expect(() => barChart({ ...base, bars: [{ label: "a", value: NaN }] })).toThrow(/not finite/);
    expect(() => barChart({ ...base, bars: [{ label: "a", value: -1 }] })).toThrow(/not finite and ≥ 0/);
    expect(() => barChart({ ...base, better: " ", bars: [{ label: "a", value: 1 }] })).toThrow(/better/);
  });
});

describe("lineChart", () => {
  const bw = [1.25e6, 12.5e6, 125e6, 1.25e9, 12.5e9];
  const svg = lineChart({
    title: "TTFT vs link bandwidth",
    subtitle: "stories260K, TP = 2",
    better: "lower TTFT is better",
    x: { title: "link bandwidth (bit/s)", log: true, format: (v) => formatBandwidth(v) },
    y: { title: "time to first token (ms)" },
    series: [
      { name: "uncompressed", points: bw.map((x) => ({ x, y: 1 + 4e6 / x, low: 0.9 + 4e6 / x, high: 1.1 + 4e6 / x })) },
      { name: "mxfp4", points: bw.map((x) => ({ x, y: 1.1 + 1e6 / x })), dashed: true },
      { name: "gap", points: [{ x: 1e6, y: 1 }, { x: 1e7, y: NaN }, { x: 1e8, y: 2 }] },
    ],
  });
  it("is well-formed with both axes, log ticks labelled with units, a legend and series", () => {
    expect(checkWellFormedXml(svg)).toBe("svg");
    expect(svg).toContain(`class="x-axis"`);
    expect(svg).toContain(`class="y-axis"`);
    expect(svg).toContain("link bandwidth (bit/s)");
    expect(svg).toContain("time to first token (ms)");
    expect(svg).toContain("stories260K, TP = 2 — lower TTFT is better");
    for (const t of ["8 Mbit/s", "80 Mbit/s", "800 Mbit/s", "8 Gbit/s", "80 Gbit/s"]) expect(svg).toContain(`>${t}</text>`);
    expect((svg.match(/class="legend"/g) ?? []).length).toBe(3);
    for (const n of ["uncompressed", "mxfp4", "gap"]) expect(svg).toContain(`>${n}</text>`);
    expect(svg).toContain(`stroke-dasharray="6 4"`);
    // the NaN point breaks the gap series into two sub-paths
    const gap = svg.split(`<g class="series">`)[3]!;
    expect((gap.match(/M/g) ?? []).length).toBe(2);
  });
  it("maps log x positions proportionally to log10 (one decade = equal distance)", () => {
    const xs = [...svg.split(`<g class="series">`)[2]!.matchAll(/<circle cx="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(xs).toHaveLength(5);
    const d = xs.slice(1).map((x, i) => x - xs[i]!);
    for (const v of d) expect(v).toBeCloseTo(d[0]!, 0);
  });
  it("rejects non-positive values on a log axis and empty charts", () => {
    const base = { title: "t", better: "higher is better", x: { title: "x", log: true }, y: { title: "y" } };
    expect(() => lineChart({ ...base, series: [{ name: "a", points: [{ x: 0, y: 1 }] }] })).toThrow(/log axis/);
    expect(() => lineChart({ ...base, series: [] })).toThrow(/no finite points/);
  });
});
