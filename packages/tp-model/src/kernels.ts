// Loading model.wasm and calling its kernels (KERNELS.md). Each rank's kernels run on their own
// non-shared, growable memory; the host lays everything out with the bump allocator below and passes
// byte pointers. The typed wrappers bounds-check every pointer/size against the memory (a clear
// RangeError instead of a trap or a silent overwrite of the module's static data) and allocate nothing.
// No Node-only imports: the default source is the module embedded in wasm-inline.ts.
import { type WasmSource, defineWasmModule } from "@tensorwire/quant-wasm";
import { MODEL_WASM_BASE64 } from "./wasm-inline.js";

/** The raw exports of model.wasm (KERNELS.md §1). Pointers are byte offsets, strides in elements. */
export interface ModelExports {
  tm_abi_version(): number;
  tm_heap_base(): number;
  tm_panel_floats(n: number, k: number): number;
  tm_pack(w: number, ldw: number, n: number, k: number, dst: number): void;
  tm_matmul(x: number, ldx: number, wp: number, n: number, k: number, y: number, ldy: number, m: number): void;
  tm_rmsnorm(x: number, ldx: number, w: number, y: number, ldy: number, m: number, n: number, eps: number): void;
  tm_rope(x: number, ldx: number, m: number, nHeads: number, headSize: number, pos0: number, cosTab: number, sinTab: number): void;
  tm_attention(
    q: number, ldq: number, kc: number, vc: number, ldkv: number, out: number, ldo: number, m: number, pos0: number,
    nHeads: number, headSize: number, kvMul: number, headOffset: number, kvOffset: number, scratch: number,
  ): void;
  tm_swiglu(g: number, u: number, out: number, n: number): void;
  tm_add(dst: number, src: number, n: number): void;
  tm_exp(src: number, dst: number, n: number): void;
  tm_fma_peak(iters: number): number;
}

/** The ABI version this package speaks; model.wasm's tm_abi_version() must equal it. */
export const MODEL_ABI_VERSION = 1;
/** FLOPs of one tm_fma_peak iteration (8 accumulators × (mul + add) × 4 lanes). */
export const FMA_PEAK_FLOPS_PER_ITER = 64;

/** What tm_fma_peak(iters) returns: 32 for even iters, 56 for odd (exact; KERNELS.md §6). */
export function fmaPeakExpected(iters: number): number {
  return iters % 2 === 0 ? 32 : 56;
}

const PAGE = 65536;
const MAX_BYTES = 65536 * PAGE;

const loader = defineWasmModule<ModelExports>({
  name: "model.wasm",
  abiVersion: MODEL_ABI_VERSION,
  abiExport: "tm_abi_version",
  requiredExports: [
    "tm_abi_version", "tm_heap_base", "tm_panel_floats", "tm_pack", "tm_matmul", "tm_rmsnorm", "tm_rope",
    "tm_attention", "tm_swiglu", "tm_add", "tm_exp", "tm_fma_peak",
  ],
  bundledBase64: () => MODEL_WASM_BASE64,
});

/** Compile model.wasm from any source; `undefined` means the bundled module (memoized). */
export function compileModelModule(source?: WasmSource): Promise<WebAssembly.Module> {
  return loader.compile(source);
}

/** The bundled model.wasm bytes (a copy). */
export function bundledModelWasmBytes(): Uint8Array<ArrayBuffer> {
  return loader.bundledBytes();
}

/**
 * One instance of the model kernels on one memory. Pointers are byte offsets into `memory`, sizes and
 * strides in f32 elements. Every wrapper throws a RangeError naming the kernel and argument when a
 * region falls outside the memory or below `heapBase`, a size is negative or not an integer, or a row
 * stride is smaller than the row width.
 */
