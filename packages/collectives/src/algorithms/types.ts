import type { Engine } from "../engine.js";

/** One segment of an all-reduce, as every rank sees it (identical on all ranks but `dst`). */
export interface Segment {
  /** elements in this segment */
  readonly len: number;
  /**
   * Byte offset in shared memory where the rank must leave the sum: its own input region X(rank)
   * (zero-copy in-place calls) or its scratch S(rank) (the communicator copies it out).
   */
  readonly dst: number;
  /** codec descriptor (compressed algorithms only) */
  readonly desc: number;
  /** elements per codec block (quant-wasm's KernelHandle.alignment; 1 for casts and uncompressed calls) */
  readonly align: number;
  /** seed for stochastic rounding */
  readonly seed: number;
  /** the step number of the arrival barrier this segment started with */
  readonly arrive: number;
  /**
   * The caller's output array when it is not `dst`'s memory (a plain array, or a view other than
   * X(rank)), with the element offset of this segment in it. An algorithm may copy the sum straight
   * there instead of to `dst` (one copy fewer) and then sets `delivered`.
   */
  readonly out: Float32Array | null;
  readonly outOff: number;
  delivered: boolean;
}

/**
 * An all-reduce algorithm. `prepare` runs before the arrival barrier and may write only this rank's
 * own input/packed regions (no peer reads them until the arrival). `run` runs after every rank has
 * arrived (inputs visible); on return the sum is at `seg.dst` and no peer will read any of this
 * rank's regions for this segment any more (each algorithm ends with the steps that guarantee it;
 * see the hazard notes in each file).
 */
export interface AllReduceAlgorithm {
  // name and descriptor id: the registry (registry.ts) attaches them
  prepare?(e: Engine, seg: Segment): void;
  run(e: Engine, seg: Segment): void;
}
