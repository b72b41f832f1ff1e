// Types of cases.mjs (plain JS so that the browser page loads it unchanged).
import type { CodecOptions, CodecSpec, FormatName } from "@tensorwire/quant-wasm";

export declare const CASES: ReadonlyArray<readonly [label: string, format: FormatName, options: CodecOptions, seed: number]>;
export declare const N: number;
export declare function input(n?: number, salt?: number): Float32Array;
export declare function hex(u8: Uint8Array): string;
export declare function sha256(view: ArrayBufferView): Promise<string>;

export interface CaseResult {
  spec: CodecSpec;
  bytesFor: number;
  bytes: string;
  clipped: number;
  decoded: string;
  accumulated: string;
  reduced: string;
  reducedClipped: number;
}
export interface ReferenceResult { bytes: string; clipped: number; decoded: string }

export declare function roundTrip(qw: typeof import("@tensorwire/quant-wasm"), kernels: import("@tensorwire/quant-wasm").QuantKernels): Promise<Record<string, CaseResult>>;
export declare function referenceRoundTrip(qw: typeof import("@tensorwire/quant-wasm"), ref: typeof import("@tensorwire/quant-wasm/reference")): Promise<Record<string, ReferenceResult>>;