export interface ModelKernels {
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  readonly exports: ModelExports;
  /** First byte the host may use; everything below belongs to the module. */
  readonly heapBase: number;
  /** Reserve `floats` f32s (64-byte aligned), growing the memory as needed; returns the byte pointer. */
  alloc(floats: number): number;
  /** The allocator's current top (a byte offset), e.g. to `release()` temporaries later. */
  mark(): number;
  /** Free everything allocated after `mark` (a value returned by `mark()`). */
  release(mark: number): void;
  /** A Float32Array over the whole memory, current after any growth (do not keep it across alloc). */
  f32(): Float32Array;
  /** Floats of a packed n × k weight: ceil(n/16)·16·k. */
  panelFloats(n: number, k: number): number;
  /** Pack W (n outputs × k inputs, row stride ldw) into panels at dst (panelFloats(n, k) floats). */
  pack(w: number, ldw: number, n: number, k: number, dst: number): void;
  /** Y[m × n] (stride ldy) = X[m × k] (stride ldx) · Wᵀ, W packed; bit-identical to refMatmul. */
  matmul(x: number, ldx: number, wp: number, n: number, k: number, y: number, ldy: number, m: number): void;
  /** Row-wise RMSNorm of m rows of n elements with weight w[n]. */
  rmsnorm(x: number, ldx: number, w: number, y: number, ldy: number, m: number, n: number, eps: number): void;
  /** RoPE in place; cos/sin tables hold (pos0 + m)·headSize/2 floats at least. headSize must be even. */
  rope(x: number, ldx: number, m: number, nHeads: number, headSize: number, pos0: number, cosTab: number, sinTab: number): void;
  /** Causal attention (KERNELS.md §4); scratch holds pos0 + m floats. */
  attention(
    q: number, ldq: number, kc: number, vc: number, ldkv: number, out: number, ldo: number, m: number, pos0: number,
    nHeads: number, headSize: number, kvMul: number, headOffset: number, kvOffset: number, scratch: number,
  ): void;
  /** out = silu(g)·u over n elements (out may alias g or u). */
  swiglu(g: number, u: number, out: number, n: number): void;
  /** dst += src over n elements. */
  add(dst: number, src: number, n: number): void;
  /** dst = exp(src) with the kernels' vectorized exp (for tests). */
  exp(src: number, dst: number, n: number): void;
  /** Run the multiply-add peak loop; returns fmaPeakExpected(iters) (check it); FLOPs = 64·iters. */
  fmaPeak(iters: number): number;
  /**
   * Run every kernel a few thousand times on tiny inputs and yield briefly, so that V8 tiers the
   * module up from its baseline compiler (Liftoff, ≈ 4× slower here; a long call that starts in it
   * finishes in it) before timed or latency-critical work. Leaves the allocator as it was. ≈ 30 ms.
   */
  warmUp(): Promise<void>;
}

const instances = new WeakMap<ModelExports, ModelKernels>();

function int(kernel: string, name: string, v: number, min = 0): void {
  if (!Number.isInteger(v) || v < min || v > 0x7fffffff) {
    throw new RangeError(`model.wasm ${kernel}: ${name} must be an integer ≥ ${min} (got ${v})`);
  }
}

/**
 * Instantiate a compiled module on `memory` (non-shared; imported as env.memory), synchronously.
 * Idempotent: the same (module, memory) pair gives the same object, with one allocator.
 */
