/**
 * Link emulation: lets one machine behave like ranks joined by a slower interconnect.
 *
 * Model (α–β, "Hockney", with a FIFO link): each rank has one full-duplex link to a switch. Every
 * algorithm step in which a rank reads B > 0 bytes from its peers' buffers is one transfer on the
 * reader's incoming link:
 *
 *     start   = max(link free, data available)      // available = the producing peer published it
 *     free    = start + B / bandwidthBytesPerSec    // the link is busy while the bytes stream in
 *     arrival = free + latencySec                   // propagation; does not occupy the link
 *
 * and the reader may not touch the data before `arrival`: it parks in Atomics.wait on the abort word
 * (so an abort still interrupts it) for all but the last 0.2 ms of delays over 0.3 ms, and busy-waits
 * the rest. Bytes from several peers in one step share the link, so they add up; the latency is paid
 * once per step (messages of one step are in flight concurrently). "Available" is the moment the wait
 * for the peer returned, except in the pipelined compressed allgather, whose piece j is available at
 * this rank's own publish time of piece j when the peer had already published it (ranks run the same
 * schedule; clocks of different threads are not comparable) — so quantizing, transferring and
 * decoding overlap as on a real pipelined link. Steps that only synchronise (arrival, barriers, the
 * final "done reading" step) carry no payload and are not charged. For the non-pipelined algorithms
 * the emulated time of a call ≈ Σ_steps (latency + B/bandwidth) + local work; `modelledSeconds`
 * gives the link part, and test/link.test.ts checks measured wall time ≥ it.
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
