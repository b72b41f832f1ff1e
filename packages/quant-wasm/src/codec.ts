// Codec objects: one format + block + scale + rounding bound to one kernels instance.
// Two levels of call:
// - pointer level (encodePtr, decodePtr, ...): zero-copy, the caller owns the layout of the memory;
// - typed-array level (encode, decode, ...): arguments that already lie in the kernels' memory are
//   used in place, everything else is staged through a WasmArena (default: a growable per-instance one).
import {
  resolveCodec, descriptorOf, bytesFor as specBytesFor, bitsPerValue as specBitsPerValue,
  type CodecOptions, type CodecSpec, type FormatName,
} from "./formats.js";
import type { QuantKernels } from "./kernels.js";
import { type KernelHandle, createKernelHandle } from "./handle.js";
import { defaultArena, isInMemory, u8View, f32View, currentBuffer, type WasmArena } from "./arena.js";

export interface CreateCodecOptions extends CodecOptions {
  /** Staging memory for the typed-array calls (default: the kernels' growable default arena). */
  arena?: WasmArena;
}

export interface EncodeOptions {
  /** Seed of the stochastic-rounding hash (u32, default 0; ignored with rne rounding). */
  seed?: number;
}

export interface EncodeResult {
  /** The packed bytes: exactly bytesFor(n) long (a subarray of `out` when one was given). */
  bytes: Uint8Array;
  /** Number of blocks whose FP16 scale overflowed and were clamped (FORMATS.md section 4). */
  clipped: number;
}

export interface RoundTripResult extends EncodeResult {
  /** The values the packed bytes decode to (`out` itself when one was given). */
  values: Float32Array;
}

export interface RoundTripOptions extends EncodeOptions {
  /** Receives the packed bytes (≥ bytesFor(n)); else they are returned in a new array. */
  bytes?: Uint8Array;
}

export interface Codec {
  readonly kernels: QuantKernels;
  /** The resolved format, block size, scale kind and rounding. */
  readonly spec: CodecSpec;
  /** The u32 descriptor passed to the wasm exports (FORMATS.md section 1). */
  readonly descriptor: number;
  /** Asymptotic bits per value (per-tensor headers excluded). */
  readonly bitsPerValue: number;
  /** Packed bytes for n values. */
  bytesFor(n: number): number;

  /** Quantize x. `out` (≥ bytesFor(n) bytes) receives the bytes, else a new array is returned. */
  encode(x: Float32Array, out?: Uint8Array, options?: EncodeOptions): EncodeResult;
  /** Decode n values from `bytes` into `out` (≥ n) or a new Float32Array. */
  decode(bytes: Uint8Array, n: number, out?: Float32Array): Float32Array;
  /** dst[i] = f32(dst[i] + decoded[i]) for i < n; returns dst.subarray(0, n). */
  decodeAccumulate(bytes: Uint8Array, n: number, dst: Float32Array): Float32Array;
  /**
   * Quantize x and decode the result in one cache-resident sweep ("fake quantization"): `values` is
   * exactly decode(encode(x).bytes), `bytes` exactly encode(x).bytes. `out` may be x itself.
   */
  roundTrip(x: Float32Array, out?: Float32Array, options?: RoundTripOptions): RoundTripResult;
  /** out = Σ_j decode(inputs[j]) summed in index order in f32 (bit for bit decode + decodeAccumulate …). */
  decodeSum(inputs: readonly Uint8Array[], n: number, out?: Float32Array): Float32Array;
  /** Sum the k packed inputs in f32 (index order) and quantize the sum (the requantize step of a reduce). */
  reduceEncode(inputs: readonly Uint8Array[], n: number, out?: Uint8Array, options?: EncodeOptions): EncodeResult;

  /** tw_quantize on pointers; returns the clipped-block count. */
  encodePtr(src: number, n: number, dst: number, seed?: number): number;
  /** tw_dequantize on pointers. */
  decodePtr(src: number, n: number, dst: number): void;
  /** tw_dequantize_accumulate on pointers. */
  decodeAccumulatePtr(src: number, n: number, dst: number): void;
  /** tw_quantize_dequantize on pointers (out may equal src, must not overlap dst); returns the clipped count. */
  roundTripPtr(src: number, n: number, dst: number, out: number, seed?: number): number;
  /** tw_dequantize_sum on pointers (srcsPtr: k u32 pointers to packed tensors of n values). */
  decodeSumPtr(srcsPtr: number, k: number, n: number, dst: number): void;
  /** tw_reduce_quantize on pointers (srcsPtr: k u32 pointers; scratch: n f32); returns the clipped count. */
  reduceEncodePtr(srcsPtr: number, k: number, n: number, dst: number, scratch: number, seed?: number): number;
}

