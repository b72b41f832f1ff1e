// Compressed all-reduce, scheme (a) "allgather": quantize once → all-gather packed → decode-sum locally.
// The segment is cut into J pieces (multiples of 128 elements, J ≤ 64), each its own packed tensor
// (for nvfp4: its own tensor scale), and pipelined:
//   prepare: quantize piece 0 of my input into P(r) (the arrival publishes it)
//   run, for j = 1 … J−1: quantize piece j → publish (step arrive+j) → consume what is ready; then
//     consume the rest in order
//   consume piece j: every peer published piece j (and, with a link model, its emulated transfer
//     has arrived); then dst = decode P(0) + … + decode P(p−1) in rank order (tw_dequantize_sum,
//     which works in L1-sized chunks) — the same bytes in the same order on every rank → bit-identical.
// On shared memory piece j−1 is consumed right after piece j is published (it is still in cache).
// With a link model the pieces are in flight while this rank keeps quantizing: it decodes only
// pieces that have arrived and blocks only after its last piece, so quantization, transfer and
// decoding overlap as on a real pipelined link, and a long link latency is paid about once, not
// once per piece (see run() for when a piece counts as available).
// One quantization per input: the error is Σ_r err(x_r), independent of the order.
// Hazards: peers read P(r) until they return. P alternates between two regions by op parity, and the
// next op with this parity starts only after every peer has arrived at the op in between, so no final
// barrier is needed (a small message costs one synchronization, like one-shot). Only r reads its own
// input in this scheme, so dst may be X(r).
// Bytes per rank: (p−1)·B(n) each way, B = packed bytes. Pays over two-shot only when c > p/2.
import { MAX_PIECES } from "../engine.js";
import type { Engine } from "../engine.js";
import type { AllReduceAlgorithm, Segment } from "./types.js";

const MIN_PIECE = 32768;

/** Piece length for a segment: ≥ MIN_PIECE, a multiple of 128, at most MAX_PIECES pieces. */
export function pieceLength(len: number): number {
  return Math.max(MIN_PIECE, Math.ceil(len / MAX_PIECES / 128) * 128);
}

function quantizePiece(e: Engine, seg: Segment, j: number, L: number, fullBytes: number): void {
  const start = j * L;
  e.quantize(seg.desc, e.I(e.rank) + 4 * start, Math.min(L, seg.len - start), e.P(e.rank) + j * fullBytes, (seg.seed + j) >>> 0);
  if (e.link) e.pieceTimes[j] = performance.now();
}

export const compressedAllgather: AllReduceAlgorithm = {
  name: "compressed-allgather",
  id: 4,
  prepare(e, seg) {
    if (seg.len === 0) return;
    const L = pieceLength(seg.len);
    quantizePiece(e, seg, 0, L, e.k.tw_bytes_for(seg.desc, Math.min(L, seg.len)));
  },
  run(e, seg) {
    const { len, dst, desc, arrive } = seg;
    const p = e.p, r = e.rank;
    const L = pieceLength(len);
    const J = Math.ceil(len / L);
    const fullBytes = J > 0 ? e.k.tw_bytes_for(desc, Math.min(L, len)) : 0;
    const decode = (j: number): void => {
      const start = j * L, m = Math.min(L, len - start), off = j * fullBytes;
      e.sent((p - 1) * e.k.tw_bytes_for(desc, m));
      e.dequantizeSum(desc, (q) => e.P(q) + off, m, dst + 4 * start);
    };
    if (!e.link) {
      // shared memory: consume piece j−1 right after publishing piece j (it is still in cache)
      for (let j = 1; j < J; j++) {
        quantizePiece(e, seg, j, L, fullBytes);
        e.sync.publish();
        if (j > 1) for (let q = 0; q < p; q++) if (q !== r) e.sync.waitFor(q, arrive + j - 1);
        e.received((p - 1) * e.k.tw_bytes_for(desc, L));
        decode(j - 1);
      }
      if (J > 0) {
        if (J > 1) for (let q = 0; q < p; q++) if (q !== r) e.sync.waitFor(q, arrive + J - 1);
        e.received((p - 1) * e.k.tw_bytes_for(desc, len - (J - 1) * L));
        decode(J - 1);
      }
      return;
    }
    // link model: a piece is in flight from the moment it is available, so this rank keeps
    // quantizing and only decodes the pieces that have arrived; it blocks only after its last
    // piece. Transfers are charged in piece order (one FIFO link). Piece j (j ≥ 1) is available at
    // max(this rank's own publish time of piece j, the last look that did not find it at every
    // peer, the end of a blocking wait for it): ranks run the same schedule, and clocks of
    // different threads are not comparable. Piece 0 came with the arrival, seen when run started.
    const times = e.pieceTimes, arrivals = e.pieceArrivals;
    const t0 = performance.now();
    let charged = 0, next = 0, missAt = 0;
    const charge = (j: number, blocking: boolean): boolean => {
      let avail = j === 0 ? t0 : times[j]!;
      if (j > 0) {
        for (let q = 0; q < p; q++) {
          if (q === r || e.sync.has(q, arrive + j)) continue;
          if (!blocking) {
            missAt = performance.now();
            return false;
          }
          e.sync.waitFor(q, arrive + j);
          avail = Math.max(avail, performance.now());
        }
        avail = Math.max(avail, missAt);
      }
      missAt = 0;
      arrivals[j] = e.chargeTransfer((p - 1) * e.k.tw_bytes_for(desc, Math.min(L, len - j * L)), avail);
      return true;
    };
    const drain = (published: number, blocking: boolean): void => {
      while (next < published) {
        // charge what has been published everywhere (blocking: just the piece to decode next)
        while (charged < published && (!blocking || charged <= next) && charge(charged, blocking)) charged++;
        if (charged <= next) return; // the next piece is not published by every peer yet
        // not arrived yet: wait when it is due within the time one piece's quantization takes
        // (the piece is then decoded while its dst is still in cache), else go quantize
        if (!blocking && arrivals[next]! - performance.now() > pieceMs) return;
        e.waitArrival(arrivals[next]!);
        decode(next++);
      }
    };
    let pieceMs = 0;
    for (let j = 1; j < J; j++) {
      const tq = performance.now();
      quantizePiece(e, seg, j, L, fullBytes);
      pieceMs = performance.now() - tq;
      e.sync.publish();
      drain(j + 1, false);
    }
    drain(J, true);
  },
};
