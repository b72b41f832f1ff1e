// quant-wasm: the exported ABI (FORMATS.md section 6). This file only validates and dispatches;
// each format family lives in its own file. Kernels never allocate: the host owns all memory.
import {
  validate, bytesFor, descFormat, scaleBytes, descScale, descBlock, elementBits,
  FMT_F32, FMT_FP16, FMT_BF16, FMT_Q8_0, FMT_Q4_0, FMT_INT8, FMT_INT4, FMT_NVFP4,
  ERR_ARGUMENT,
} from "./formats";
import { castQuantize, castDequantize } from "./casts";
import { ggmlQuantize, ggmlDequantize } from "./ggml";
import { intQuantize, intDequantize } from "./intblock";
import { mfQuantize, mfDequantize } from "./minifloat";
import { nvfp4Quantize, nvfp4Dequantize } from "./nvfp4";

export const ABI_VERSION: i32 = 2;

export function tw_abi_version(): i32 {
  return ABI_VERSION;
}

/** First byte of linear memory the host may use (below it: this module's static data). */
export function tw_heap_base(): usize {
  return (__heap_base + 15) & ~15;
}

export function tw_bytes_for(desc: u32, n: u32): i32 {
  const v = validate(desc);
  if (v < 0) return v;
  const b = bytesFor(desc, n);
  if (b > 0x7fffffff) return ERR_ARGUMENT;
  return <i32>b;
}

function quantizeFrom(desc: u32, src: usize, n: u32, dst: usize, seed: u32, index0: u32): i32 {
  const fmt = descFormat(desc);
  if (fmt == FMT_F32 || fmt == FMT_FP16 || fmt == FMT_BF16) return castQuantize(desc, src, n, dst);
  if (fmt == FMT_Q8_0 || fmt == FMT_Q4_0) return ggmlQuantize(desc, src, n, dst);
  if (fmt == FMT_INT8 || fmt == FMT_INT4) return intQuantize(desc, src, n, dst, seed, index0);
  if (fmt == FMT_NVFP4) return nvfp4Quantize(desc, src, n, dst, seed);
  return mfQuantize(desc, src, n, dst, seed, index0);
}

function dequantizeInto(desc: u32, src: usize, n: u32, dst: usize, acc: bool): void {
  const fmt = descFormat(desc);
  if (fmt == FMT_F32 || fmt == FMT_FP16 || fmt == FMT_BF16) castDequantize(desc, src, n, dst, acc);
  else if (fmt == FMT_Q8_0 || fmt == FMT_Q4_0) ggmlDequantize(desc, src, n, dst, acc);
  else if (fmt == FMT_INT8 || fmt == FMT_INT4) intDequantize(desc, src, n, dst, acc);
  else if (fmt == FMT_NVFP4) nvfp4Dequantize(desc, src, n, dst, acc);
  else mfDequantize(desc, src, n, dst, acc);
}

export function tw_quantize(desc: u32, src: usize, n: u32, dst: usize, seed: u32): i32 {
  const v = validate(desc);
  if (v < 0) return v;
  if ((src & 3) != 0) return ERR_ARGUMENT;
  return quantizeFrom(desc, src, n, dst, seed, 0);
}

export function tw_dequantize(desc: u32, src: usize, n: u32, dst: usize): i32 {
  const v = validate(desc);
  if (v < 0) return v;
  if ((dst & 3) != 0) return ERR_ARGUMENT;
  dequantizeInto(desc, src, n, dst, false);
  return 0;
}

export function tw_dequantize_accumulate(desc: u32, src: usize, n: u32, dst: usize): i32 {
  const v = validate(desc);
  if (v < 0) return v;
  if ((dst & 3) != 0) return ERR_ARGUMENT;
  dequantizeInto(desc, src, n, dst, true);
  return 0;
}

/** Elements per chunk of the fused kernels: a multiple of every block size, small enough for L1/L2. */
const CHUNK: u32 = 4096;

/**
 * dst = Σ_j decode(srcs[j] + byteOff) over m elements, j = 0 … k−1 in index order (a decode, then
 * k−1 decode-accumulates). srcs points at k u32 pointers to packed tensors.
 */
function sumPacked(desc: u32, srcs: usize, k: u32, byteOff: usize, m: u32, dst: usize): void {
  for (let j: u32 = 0; j < k; j++) dequantizeInto(desc, <usize>load<u32>(srcs + (<usize>j << 2)) + byteOff, m, dst, j > 0);
}

/**
 * Sum k packed inputs in f32 (index order) and quantize the sum. srcs points at k u32 pointers;
 * scratch holds n f32. Works chunk by chunk (block-aligned) so the partial sums stay in cache;
 * nvfp4 needs the whole tensor's amax first, so it reduces everything before quantizing.
 */