const U32_MAX = 0xffffffff;

/** Create a codec for `format` (defaults: FORMATS.md section 1) on a kernels instance. */
export function createCodec(kernels: QuantKernels, format: FormatName | string, options: CreateCodecOptions = {}): Codec {
  const spec = resolveCodec(format, options);
  const h = createKernelHandle(kernels);
  return new WasmCodec(kernels, h, spec, h.descriptor(spec), options.arena);
}

/** Operation names used in this codec's error messages (prepared once: the calls stay allocation-free). */
interface Labels {
  quantize: string; dequantize: string; dequantizeAccumulate: string; quantizeDequantize: string;
  dequantizeSum: string; reduceQuantize: string;
}

class WasmCodec implements Codec {
  readonly bitsPerValue: number;

  private readonly mem: WebAssembly.Memory;
  private readonly labels: Labels;

  constructor(
    readonly kernels: QuantKernels,
    private readonly h: KernelHandle,
    readonly spec: CodecSpec,
    readonly descriptor: number,
    private readonly stagingArena: WasmArena | undefined,
  ) {
    this.bitsPerValue = specBitsPerValue(spec);
    this.mem = kernels.memory;
    const f = spec.format;
    this.labels = {
      quantize: `quantize (${f})`, dequantize: `dequantize (${f})`, dequantizeAccumulate: `dequantizeAccumulate (${f})`,
      quantizeDequantize: `quantizeDequantize (${f})`, dequantizeSum: `dequantizeSum (${f})`, reduceQuantize: `reduceQuantize (${f})`,
    };
  }

  bytesFor(n: number): number {
    return specBytesFor(this.spec, n);
  }

  private get arena(): WasmArena {
    return this.stagingArena ?? defaultArena(this.kernels);
  }

  // ---------------------------------------------------------------- pointer level (KernelHandle)

  encodePtr(src: number, n: number, dst: number, seed = 0): number {
    return this.h.quantize(this.descriptor, src, n, dst, seed, this.labels.quantize);
  }

  decodePtr(src: number, n: number, dst: number): void {
    this.h.dequantize(this.descriptor, src, n, dst, this.labels.dequantize);
  }

  decodeAccumulatePtr(src: number, n: number, dst: number): void {
    this.h.dequantizeAccumulate(this.descriptor, src, n, dst, this.labels.dequantizeAccumulate);
  }

  roundTripPtr(src: number, n: number, dst: number, out: number, seed = 0): number {
    return this.h.quantizeDequantize(this.descriptor, src, n, dst, out, seed, this.labels.quantizeDequantize);
  }

  decodeSumPtr(srcsPtr: number, k: number, n: number, dst: number): void {
    this.h.dequantizeSum(this.descriptor, srcsPtr, k, n, dst, this.labels.dequantizeSum);
  }

  reduceEncodePtr(srcsPtr: number, k: number, n: number, dst: number, scratch: number, seed = 0): number {
    return this.h.reduceQuantize(this.descriptor, srcsPtr, k, n, dst, scratch, seed, this.labels.reduceQuantize);
  }

  // ---------------------------------------------------------------- typed-array level

  encode(x: Float32Array, out?: Uint8Array, options: EncodeOptions = {}): EncodeResult {
    const n = x.length;
    this.checkCount(n);
    const nb = this.bytesFor(n);
    if (out && out.length < nb) throw new RangeError(`encode: out has ${out.length} bytes, ${nb} needed`);
    const arena = this.arena;
    const mark = arena.mark();
    try {
      const srcIn = isInMemory(this.mem, x);
      const dstIn = out !== undefined && isInMemory(this.mem, out);
      if (srcIn && dstIn) checkDisjoint(x.byteOffset, 4 * n, out!.byteOffset, nb);
      const src = srcIn ? x.byteOffset : arena.alloc(4 * n, 16);
      const dst = dstIn ? out!.byteOffset : arena.alloc(nb, 16);
      if (!srcIn) f32View(this.mem, src, n).set(x);
      const clipped = this.encodePtr(src, n, dst, options.seed ?? 0);
      return this.packedResult(dstIn, out, dst, nb, clipped);
    } finally {
      arena.reset(mark);
    }
  }

