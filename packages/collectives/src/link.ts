/**
 * Link emulation: lets one machine behave like ranks joined by a slower interconnect.
 *
 * Model (α–β, "Hockney"): each rank has one full-duplex link to a switch. In every algorithm step in
 * which a rank reads B > 0 bytes from its peers' buffers, the rank is charged
 *
 *     t = latencySec + B / bandwidthBytesPerSec
 *
 * of wall time after the data became available (the wait for the producing peer returned) and before
 * it reads the data: the reader busy-waits (or, for delays over 2 ms, parks in Atomics.wait on the
 * abort word, so an abort still interrupts it) until t has passed. Bytes from several peers in the
 * same step share the reader's link, so they add up; the latency is charged once per step (messages
 * of one step are in flight concurrently). Steps that only synchronise (barriers, the final
 * "done reading" step) carry no payload and are not charged. Local work (codec, sums, copies) is not
 * overlapped with link time, so the emulated time of a call ≈ Σ_steps t + local work; the model's
 * own prediction is `modelledSeconds` below, and test/link.test.ts checks measured ≥ modelled.
 */
import type { LinkModel } from "./types.js";

/** Presets used by the benchmark (latencies are typical one-way software latencies, assumptions). */
export const LINK_PRESETS = {
  /** PCIe 4.0 x16-class / NVLink-lite: 25 GB/s, 5 µs */
  "25GB/s": { bandwidthBytesPerSec: 25e9, latencySec: 5e-6 },
  /** 10 Gbit Ethernet: 1.25 GB/s, 20 µs */
  "10Gbit/s": { bandwidthBytesPerSec: 1.25e9, latencySec: 20e-6 },
  /** 1 Gbit Ethernet: 125 MB/s, 50 µs */
  "1Gbit/s": { bandwidthBytesPerSec: 0.125e9, latencySec: 50e-6 },
} as const satisfies Record<string, LinkModel>;

/** Seconds charged for one step that reads `bytes` from peers (0 when nothing is read). */
export function stepSeconds(link: LinkModel, bytes: number): number {
  return bytes > 0 ? link.latencySec + bytes / link.bandwidthBytesPerSec : 0;
}

/** Seconds charged for a sequence of steps, each given by the bytes the rank reads in it. */
export function modelledSeconds(link: LinkModel, stepBytes: readonly number[]): number {
  let t = 0;
  for (const b of stepBytes) t += stepSeconds(link, b);
  return t;
}

export function validateLink(link: LinkModel | null | undefined): LinkModel | null {
  if (link == null) return null;
  const { bandwidthBytesPerSec: bw, latencySec: lat } = link;
  if (!(bw > 0) || !Number.isFinite(bw)) throw new RangeError(`link.bandwidthBytesPerSec must be a positive number, got ${bw}`);
  if (!(lat >= 0) || !Number.isFinite(lat)) throw new RangeError(`link.latencySec must be a non-negative number, got ${lat}`);
  return { bandwidthBytesPerSec: bw, latencySec: lat };
}