export function tw_reduce_quantize(
  desc: u32, srcs: usize, k: u32, n: u32, dst: usize, scratch: usize, seed: u32,
): i32 {
  const v = validate(desc);
  if (v < 0) return v;
  if (k == 0 || (scratch & 3) != 0 || (srcs & 3) != 0) return ERR_ARGUMENT;
  const fmt = descFormat(desc);
  if (fmt == FMT_NVFP4) {
    sumPacked(desc, srcs, k, 0, n, scratch);
    return nvfp4Quantize(desc, scratch, n, dst, seed);
  }
  // bytes per chunk of CHUNK elements (CHUNK is a multiple of the block, so this is exact)
  const chunkBytes = <usize>bytesFor(desc, CHUNK);
  let clipped: i32 = 0;
  for (let off: u32 = 0; off < n; off += CHUNK) {
    const m = min(CHUNK, n - off);
    const chunk = <usize>(off / CHUNK) * chunkBytes;
    const acc = scratch + (<usize>off << 2);
    sumPacked(desc, srcs, k, chunk, m, acc);
    const r = quantizeFrom(desc, acc, m, dst + chunk, seed, off);
    if (r < 0) return r;
    clipped += r;
  }
  return clipped;
}

/**
 * Quantize n f32 at src into dst (exactly the bytes tw_quantize writes) and write the values those
 * bytes decode to (exactly what tw_dequantize gives) into out: "fake quantization" for quality
 * studies, and the own-contribution of a compressed all-reduce, in one cache-resident sweep. Works
 * chunk by chunk (block-aligned), so each chunk is decoded while it is still in L1; out may equal
 * src (in place), but must not overlap dst. nvfp4 needs the whole tensor's amax first, so it
 * quantizes everything before decoding. Returns what tw_quantize returns.
 */
export function tw_quantize_dequantize(desc: u32, src: usize, n: u32, dst: usize, out: usize, seed: u32): i32 {
  const v = validate(desc);
  if (v < 0) return v;
  if ((src & 3) != 0 || (out & 3) != 0) return ERR_ARGUMENT;
  if (descFormat(desc) == FMT_NVFP4) {
    const r = nvfp4Quantize(desc, src, n, dst, seed);
    if (r < 0) return r;
    nvfp4Dequantize(desc, dst, n, out, false);
    return r;
  }
  const chunkBytes = <usize>bytesFor(desc, CHUNK);
  let clipped: i32 = 0;
  for (let off: u32 = 0; off < n; off += CHUNK) {
    const m = min(CHUNK, n - off);
    const chunk = dst + <usize>(off / CHUNK) * chunkBytes;
    const r = quantizeFrom(desc, src + (<usize>off << 2), m, chunk, seed, off);
    if (r < 0) return r;
    clipped += r;
    dequantizeInto(desc, chunk, m, out + (<usize>off << 2), false);
  }
  return clipped;
}

/**
 * dst = Σ_j dequantize(srcs[j]) for j = 0 … k−1, summed in index order in f32: bit for bit what
 * tw_dequantize of srcs[0] followed by tw_dequantize_accumulate of srcs[1] … srcs[k−1] gives, in one
 * chunked sweep that keeps each chunk of dst in cache. srcs points at k u32 pointers, each to a
 * packed tensor of n elements. k = 0 is an argument error.
 */
export function tw_dequantize_sum(desc: u32, srcs: usize, k: u32, n: u32, dst: usize): i32 {
  const v = validate(desc);
  if (v < 0) return v;
  if (k == 0 || (dst & 3) != 0 || (srcs & 3) != 0) return ERR_ARGUMENT;
  if (descFormat(desc) == FMT_NVFP4) {
    sumPacked(desc, srcs, k, 0, n, dst);
    return 0;
  }
  const chunkBytes = <usize>bytesFor(desc, CHUNK);
  for (let off: u32 = 0; off < n; off += CHUNK) {
    sumPacked(desc, srcs, k, <usize>(off / CHUNK) * chunkBytes, min(CHUNK, n - off), dst + (<usize>off << 2));
  }
  return 0;
}

// keep the helpers referenced so unused-import elimination does not hide a typo
export function tw_element_bits(desc: u32): i32 {
  const v = validate(desc);
  if (v < 0) return v;
  return elementBits(descFormat(desc));
}

export function tw_block_bytes(desc: u32): i32 {
  const v = validate(desc);
  if (v < 0) return v;
  const b = descBlock(desc);
  if (b == 0) return elementBits(descFormat(desc)) >> 3;
  return scaleBytes(descScale(desc)) + ((b * elementBits(descFormat(desc))) >> 3);
}