  decode(bytes: Uint8Array, n: number, out?: Float32Array): Float32Array {
    this.checkCount(n);
    const nb = this.bytesFor(n);
    if (bytes.length < nb) throw new RangeError(`decode: ${bytes.length} bytes given, ${nb} needed for ${n} values of ${this.spec.format}`);
    if (out && out.length < n) throw new RangeError(`decode: out holds ${out.length} values, ${n} needed`);
    return this.decodeInto(bytes, n, out, false);
  }

  decodeAccumulate(bytes: Uint8Array, n: number, dst: Float32Array): Float32Array {
    this.checkCount(n);
    const nb = this.bytesFor(n);
    if (bytes.length < nb) throw new RangeError(`decodeAccumulate: ${bytes.length} bytes given, ${nb} needed for ${n} values of ${this.spec.format}`);
    if (dst.length < n) throw new RangeError(`decodeAccumulate: dst holds ${dst.length} values, ${n} needed`);
    return this.decodeInto(bytes, n, dst, true);
  }

  private decodeInto(bytes: Uint8Array, n: number, out: Float32Array | undefined, accumulate: boolean): Float32Array {
    const nb = this.bytesFor(n);
    const arena = this.arena;
    const mark = arena.mark();
    try {
      const srcIn = isInMemory(this.mem, bytes);
      const dstIn = out !== undefined && isInMemory(this.mem, out);
      if (srcIn && dstIn) checkDisjoint(bytes.byteOffset, nb, out!.byteOffset, 4 * n);
      const src = srcIn ? bytes.byteOffset : arena.alloc(nb, 16);
      const dst = dstIn ? out!.byteOffset : arena.alloc(4 * n, 16);
      if (!srcIn) u8View(this.mem, src, nb).set(bytes.subarray(0, nb));
      if (accumulate && !dstIn) f32View(this.mem, dst, n).set(out!.subarray(0, n));
      if (accumulate) this.decodeAccumulatePtr(src, n, dst);
      else this.decodePtr(src, n, dst);
      return this.valuesResult(dstIn, out, dst, n);
    } finally {
      arena.reset(mark);
    }
  }

  roundTrip(x: Float32Array, out?: Float32Array, options: RoundTripOptions = {}): RoundTripResult {
    const n = x.length;
    this.checkCount(n);
    const nb = this.bytesFor(n);
    const bytesOut = options.bytes;
    if (bytesOut && bytesOut.length < nb) throw new RangeError(`roundTrip: options.bytes has ${bytesOut.length} bytes, ${nb} needed`);
    if (out && out.length < n) throw new RangeError(`roundTrip: out holds ${out.length} values, ${n} needed`);
    const arena = this.arena;
    const mark = arena.mark();
    try {
      const srcIn = isInMemory(this.mem, x);
      const outIn = out !== undefined && isInMemory(this.mem, out);
      const dstIn = bytesOut !== undefined && isInMemory(this.mem, bytesOut);
      // out may be x itself (the kernel decodes each chunk after quantizing it), nothing else may
      // overlap (out against the bytes: roundTripPtr checks it)
      if (srcIn && outIn && out!.byteOffset !== x.byteOffset) checkDisjoint(x.byteOffset, 4 * n, out!.byteOffset, 4 * n);
      if (srcIn && dstIn) checkDisjoint(x.byteOffset, 4 * n, bytesOut!.byteOffset, nb);
      const src = srcIn ? x.byteOffset : arena.alloc(4 * n, 16);
      const dst = dstIn ? bytesOut!.byteOffset : arena.alloc(nb, 16);
      // where the decoded values go: out itself, else in place over the staged input, else scratch
      const o = outIn ? out!.byteOffset : !srcIn ? src : arena.alloc(4 * n, 16);
      if (!srcIn) f32View(this.mem, src, n).set(x);
      const clipped = this.roundTripPtr(src, n, dst, o, options.seed ?? 0);
      return { ...this.packedResult(dstIn, bytesOut, dst, nb, clipped), values: this.valuesResult(outIn, out, o, n) };
    } finally {
      arena.reset(mark);
    }
  }

