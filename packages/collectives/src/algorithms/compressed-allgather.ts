// Compressed all-reduce, scheme (a) "allgather": quantize once → all-gather packed → decode-sum locally.
// The segment is cut into J pieces (multiples of 128 elements, J ≤ 64), each its own packed tensor
// (for nvfp4: its own tensor scale), and pipelined:
//   prepare: quantize piece 0 of my input into P(r) (the arrival publishes it)
//   run, for j = 1 … J−1: quantize piece j → publish (step arrive+j) → consume piece j−D; then
//     consume the rest
//   consume piece j: wait until every peer published piece j, charge the link for the (p−1) packed
//     pieces, then dst = decode P(0) + … + decode P(p−1) in rank order (tw_dequantize_sum, which
//     works in L1-sized chunks) — the same bytes in the same order on every rank → bit-identical.
// D = 1 on shared memory (piece j−1 is still in cache). With a link model, piece j's transfer
// starts when it was published (this rank's own publish time of piece j: ranks run the same
// schedule) or when the wait for it ended, whichever is later, so quantization, transfer and
// decoding overlap as on a real pipelined link; D > 1 keeps more pieces in flight when the latency
// is long next to a piece's work, so the latency is paid about once per call, not once per piece.
// One quantization per input: the error is Σ_r err(x_r), independent of the order.
// Hazards: peers read P(r) until they return. P alternates between two regions by op parity, and the
// next op with this parity starts only after every peer has arrived at the op in between, so no final
// barrier is needed (a small message costs one synchronization, like one-shot). Only r reads its own
// input in this scheme, so dst may be X(r).
// Bytes per rank: (p−1)·B(n) each way, B = packed bytes. Pays over two-shot only when c > p/2.
import { CAPACITY_ALIGN, MAX_PIECES } from "../layout.js";
import type { Engine } from "../engine.js";
import type { AllReduceAlgorithm, Segment } from "./types.js";

const MIN_PIECE = 32768;

/**
 * Piece length for a segment: ≥ MIN_PIECE, a multiple of CAPACITY_ALIGN (quant-wasm's largest block,
 * so every piece is block-aligned for any codec), at most MAX_PIECES pieces.
 */
export function pieceLength(len: number): number {
  return Math.max(MIN_PIECE, Math.ceil(len / MAX_PIECES / CAPACITY_ALIGN) * CAPACITY_ALIGN);
}

function quantizePiece(e: Engine, seg: Segment, j: number, L: number, fullBytes: number): void {
  const start = j * L;
  e.quantize(seg.desc, e.I(e.rank) + 4 * start, Math.min(L, seg.len - start), e.P(e.rank) + j * fullBytes, (seg.seed + j) >>> 0);
  if (e.link) e.pieceTimes[j] = performance.now();
}

export const compressedAllgather: AllReduceAlgorithm = {
  prepare(e, seg) {
    if (seg.len === 0) return;
    const L = pieceLength(seg.len);
    quantizePiece(e, seg, 0, L, e.k.bytesFor(seg.desc, Math.min(L, seg.len)));
  },
  run(e, seg) {
    const { len, dst, desc, arrive } = seg;
    const p = e.p, r = e.rank;
    const L = pieceLength(len);
    const J = Math.ceil(len / L);
    const fullBytes = J > 0 ? e.k.bytesFor(desc, Math.min(L, len)) : 0;
    const times = e.pieceTimes;
    // consume piece j: wait for every peer's piece j, charge the link, decode-sum into dst
    const consume = (j: number): void => {
      const start = j * L, m = Math.min(L, len - start), bytes = e.k.bytesFor(desc, m);
      const slow0 = e.sync.slowWaits;
      if (j > 0) for (let q = 0; q < p; q++) if (q !== r) e.sync.waitFor(q, arrive + j);
      // piece 0 came with the arrival: count it from now (when the peer's arrival was seen)
      e.received((p - 1) * bytes, j > 0 && e.sync.slowWaits === slow0 ? times[j]! : undefined);
      e.sent((p - 1) * bytes);
      e.dequantizeSum(desc, j * fullBytes, m, dst + 4 * start);
    };
    // Consume piece j − D after publishing piece j. D = 1 on shared memory and on most links (the
    // piece is decoded while its dst is still in cache). With a link whose latency is long next to
    // one piece's work and wire time, D pieces are kept in flight so that the latency is paid about
    // once per call, not once per piece. D comes from this rank's quantize time of piece 1 (a
    // piece's local work ≈ 3 quantizations: its quantization plus the decode-sum); ranks may pick
    // different D: the lag only orders this rank's own work.
    let D = 1, next = 0;
    for (let j = 1; j < J; j++) {
      const tq = j === 1 && e.link ? performance.now() : 0;
      quantizePiece(e, seg, j, L, fullBytes);
      if (j === 1 && e.link) {
        const workMs = 3 * (performance.now() - tq);
        const wireMs = (1000 * (p - 1) * fullBytes) / e.link.bandwidthBytesPerSec;
        D = Math.min(J, 1 + Math.floor((1000 * e.link.latencySec) / Math.max(workMs + wireMs, 1e-3)));
      }
      e.sync.publish();
      while (next <= j - D) consume(next++);
    }
    while (next < J) consume(next++);
  },
};
