// Tensor-parallel linear layers (Megatron's layers.py). Each narrows the full checkpoint tensor to
// this rank's shard while loading — reading only the shard's bytes — and repacks it once into the
// kernels' 16-output panels (KERNELS.md). Neither communicates: the row-parallel layer's partial sums
// go through mappings.ts.
import type { ByteSource, TensorInfo } from "./format/types.js";
import { readTensorRows } from "./format/tensor-read.js";
import type { ModelKernels } from "./kernels.js";

/** A packed weight in the rank's kernel memory: y = W·x with W [n outputs × k inputs]. */
export interface PackedLinear {
  readonly ptr: number;
  readonly n: number;
  readonly k: number;
}

/** Loading context: where to read from and a staging area (floats) in kernel memory. */
export interface LoadContext {
  readonly source: ByteSource;
  readonly kernels: ModelKernels;
  /** byte pointer of a staging buffer of `stagingFloats` floats */
  readonly staging: number;
  readonly stagingFloats: number;
}

function expectShape(t: TensorInfo, rows: number, cols: number): void {
  if (t.shape.length !== 2 || t.shape[0] !== rows || t.shape[1] !== cols) {
    throw new Error(`${t.name}: expected shape [${rows}, ${cols}], the file has [${t.shape.join(", ")}]`);
  }
}

async function loadPacked(ctx: LoadContext, t: TensorInfo, r0: number, rows: number, c0: number, cols: number, dst: number): Promise<PackedLinear> {
  if (rows * cols > ctx.stagingFloats) throw new Error(`internal: staging area of ${ctx.stagingFloats} floats is too small for ${t.name}`);
  const k = ctx.kernels;
  const view = k.f32().subarray(ctx.staging >>> 2, (ctx.staging >>> 2) + rows * cols);
  await readTensorRows(ctx.source, t, r0, rows, c0, cols, view);
  k.pack(ctx.staging, cols, rows, cols, dst);
  return { ptr: dst, n: rows, k: cols };
}

/** Floats a packed [n × k] weight takes. */
export function packedFloats(kernels: ModelKernels, n: number, k: number): number {
  return kernels.panelFloats(n, k);
}

/**
 * Column-parallel linear (split output dim, no communication): rows [r0, r1) of W [outFeatures × inFeatures].
 * `dst` must hold packedFloats(r1 − r0, inFeatures).
 */
export function loadColumnParallel(ctx: LoadContext, t: TensorInfo, outFeatures: number, inFeatures: number, rows: readonly [number, number], dst: number): Promise<PackedLinear> {
  expectShape(t, outFeatures, inFeatures);
  return loadPacked(ctx, t, rows[0], rows[1] - rows[0], 0, inFeatures, dst);
}

/**
 * Row-parallel linear (split input dim; the partial sums of all ranks add up to W·x): columns [c0, c1) of
 * W [outFeatures × inFeatures]. `dst` must hold packedFloats(outFeatures, c1 − c0).
 */
export function loadRowParallel(ctx: LoadContext, t: TensorInfo, outFeatures: number, inFeatures: number, cols: readonly [number, number], dst: number): Promise<PackedLinear> {
  expectShape(t, outFeatures, inFeatures);
  return loadPacked(ctx, t, 0, outFeatures, cols[0], cols[1] - cols[0], dst);
}

/** A replicated vector (norm weights), copied into kernel memory at `dst`. */
export async function loadVector(ctx: LoadContext, t: TensorInfo, n: number, dst: number): Promise<void> {
  if (t.shape.length !== 1 || t.shape[0] !== n) throw new Error(`${t.name}: expected shape [${n}], the file has [${t.shape.join(", ")}]`);
  await readTensorRows(ctx.source, t, 0, 1, 0, n, ctx.kernels.f32().subarray(dst >>> 2, (dst >>> 2) + n));
}

/** Rows [r0, r1) of a matrix, unpacked (the token embedding table), at `dst`. */
export async function loadRows(ctx: LoadContext, t: TensorInfo, rows: number, cols: number, r: readonly [number, number], dst: number): Promise<void> {
  expectShape(t, rows, cols);
  const n = (r[1] - r[0]) * cols;
  await readTensorRows(ctx.source, t, r[0], r[1] - r[0], 0, cols, ctx.kernels.f32().subarray(dst >>> 2, (dst >>> 2) + n));
}
