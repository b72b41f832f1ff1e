// The units parser shared by the commands: bandwidths (bits vs bytes, decimal vs binary prefixes),
// latencies and --link, against hand-computed values.
import { describe, expect, it } from "vitest";
import { LINK_PRESETS } from "@tensorwire/collectives";
import { formatBandwidth, formatBytes, formatLatency, formatLink, parseBandwidth, parseLatency, parseLink } from "../src/cli/units.js";

describe("parseBandwidth", () => {
  it("reads bits (lower-case b, bit, bps) and bytes (upper-case B, byte) with decimal prefixes", () => {
    const cases: Array<[string, number]> = [
      ["1Gbit/s", 125e6], ["1 Gbit/s", 125e6], ["1gbit/s", 125e6], ["1Gb/s", 125e6], ["1Gbps", 125e6], ["1 Gbits/s", 125e6],
      ["10Mbit/s", 1.25e6], ["10Mb/s", 1.25e6], ["100kbit/s", 12500], ["8bit/s", 1],
      ["200MB/s", 200e6], ["200 MB/s", 200e6], ["200MBps", 200e6], ["200Mbyte/s", 200e6], ["200 megabytes/s".replace("megabytes", "Mbytes"), 200e6],
      ["25GB/s", 25e9], ["1TB/s", 1e12], ["1.5GB/s", 1.5e9], [".5GB/s", 0.5e9], ["2e3MB/s", 2e9], ["1B/s", 1],
      ["1MiB/s", 2 ** 20], ["1GiB/s", 2 ** 30], ["1Kibit/s", 128],
    ];
    for (const [s, v] of cases) expect(parseBandwidth(s), s).toBeCloseTo(v, 6);
  });

  it("bits and bytes differ by exactly 8", () => {
    expect(parseBandwidth("80Mbit/s")).toBe(parseBandwidth("10MB/s"));
  });

  it("rejects garbage, missing units, zero and negatives with a message naming the input", () => {
    for (const s of ["", "fast", "1", "1G", "1Gbit", "GB/s", "-1GB/s", "0GB/s", "1 GX/s", "1GB/h", "1e999GB/s", "1,5GB/s", "1Gbit/s extra", "Infinity B/s", "NaN MB/s"]) {
      expect(() => parseBandwidth(s), s).toThrow(RangeError);
    }
    expect(() => parseBandwidth("fast")).toThrow(/bad bandwidth "fast"/);
  });
});

describe("parseLatency", () => {
  it("reads s, ms, us, µs and ns; a bare 0", () => {
    const cases: Array<[string, number]> = [
      ["50us", 50e-6], ["50 µs", 50e-6], ["50μs", 50e-6], ["1ms", 1e-3], ["1.5ms", 1.5e-3], ["2s", 2], ["100ns", 1e-7], ["0", 0], ["0us", 0],
    ];
    for (const [s, v] of cases) expect(parseLatency(s), s).toBeCloseTo(v, 15);
  });
  it("rejects garbage and missing units", () => {
    for (const s of ["", "5", "-1ms", "1 min", "ms", "1MS", "1e999s", "fast"]) expect(() => parseLatency(s), s).toThrow(RangeError);
  });
});

describe("parseLink", () => {
  it("none and shm mean plain shared memory", () => {
    expect(parseLink("none")).toBeNull();
    expect(parseLink("shm")).toBeNull();
    expect(parseLink("SHM")).toBeNull();
  });
  it("keeps every LINK_PRESETS name working, with the preset's latency", () => {
    for (const [name, preset] of Object.entries(LINK_PRESETS)) expect(parseLink(name), name).toEqual(preset);
    // the same bandwidth spelled differently is the same preset
    expect(parseLink("1000Mbit/s")).toEqual(LINK_PRESETS["1Gbit/s"]);
    expect(parseLink("1.25GB/s")).toEqual(LINK_PRESETS["10Gbit/s"]);
  });
  it("reads <bandwidth>,<latency>; other bandwidths alone have latency 0", () => {
    expect(parseLink("200MB/s,50us")).toEqual({ bandwidthBytesPerSec: 200e6, latencySec: 50e-6 });
    expect(parseLink("1Gbit/s,1ms")).toEqual({ bandwidthBytesPerSec: 125e6, latencySec: 1e-3 });
    expect(parseLink("10Mbit/s")).toEqual({ bandwidthBytesPerSec: 1.25e6, latencySec: 0 });
    expect(parseLink(" 200MB/s , 0 ")).toEqual({ bandwidthBytesPerSec: 200e6, latencySec: 0 });
  });
  it("rejects bad parts", () => {
    for (const s of ["", "fast", "1Gbit/s,", ",50us", "1Gbit/s,50us,1", "1Gbit/s,fast", "50us"]) expect(() => parseLink(s), s).toThrow(RangeError);
  });
});

describe("formatting", () => {
  it("prints bandwidths, latencies, links and sizes for people", () => {
    expect(formatBandwidth(125e6)).toBe("1 Gbit/s");
    expect(formatBandwidth(1.25e6)).toBe("10 Mbit/s");
    expect(formatBandwidth(200e6)).toBe("1.6 Gbit/s");
    expect(formatBandwidth(200e6, { bytes: true })).toBe("200 MB/s");
    expect(formatBandwidth(25e9, { bytes: true })).toBe("25 GB/s");
    expect(formatLatency(50e-6)).toBe("50 µs");
    expect(formatLatency(1e-3)).toBe("1 ms");
    expect(formatLatency(0)).toBe("0 s");
    expect(formatLink(null)).toMatch(/shared memory/);
    expect(formatLink({ bandwidthBytesPerSec: 125e6, latencySec: 50e-6 })).toBe("1 Gbit/s, 50 µs");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1056540)).toBe("1.01 MiB");
  });
  it("round-trips: parse(format(x)) = x for the presets", () => {
    for (const p of Object.values(LINK_PRESETS)) expect(parseBandwidth(formatBandwidth(p.bandwidthBytesPerSec).replace(" ", ""))).toBeCloseTo(p.bandwidthBytesPerSec, 3);
  });
});
