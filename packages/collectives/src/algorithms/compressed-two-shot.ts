// Compressed all-reduce, scheme (b) "two-shot" (QuickReduce-style):
// prepare: rank r quantizes its input chunk by chunk into P(r): chunk c (boundaries multiples of the
//   codec block, at least 16 elements) is its own packed tensor at byte offset o_c = Σ_{c'<c} B(n_c')
//   (for nvfp4 each chunk carries its own 4-byte tensor scale; all ranks agree on the boundaries).
// step 0 (after arrival): owner r runs tw_reduce_quantize over the p packed copies of chunk r, in rank
//   order: decode, sum in f32, requantize into R(r) (scratch S(r)).
// step 1 (after a barrier): every rank decodes every owner's R(c) into dst: the same bytes everywhere
//   → bit-identical. Two quantizations: the error is Σ_r err(x_r) + err(requantized sum).
// Bytes per rank: 2(p−1)/p·B(n) each way. Hazards: peers read P(r) only in step 0 (ends at the
// barrier); R(r) is read in step 1 and next written after the next call's arrival. dst may be X(r).
import type { Engine } from "../engine.js";
import type { AllReduceAlgorithm, Segment } from "./types.js";

/** Chunk boundaries: multiples of the codec's block (quant-wasm's alignment), at least 16 elements. */
function chunkAlign(seg: Segment): number {
  return Math.max(16, seg.align);
}

/** Packed byte offsets of the chunks (o[c], o[p] = total). */
function packedOffsets(e: Engine, seg: Segment, cs: Int32Array, out: number[]): void {
  out.length = 0;
  let o = 0;
  for (let c = 0; c < e.p; c++) {
    out.push(o);
    const n = cs[c + 1]! - cs[c]!;
    if (n > 0) o += e.k.bytesFor(seg.desc, n);
  }
  out.push(o);
}

const offsets: number[] = [];

export const compressedTwoShot: AllReduceAlgorithm = {
  prepare(e, seg) {
    const cs = e.chunkStarts(seg.len, chunkAlign(seg));
    packedOffsets(e, seg, cs, offsets);
    const X = e.I(e.rank), P = e.P(e.rank);
    for (let c = 0; c < e.p; c++) {
      e.quantize(seg.desc, X + 4 * cs[c]!, cs[c + 1]! - cs[c]!, P + offsets[c]!, (seg.seed + c) >>> 0);
    }
  },
  run(e, seg) {
    const { len, dst, desc } = seg;
    const p = e.p, r = e.rank;
    const cs = e.chunkStarts(len, chunkAlign(seg));
    packedOffsets(e, seg, cs, offsets);
    const mine = offsets[r + 1]! - offsets[r]!;
    const total = offsets[p]!;
    e.received((p - 1) * mine);
    e.sent(total - mine);
    e.reduceQuantize(desc, (q) => e.P(q) + offsets[r]!, cs[r + 1]! - cs[r]!, e.R(r), e.S(r), (seg.seed ^ 0x5bd1e995) >>> 0);
    e.sync.barrier();
    e.received(total - mine);
    e.sent((p - 1) * mine);
    for (let c = 0; c < p; c++) e.dequantize(desc, e.R(c), cs[c + 1]! - cs[c]!, dst + 4 * cs[c]!, false);
  },
};