  decodeSum(inputs: readonly Uint8Array[], n: number, out?: Float32Array): Float32Array {
    const nb = this.checkPackedInputs("decodeSum", inputs, n);
    if (out && out.length < n) throw new RangeError(`decodeSum: out holds ${out.length} values, ${n} needed`);
    const arena = this.arena;
    const mark = arena.mark();
    try {
      const dstIn = out !== undefined && isInMemory(this.mem, out);
      const dst = dstIn ? out!.byteOffset : arena.alloc(4 * n, 16);
      const srcs = this.stagePacked(arena, inputs, nb, dstIn ? [dst, 4 * n] : null);
      this.decodeSumPtr(srcs, inputs.length, n, dst);
      return this.valuesResult(dstIn, out, dst, n);
    } finally {
      arena.reset(mark);
    }
  }

  reduceEncode(inputs: readonly Uint8Array[], n: number, out?: Uint8Array, options: EncodeOptions = {}): EncodeResult {
    const nb = this.checkPackedInputs("reduceEncode", inputs, n);
    if (out && out.length < nb) throw new RangeError(`reduceEncode: out has ${out.length} bytes, ${nb} needed`);
    const arena = this.arena;
    const mark = arena.mark();
    try {
      const dstIn = out !== undefined && isInMemory(this.mem, out);
      const scratch = arena.alloc(4 * n, 16);
      const dst = dstIn ? out!.byteOffset : arena.alloc(nb, 16);
      const srcs = this.stagePacked(arena, inputs, nb, dstIn ? [dst, nb] : null);
      const clipped = this.reduceEncodePtr(srcs, inputs.length, n, dst, scratch, options.seed ?? 0);
      return this.packedResult(dstIn, out, dst, nb, clipped);
    } finally {
      arena.reset(mark);
    }
  }

  /** Count and lengths of the packed inputs of decodeSum / reduceEncode; returns bytesFor(n). */
  private checkPackedInputs(op: string, inputs: readonly Uint8Array[], n: number): number {
    this.checkCount(n);
    if (inputs.length < 1) throw new RangeError(`${op}: at least one input is needed`);
    const nb = this.bytesFor(n);
    inputs.forEach((b, j) => {
      if (b.length < nb) throw new RangeError(`${op}: input ${j} has ${b.length} bytes, ${nb} needed`);
    });
    return nb;
  }

  /**
   * The packed inputs as a u32 pointer table in the memory: inputs already there are used in place
   * (and must not overlap `output`), the others are staged. Call it after the caller's own
   * allocations: it allocates last, so no later allocation invalidates the views it writes through.
   */
  private stagePacked(arena: WasmArena, inputs: readonly Uint8Array[], nb: number, output: [number, number] | null): number {
    const inMem = inputs.map((b) => isInMemory(this.mem, b));
    if (output) inputs.forEach((b, j) => inMem[j] && checkDisjoint(b.byteOffset, nb, output[0], output[1]));
    const srcs = arena.alloc(4 * inputs.length, 16);
    const ptrs = inputs.map((b, j) => (inMem[j] ? b.byteOffset : arena.alloc(nb, 16)));
    new Uint32Array(currentBuffer(this.mem), srcs, inputs.length).set(ptrs);
    inputs.forEach((b, j) => inMem[j] || u8View(this.mem, ptrs[j]!, nb).set(b.subarray(0, nb)));
    return srcs;
  }

  // ---------------------------------------------------------------- checks

  private checkCount(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > U32_MAX) throw new RangeError(`element count must be an integer in 0..2^32-1, got ${n}`);
  }

  /** Decoded values at ptr: `out` itself when the kernel wrote into it, else copied into `out` or a new array. */
  private valuesResult(dstIn: boolean, out: Float32Array | undefined, ptr: number, n: number): Float32Array {
    if (dstIn) return out!.subarray(0, n);
    const values = f32View(this.mem, ptr, n);
    if (out) {
      out.set(values);
      return out.subarray(0, n);
    }
    return values.slice();
  }

  /** The packed result of an encode: `out` itself when the kernel wrote into it, else a copy out of wasm memory. */
  private packedResult(dstIn: boolean, out: Uint8Array | undefined, dst: number, nb: number, clipped: number): EncodeResult {
    if (dstIn) return { bytes: out!.subarray(0, nb), clipped };
    const packed = u8View(this.mem, dst, nb);
    if (out) {
      out.set(packed);
      return { bytes: out.subarray(0, nb), clipped };
    }
    return { bytes: packed.slice(), clipped };
  }
}

function checkDisjoint(a: number, aLen: number, b: number, bLen: number): void {
  if (a < b + bLen && b < a + aLen && aLen > 0 && bLen > 0) {
    throw new RangeError(`input [${a}, ${a + aLen}) and output [${b}, ${b + bLen}) overlap in the wasm memory`);
  }
}