export function instantiateModelKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): ModelKernels {
  if (!(memory instanceof WebAssembly.Memory)) throw new TypeError("model.wasm: memory must be a WebAssembly.Memory");
  if (typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer) {
    throw new TypeError("model.wasm: memory must not be shared (each rank's model kernels run on their own growable memory)");
  }
  const exports = loader.instantiate(module, memory);
  const hit = instances.get(exports);
  if (hit) return hit;
  const ex = exports;
  const heapBase = ex.tm_heap_base();
  let top = heapBase;
  let view = new Float32Array(memory.buffer);

  /** rows × width floats at ptr with row stride ld lie inside [heapBase, memory end). */
  const region = (kernel: string, name: string, ptr: number, rows: number, width: number, ld: number): void => {
    if (!Number.isInteger(ptr) || ptr < heapBase || ptr % 4 !== 0) {
      throw new RangeError(`model.wasm ${kernel}: ${name} = ${ptr} is not a 4-byte aligned pointer at or above heapBase ${heapBase}`);
    }
    if (rows > 1 && ld < width) throw new RangeError(`model.wasm ${kernel}: ${name} row stride ${ld} < row width ${width}`);
    if (rows === 0 || width === 0) return;
    const end = ptr + ((rows - 1) * ld + width) * 4;
    if (end > memory.buffer.byteLength) {
      throw new RangeError(`model.wasm ${kernel}: ${name} [${ptr}, ${end}) exceeds the memory (${memory.buffer.byteLength} bytes)`);
    }
  };

  const k: ModelKernels = {
    memory,
    module,
    exports,
    heapBase,
    alloc(floats) {
      int("alloc", "floats", floats);
      const p = top;
      const end = Math.ceil((p + floats * 4) / 64) * 64;
      if (end > MAX_BYTES) throw new RangeError(`model.wasm alloc: ${floats} floats do not fit the 4 GiB memory (top ${p})`);
      const have = memory.buffer.byteLength;
      if (end > have) {
        try {
          memory.grow(Math.ceil((end - have) / PAGE));
        } catch (e) {
          throw new RangeError(`model.wasm alloc: cannot grow the memory to ${end} bytes: ${(e as Error).message}`);
        }
      }
      top = end;
      return p;
    },
    mark: () => top,
    release(m) {
      if (!Number.isInteger(m) || m < heapBase || m > top || m % 64 !== (heapBase % 64)) {
        throw new RangeError(`model.wasm release: ${m} is not a mark of this allocator (heapBase ${heapBase}, top ${top})`);
      }
      top = m;
    },
    f32() {
      if (view.buffer !== memory.buffer) view = new Float32Array(memory.buffer);
      return view;
    },
    panelFloats(n, kk) {
      int("tm_panel_floats", "n", n);
      int("tm_panel_floats", "k", kk);
      const floats = Math.ceil(n / 16) * 16 * kk;
      if (floats * 4 > MAX_BYTES) throw new RangeError(`model.wasm tm_panel_floats: ${n} × ${kk} does not fit wasm32`);
      return floats;
    },
    pack(w, ldw, n, kk, dst) {
      int("tm_pack", "n", n);
      int("tm_pack", "k", kk);
      int("tm_pack", "ldw", ldw);
      region("tm_pack", "w", w, n, kk, ldw);
      region("tm_pack", "dst", dst, 1, k.panelFloats(n, kk), 0);
      ex.tm_pack(w, ldw, n, kk, dst);
    },
    matmul(x, ldx, wp, n, kk, y, ldy, m) {
      int("tm_matmul", "m", m);
      int("tm_matmul", "n", n);
      int("tm_matmul", "k", kk);
      int("tm_matmul", "ldx", ldx);
      int("tm_matmul", "ldy", ldy);
      region("tm_matmul", "x", x, m, kk, ldx);
      region("tm_matmul", "wp", wp, 1, k.panelFloats(n, kk), 0);
      region("tm_matmul", "y", y, m, n, ldy);
      ex.tm_matmul(x, ldx, wp, n, kk, y, ldy, m);
    },
    rmsnorm(x, ldx, w, y, ldy, m, n, eps) {
      int("tm_rmsnorm", "m", m);
      int("tm_rmsnorm", "n", n);
      int("tm_rmsnorm", "ldx", ldx);
      int("tm_rmsnorm", "ldy", ldy);
      if (!(eps >= 0 && eps < Infinity)) throw new RangeError(`model.wasm tm_rmsnorm: eps must be finite and ≥ 0 (got ${eps})`);
      region("tm_rmsnorm", "x", x, m, n, ldx);
      region("tm_rmsnorm", "w", w, 1, n, 0);
      region("tm_rmsnorm", "y", y, m, n, ldy);
      ex.tm_rmsnorm(x, ldx, w, y, ldy, m, n, eps);
    },
    rope(x, ldx, m, nHeads, headSize, pos0, cosTab, sinTab) {
      int("tm_rope", "m", m);
      int("tm_rope", "nHeads", nHeads);
      int("tm_rope", "headSize", headSize);
      int("tm_rope", "pos0", pos0);
      int("tm_rope", "ldx", ldx);
      if (headSize % 2 !== 0) throw new RangeError(`model.wasm tm_rope: headSize must be even (got ${headSize})`);
      region("tm_rope", "x", x, m, nHeads * headSize, ldx);
      const tab = m === 0 ? 0 : (pos0 + m) * (headSize / 2);
      region("tm_rope", "cosTab", cosTab, 1, tab, 0);
      region("tm_rope", "sinTab", sinTab, 1, tab, 0);
      ex.tm_rope(x, ldx, m, nHeads, headSize, pos0, cosTab, sinTab);
    },
    attention(q, ldq, kc, vc, ldkv, out, ldo, m, pos0, nHeads, headSize, kvMul, headOffset, kvOffset, scratch) {
      const K = "tm_attention";
      int(K, "m", m);
      int(K, "pos0", pos0);
      int(K, "nHeads", nHeads);
      int(K, "headSize", headSize);
      int(K, "kvMul", kvMul, 1);
      int(K, "headOffset", headOffset);
      int(K, "kvOffset", kvOffset);
      int(K, "ldq", ldq);
      int(K, "ldkv", ldkv);
      int(K, "ldo", ldo);
      const width = nHeads * headSize;
      region(K, "q", q, m, width, ldq);
      region(K, "out", out, m, width, ldo);
      if (m > 0 && nHeads > 0) {
        const kvFirst = Math.floor(headOffset / kvMul) - kvOffset;
        const kvLast = Math.floor((headOffset + nHeads - 1) / kvMul) - kvOffset;
        if (kvFirst < 0) {
          throw new RangeError(`model.wasm ${K}: kvOffset ${kvOffset} is past the first KV head ${Math.floor(headOffset / kvMul)} of global head ${headOffset}`);
        }
        const kvWidth = (kvLast + 1) * headSize;
        if (kvWidth > ldkv) throw new RangeError(`model.wasm ${K}: the local KV heads 0..${kvLast} (${kvWidth} floats) exceed the KV row stride ldkv = ${ldkv}`);
        region(K, "kc", kc, pos0 + m, kvWidth, ldkv);
        region(K, "vc", vc, pos0 + m, kvWidth, ldkv);
        region(K, "scratch", scratch, 1, pos0 + m, 0);
      }
      ex.tm_attention(q, ldq, kc, vc, ldkv, out, ldo, m, pos0, nHeads, headSize, kvMul, headOffset, kvOffset, scratch);
    },
    swiglu(g, u, out, n) {
      int("tm_swiglu", "n", n);
      region("tm_swiglu", "g", g, 1, n, 0);
      region("tm_swiglu", "u", u, 1, n, 0);
      region("tm_swiglu", "out", out, 1, n, 0);
      ex.tm_swiglu(g, u, out, n);
    },
    add(dst, src, n) {
      int("tm_add", "n", n);
      region("tm_add", "dst", dst, 1, n, 0);
      region("tm_add", "src", src, 1, n, 0);
      ex.tm_add(dst, src, n);
    },
    exp(src, dst, n) {
      int("tm_exp", "n", n);
      region("tm_exp", "src", src, 1, n, 0);
      region("tm_exp", "dst", dst, 1, n, 0);
      ex.tm_exp(src, dst, n);
    },
    fmaPeak(iters) {
      int("tm_fma_peak", "iters", iters);
      return ex.tm_fma_peak(iters);
    },
    async warmUp() {
      const mark = top;
      try {
        const a = k.alloc(512), b = k.alloc(512), c = k.alloc(512), d = k.alloc(512);
        k.f32().fill(0.5, a >>> 2, (a >>> 2) + 4 * 512); // a..d are contiguous
        const spin = (times: number): void => {
          for (let i = 0; i < times; i++) {
            ex.tm_pack(a, 16, 17, 16, d);
            ex.tm_matmul(a, 16, d, 17, 16, b, 17, 3);
            ex.tm_matmul(a, 16, d, 17, 16, b, 17, 1);
            ex.tm_rmsnorm(a, 16, c, b, 16, 2, 16, 1e-5);
            ex.tm_rope(b, 16, 2, 2, 8, 0, c, c);
            ex.tm_attention(a, 16, b, c, 16, d, 16, 2, 3, 2, 8, 1, 0, 0, d + 256);
            ex.tm_swiglu(a, b, c, 19);
            ex.tm_add(c, a, 19);
            ex.tm_exp(a, c, 19);
            ex.tm_fma_peak(8);
          }
        };
        spin(2000);
        await new Promise((r) => setTimeout(r, 20));
        spin(200);
      } finally {
        top = mark;
      }
    },
  };
  instances.set(exports, k);
  return k;
}

/**
 * Load the model kernels: `source` may be omitted (the bundled module), bytes, a WebAssembly.Module,
 * a URL or a Response. Runs on `memory` when given (non-shared, imported as env.memory), else on a new
 * growable memory of one page (maximum 4 GiB).
 */
export async function loadModelKernels(source?: WasmSource, memory?: WebAssembly.Memory): Promise<ModelKernels> {
  const module = await compileModelModule(source);
  return instantiateModelKernels(module, memory ?? new WebAssembly.Memory({ initial: 1, maximum: 65536 }));
}
