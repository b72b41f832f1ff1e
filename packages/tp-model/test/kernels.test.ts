// model.wasm's kernels against the scalar references of src/reference/kernels.ts over sweeps of shapes,
// strides larger than widths, positions, GQA/MQA head mappings and extreme values. tm_matmul and
// tm_rope are compared bit for bit; the rest within stated tolerances. Canary values around every
// output region check that nothing outside it is written.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type ModelKernels, MODEL_ABI_VERSION, bundledModelWasmBytes, fmaPeakExpected, compileModelModule, instantiateModelKernels, loadModelKernels,
} from "../src/kernels.js";
import {
  fmaPeakFlops, refAdd, refAttention, refMatmul, refPack, refPanelFloats, refRmsnorm, refRope, refSwiglu,
} from "../src/reference/index.js";
import { filled, firstBitDiff, firstClose, get, put, randomArray, rng } from "./helpers/kernel-harness.js";

let k: ModelKernels;
beforeAll(async () => {
  k = await loadModelKernels();
});

const CANARY = -7.25;
const MS = [0, 1, 2, 3, 5, 17, 64];
const NK = [0, 1, 3, 15, 16, 17, 33, 64, 100];

/** Run `fn` with the allocator restored afterwards (keeps the memory small across sweeps). */
function scoped<T>(fn: () => T): T {
  const m = k.mark();
  try {
    return fn();
  } finally {
    k.release(m);
  }
}

describe("module and binding", () => {
  it("ABI version, heap base, exports", () => {
    expect(k.exports.tm_abi_version()).toBe(MODEL_ABI_VERSION);
    expect(k.heapBase % 64).toBe(0);
    expect(k.heapBase).toBeGreaterThan(0);
    expect(k.memory.buffer).not.toBeInstanceOf(SharedArrayBuffer);
  });

  it("instantiates on any non-shared memory (with or without a maximum), once per memory; rejects others", async () => {
    const mod = await compileModelModule();
    expect(await compileModelModule(bundledModelWasmBytes())).toBeInstanceOf(WebAssembly.Module);
    const mem = new WebAssembly.Memory({ initial: 2 });
    const a = instantiateModelKernels(mod, mem);
    expect(instantiateModelKernels(mod, mem)).toBe(a);
    expect(a.alloc(1)).toBe(a.heapBase);
    expect(() => instantiateModelKernels(mod, new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true }))).toThrow(/must not be shared/);
    await expect(loadModelKernels(new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]))).rejects.toThrow(/model\.wasm/);
  });

  it("alloc is 64-byte aligned, grows the memory, and f32() follows the growth", () => {
    scoped(() => {
      const before = k.memory.buffer.byteLength;
      const v0 = k.f32();
      const a = k.alloc(3);
      const b = k.alloc(1);
      expect(a % 64).toBe(0);
      expect(b - a).toBe(64);
      const big = k.alloc(before / 4 + 1000);
      expect(k.memory.buffer.byteLength).toBeGreaterThanOrEqual(big + (before / 4 + 1000) * 4);
      const v1 = k.f32();
      expect(v1.length * 4).toBe(k.memory.buffer.byteLength);
      expect(v1 === v0).toBe(false); // the old view is detached
      expect(k.f32()).toBe(v1);
      v1[(big >>> 2) + before / 4 + 999] = 5;
      expect(get(k, big + (before / 4 + 999) * 4, 1)[0]).toBe(5);
    });
  });

  it("wrappers reject bad pointers, sizes and strides with a RangeError naming the kernel", () => {
    scoped(() => {
      const x = k.alloc(64);
      const end = k.memory.buffer.byteLength;
      expect(() => k.add(0, x, 4)).toThrow(/tm_add: dst = 0 .*heapBase/);
      expect(() => k.add(x + 2, x, 4)).toThrow(/tm_add: dst .*aligned/);
      expect(() => k.add(x, end - 8, 4)).toThrow(/tm_add: src .*exceeds the memory/);
      expect(() => k.add(x, x, -1)).toThrow(/tm_add: n must be an integer/);
      expect(() => k.add(x, x, 1.5)).toThrow(RangeError);
      expect(() => k.matmul(x, 2, x, 1, 4, x, 1, 2)).toThrow(/tm_matmul: x row stride 2 < row width 4/);
      expect(() => k.matmul(x, 4, end - 64, 1, 4, x, 1, 1)).toThrow(/tm_matmul: wp .*exceeds/);
      expect(() => k.rope(x, 8, 1, 1, 3, 0, x, x)).toThrow(/headSize must be even/);
      expect(() => k.rmsnorm(x, 4, x, x, 4, 1, 4, NaN)).toThrow(/eps/);
      expect(() => k.attention(x, 8, x, x, 8, x, 8, 1, 0, 2, 4, 1, 0, 1, x)).toThrow(/kvOffset 1/);
      expect(() => k.attention(x, 8, x, x, 4, x, 8, 1, 0, 2, 4, 1, 0, 0, x)).toThrow(/ldkv = 4/);
      expect(() => k.alloc(-1)).toThrow(/alloc: floats/);
      expect(() => k.alloc(2 ** 31 - 1)).toThrow(/alloc/);
      expect(() => k.release(k.mark() + 64)).toThrow(/release/);
      // zero sizes are no-ops even at the end of memory
      k.add(end, end, 0);
      k.matmul(end, 0, end, 0, 0, end, 0, 0);
    });
  });

  it("warmUp runs every kernel and leaves the allocator as it was", async () => {
    const m = k.mark();
    await k.warmUp();
    expect(k.mark()).toBe(m);
  });

  it("tm_fma_peak returns its exact closed form (32 even, 56 odd iterations)", () => {
    for (const n of [0, 1, 2, 3, 1000, 1001, 99_999]) {
      expect(k.fmaPeak(n)).toBe(fmaPeakExpected(n));
    }
    expect(fmaPeakFlops(10)).toBe(640);
    expect(fmaPeakExpected(7)).toBe(56);
  });

  it("the built tm_fma_peak computes 8 distinct products per iteration (no merged multiplies inflating the FLOPs)", () => {
    // dist/model.wat is written by the same asc run as dist/model.wasm (npm run build)
    const wat = readFileSync(new URL("../dist/model.wat", import.meta.url), "utf8");
    const start = wat.indexOf("/tm_fma_peak (param");
    expect(start).toBeGreaterThan(0);
    const body = wat.slice(start, wat.indexOf("\n (func ", start + 1) >>> 0 || undefined);
    expect(body.match(/f32x4\.mul/g)?.length).toBe(8);
    expect(body.match(/f32x4\.add/g)?.length).toBe(8 + 7); // 8 in the loop, 7 in the final sum
  });
});

describe("tm_pack / tm_panel_floats", () => {
  it("panel floats = ceil(n/16)·16·k", () => {
    for (const n of NK) for (const kk of NK) {
      expect(k.panelFloats(n, kk)).toBe(refPanelFloats(n, kk));
      expect(k.exports.tm_panel_floats(n, kk)).toBe(n === 0 || kk === 0 ? 0 : Math.ceil(n / 16) * 16 * kk);
    }
  });

  it("layout matches dst[(p·k + kk)·16 + (j − 16p)] = W[j, kk], zero padding, nothing else written", () => {
    const r = rng(1);
    for (const n of NK) for (const kk of NK) scoped(() => {
      const ldw = kk + 3;
      const w = randomArray(r, n * ldw);
      const wp = put(k, w);
      const pf = refPanelFloats(n, kk);
      const dst = filled(k, pf + 16, NaN);
      k.pack(wp, ldw, n, kk, dst);
      const got = get(k, dst, pf + 16);
      const want = refPack(w, ldw, n, kk);
      // by the formula, independently of refPack
      for (let j = 0; j < Math.ceil(n / 16) * 16; j++) {
        const p = j >> 4;
        for (let q = 0; q < kk; q++) {
          const v = got[(p * kk + q) * 16 + (j - 16 * p)]!;
          if (v !== (j < n ? w[j * ldw + q] : 0)) throw new Error(`n=${n} k=${kk}: W[${j}, ${q}] misplaced`);
        }
      }
      expect(firstBitDiff(got.subarray(0, pf), want)).toBe(-1);
      expect(got.subarray(pf).every(Number.isNaN)).toBe(true);
    });
  });
});

describe("tm_matmul (bit-exact)", () => {
  function check(m: number, n: number, kk: number, r: () => number, scaleX = 1, scaleW = 1): void {
    scoped(() => {
      const ldx = kk + 5, ldw = kk + 1, ldy = n + 3;
      const x = randomArray(r, Math.max(0, m * ldx), scaleX);
      const w = randomArray(r, n * ldw, scaleW);
      const xp = put(k, x);
      const wr = put(k, w);
      const wp = k.alloc(k.panelFloats(n, kk));
      k.pack(wr, ldw, n, kk, wp);
      const yLen = m * ldy + 8;
      const yp = filled(k, yLen, CANARY);
      k.matmul(xp, ldx, wp, n, kk, yp, ldy, m);
      const got = get(k, yp, yLen);
      const want = new Float32Array(yLen).fill(CANARY);
      refMatmul(x, ldx, w, ldw, n, kk, want, ldy, m);
      const d = firstBitDiff(got, want);
      if (d >= 0) throw new Error(`m=${m} n=${n} k=${kk}: y[${d}] = ${got[d]} vs reference ${want[d]}`);
    });
  }

  it("sweep m × n × k with strides larger than widths", () => {
    const r = rng(2);
    for (const m of MS) for (const n of NK) for (const kk of NK) check(m, n, kk, r);
  });

  it("NaN, ±Inf, ±0 and subnormals propagate as in the scalar recurrence", () => {
    scoped(() => {
      const r = rng(16);
      const special = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -3e-39, 3e38, -3e38, 1];
      const m = 4, n = 19, kk = 10;
      const x = new Float32Array(m * kk).map((_, i) => (i % 3 === 0 ? special[i % special.length]! : r() - 0.5));
      const w = new Float32Array(n * kk).map((_, i) => (i % 4 === 1 ? special[(i * 7) % special.length]! : r() - 0.5));
      const xp = put(k, x), wr = put(k, w);
      const wp = k.alloc(k.panelFloats(n, kk));
      k.pack(wr, kk, n, kk, wp);
      const yp = k.alloc(m * n);
      k.matmul(xp, kk, wp, n, kk, yp, n, m);
      const want = new Float32Array(m * n);
      refMatmul(x, kk, w, kk, n, kk, want, n, m);
      expect(firstBitDiff(get(k, yp, m * n), want)).toBe(-1);
    });
  });

  it("a column shard (rows [a, b) of W packed alone) gives the same bits as those columns of the full product", () => {
    scoped(() => {
      const r = rng(15);
      const m = 5, n = 70, kk = 53;
      const xv = randomArray(r, m * kk), wv = randomArray(r, n * kk);
      const x = put(k, xv), wr = put(k, wv);
      const wp = k.alloc(k.panelFloats(n, kk));
      k.pack(wr, kk, n, kk, wp);
      const full = k.alloc(m * n);
      k.matmul(x, kk, wp, n, kk, full, n, m);
      for (const [a, b] of [[0, 23], [23, 47], [47, 70], [5, 6]]) {
        const ws = k.alloc(k.panelFloats(b - a, kk)), ys = k.alloc(m * (b - a));
        k.pack(wr + a * kk * 4, kk, b - a, kk, ws);
        k.matmul(x, kk, ws, b - a, kk, ys, b - a, m);
        const got = get(k, ys, m * (b - a)), f = get(k, full, m * n);
        const want = new Float32Array(m * (b - a));
        for (let i = 0; i < m; i++) want.set(f.subarray(i * n + a, i * n + b), i * (b - a));
        expect(firstBitDiff(got, want)).toBe(-1);
      }
    });
  });

  it("long k, large and tiny magnitudes, odd panels", () => {
    const r = rng(3);
    check(3, 33, 2048, r);
    check(1, 47, 1000, r);
    check(4, 40, 300, r, 1e18, 1e18);
    check(2, 17, 300, r, 1e-20, 1e-20);
    check(7, 129, 77, r, 1e3, 1e-3);
  });

  it("a row-major prefix of rows can be computed separately (m splits give the same bits)", () => {
    scoped(() => {
      const r = rng(4);
      const m = 9, n = 35, kk = 41;
      const x = put(k, randomArray(r, m * kk));
      const wr = put(k, randomArray(r, n * kk));
      const wp = k.alloc(k.panelFloats(n, kk));
      k.pack(wr, kk, n, kk, wp);
      const y1 = k.alloc(m * n), y2 = k.alloc(m * n);
      k.matmul(x, kk, wp, n, kk, y1, n, m);
      for (let i = 0; i < m; i++) k.matmul(x + i * kk * 4, kk, wp, n, kk, y2 + i * n * 4, n, 1);
      expect(firstBitDiff(get(k, y1, m * n), get(k, y2, m * n))).toBe(-1);
    });
  });
});

describe("tm_rmsnorm", () => {
  function check(m: number, n: number, x: Float32Array, ldx: number, w: Float32Array, eps: number): void {
    scoped(() => {
      const ldy = n + 2;
      const xp = put(k, x), wp = put(k, w);
      const yLen = m * ldy + 4;
      const yp = filled(k, yLen, CANARY);
      k.rmsnorm(xp, ldx, wp, yp, ldy, m, n, eps);
      const got = get(k, yp, yLen);
      const want = new Float32Array(yLen).fill(CANARY);
      refRmsnorm(x, ldx, w, want, ldy, m, n, eps);
      const d = firstClose(got, want, 3e-7, 0);
      if (d >= 0) throw new Error(`m=${m} n=${n}: y[${d}] = ${got[d]} vs ${want[d]}`);
      for (let i = 0; i < m * ldy; i++) if (i % ldy < n && !Number.isFinite(got[i])) throw new Error(`non-finite y[${i}]`);
    });
  }

  it("sweep m × n, ldx > n", () => {
    const r = rng(5);
    for (const m of MS) for (const n of NK) check(m, n, randomArray(r, m * (n + 7)), n + 7, randomArray(r, n), 1e-5);
  });

  it("extreme magnitudes stay finite (f64 sum of squares)", () => {
    const r = rng(6);
    for (const s of [3e38, 1e30, 1e-30, 1e-42]) check(3, 33, randomArray(r, 3 * 33, s), 33, randomArray(r, 33), 1e-6);
    const x = new Float32Array(17).fill(3.4e38);
    check(1, 17, x, 17, new Float32Array(17).fill(1), 0);
    check(2, 5, new Float32Array(10), 5, new Float32Array(5).fill(1), 1e-5); // zeros → 0
  });

  it("in place (y = x, same stride)", () => {
    scoped(() => {
      const r = rng(13);
      const m = 3, n = 37, ld = 40;
      const x = randomArray(r, m * ld, 5), w = randomArray(r, n);
      const xp = put(k, x), wp = put(k, w);
      k.rmsnorm(xp, ld, wp, xp, ld, m, n, 1e-5);
      const want = x.slice();
      refRmsnorm(x, ld, w, want, ld, m, n, 1e-5);
      expect(firstClose(get(k, xp, m * ld), want, 3e-7, 0)).toBe(-1);
    });
  });
});

describe("tm_rope (bit-exact)", () => {
  it("sweep m, heads, head sizes, pos0, ldx > width", () => {
    const r = rng(7);
    for (const m of [0, 1, 2, 5, 17]) for (const nh of [1, 3]) for (const hs of [2, 8, 18, 64]) for (const pos0 of [0, 7]) {
      scoped(() => {
        const half = hs / 2;
        const ldx = nh * hs + 3;
        const x = randomArray(r, m * ldx, 4);
        const cos = randomArray(r, (pos0 + m) * half), sin = randomArray(r, (pos0 + m) * half);
        const xp = put(k, x), cp = put(k, cos), sp = put(k, sin);
        k.rope(xp, ldx, m, nh, hs, pos0, cp, sp);
        const want = x.slice();
        refRope(want, ldx, m, nh, hs, pos0, cos, sin);
        const got = get(k, xp, x.length);
        const d = firstBitDiff(got, want);
        if (d >= 0) throw new Error(`m=${m} nh=${nh} hs=${hs} pos0=${pos0}: x[${d}] = ${got[d]} vs ${want[d]}`);
      });
    }
  });
});

describe("tm_attention", () => {
  // [local heads, headSize, kvMul, headOffset, kvOffset]
  const CONFIGS: [number, number, number, number, number][] = [
    [4, 8, 1, 0, 0], // MHA
    [3, 5, 1, 2, 2], // MHA shard, odd head size
    [4, 16, 2, 0, 0], // GQA 2
    [3, 20, 2, 3, 1], // GQA shard: global 3..5 → KV 1..2 → local 0..1
    [8, 4, 8, 0, 0], // MQA
    [2, 64, 8, 10, 1], // MQA-like shard: global 10, 11 → KV 1 → local 0
    [5, 17, 8, 6, 0], // global 6..10 → KV 0..1, odd head size
  ];

  function run(
    m: number, pos0: number, cfg: [number, number, number, number, number], r: () => number, qScale = 1, kScale = 1,
  ): void {
    const [nh, hs, kvMul, h0, kv0] = cfg;
    scoped(() => {
      const nkv = Math.floor((h0 + nh - 1) / kvMul) - kv0 + 1;
      const ldq = nh * hs + 3, ldkv = nkv * hs + 5, ldo = nh * hs + 1;
      const T = pos0 + m;
      const q = randomArray(r, m * ldq, qScale);
      const kc = randomArray(r, T * ldkv, kScale), vc = randomArray(r, T * ldkv);
      const qp = put(k, q), kp = put(k, kc), vp = put(k, vc);
      const oLen = m * ldo + 4;
      const op = filled(k, oLen, CANARY);
      const scratch = k.alloc(T);
      k.attention(qp, ldq, kp, vp, ldkv, op, ldo, m, pos0, nh, hs, kvMul, h0, kv0, scratch);
      const got = get(k, op, oLen);
      const want = new Float32Array(oLen).fill(CANARY);
      refAttention(q, ldq, kc, vc, ldkv, want, ldo, m, pos0, nh, hs, kvMul, h0, kv0);
      const d = firstClose(got, want, 1e-5, 2e-6);
      if (d >= 0) throw new Error(`m=${m} pos0=${pos0} cfg=${cfg} qScale=${qScale}: out[${d}] = ${got[d]} vs ${want[d]}`);
      for (let i = 0; i < m * ldo; i++) if (!Number.isFinite(got[i])) throw new Error(`non-finite out[${i}]`);
    });
  }

  it("sweep m × pos0 × MHA/GQA/MQA mappings with shard offsets", () => {
    const r = rng(8);
    for (const cfg of CONFIGS) for (const m of [0, 1, 2, 3, 5, 17]) for (const pos0 of [0, 1, 9]) run(m, pos0, cfg, r);
  });

  it("a prefill row equals the decode call at its position bit for bit (result depends only on the row's keys)", () => {
    const r = rng(14);
    for (const [nh, hs, kvMul] of [[4, 16, 2], [3, 5, 1], [2, 64, 1]] as const) scoped(() => {
      const m = 11, pos0 = 6, T = pos0 + m;
      const ld = nh * hs, ldkv = Math.ceil(nh / kvMul) * hs;
      const qp = put(k, randomArray(r, m * ld)), kp = put(k, randomArray(r, T * ldkv)), vp = put(k, randomArray(r, T * ldkv));
      const o1 = k.alloc(m * ld), o2 = k.alloc(m * ld), sc = k.alloc(T);
      k.attention(qp, ld, kp, vp, ldkv, o1, ld, m, pos0, nh, hs, kvMul, 0, 0, sc);
      for (let i = 0; i < m; i++) k.attention(qp + i * ld * 4, ld, kp, vp, ldkv, o2 + i * ld * 4, ld, 1, pos0 + i, nh, hs, kvMul, 0, 0, sc);
      expect(firstBitDiff(get(k, o1, m * ld), get(k, o2, m * ld))).toBe(-1);
    });
  });

  it("long context (decode at pos 300, prefill of 64)", () => {
    const r = rng(9);
    run(1, 300, [4, 64, 2, 0, 0], r);
    run(64, 0, [2, 32, 1, 0, 0], r);
  });

  it("huge scores (softmax saturates to one-hot, far-negative scores give exp → 0) stay finite", () => {
    const r = rng(10);
    for (const [qs, ks] of [[1e3, 1e3], [1e17, 1e17], [1e30, 1e4]]) {
      run(3, 4, [4, 8, 2, 0, 0], r, qs, ks);
      run(2, 9, [3, 5, 1, 0, 0], r, qs, ks);
    }
  });
});

describe("tm_swiglu / tm_add / tm_exp", () => {
  it("swiglu sweep, aliasing and extreme inputs", () => {
    const r = rng(11);
    const special = [0, -0, 1, -1, 20, -20, 88, -88, 89, -89, 100, -100, 104, -104, 1e10, -1e10, 1e30, -1e30, 3e38, -3e38];
    for (const n of [...NK, special.length]) scoped(() => {
      const g = n === special.length ? Float32Array.from(special) : randomArray(r, n, 12);
      const u = randomArray(r, n, 3);
      const gp = put(k, g), up = put(k, u);
      const op = filled(k, n + 4, CANARY);
      k.swiglu(gp, up, op, n);
      const want = new Float32Array(n + 4).fill(CANARY);
      refSwiglu(g, u, want, n);
      const got = get(k, op, n + 4);
      const d = firstClose(got, want, 2e-6, 1e-37);
      if (d >= 0) throw new Error(`n=${n}: out[${d}] = ${got[d]} vs ${want[d]} (g=${g[d]}, u=${u[d]})`);
      for (let i = 0; i < n; i++) if (!Number.isFinite(got[i])) throw new Error(`non-finite out[${i}] for g=${g[i]}`);
      // out aliasing g
      k.swiglu(gp, up, gp, n);
      expect(firstBitDiff(get(k, gp, n), got.subarray(0, n))).toBe(-1);
    });
  });

  it("add is exact", () => {
    const r = rng(12);
    for (const n of NK) scoped(() => {
      const a = randomArray(r, n), b = randomArray(r, n, 100);
      const ap = put(k, a), bp = put(k, b);
      const guard = filled(k, 4, CANARY);
      k.add(ap, bp, n);
      refAdd(a, b, n);
      expect(firstBitDiff(get(k, ap, n), a)).toBe(-1);
      expect(get(k, guard, 4).every((v) => v === CANARY)).toBe(true);
    });
  });

  it("vectorized exp: within 2 ulp of Math.exp over [−104, 89], and its edge cases", () => {
    scoped(() => {
      const n = 200_003; // odd: exercises the tail
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = -104 + (193 * i) / (n - 1);
      const xp = put(k, x), yp = k.alloc(n);
      k.exp(xp, yp, n);
      const y = get(k, yp, n);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const e = Math.exp(x[i]!);
        const ef = Math.fround(e);
        if (ef === Infinity) {
          expect(y[i]).toBe(Infinity);
          continue;
        }
        if (ef < 1.1754944e-38) {
          // subnormal results: absolute error of a few subnormal steps
          if (Math.abs(y[i]! - e) > 4 * 1.4e-45 + 4e-7 * e) throw new Error(`exp(${x[i]}) = ${y[i]} vs ${e}`);
          continue;
        }
        const ulp = 2 ** (Math.floor(Math.log2(ef)) - 23);
        worst = Math.max(worst, Math.abs(y[i]! - e) / ulp);
      }
      expect(worst).toBeLessThanOrEqual(2);
      const sp = put(k, Float32Array.from([-Infinity, Infinity, NaN, 0, -0, -1e30, 1e30, 88.7, -87.3, 1]));
      k.exp(sp, sp, 10);
      const s = get(k, sp, 10);
      expect(s[0]).toBe(0);
      expect(s[1]).toBe(Infinity);
      expect(s[2]).toBeNaN();
      expect(s[3]).toBe(1);
      expect(s[4]).toBe(1);
      expect(s[5]).toBe(0);
      expect(s[6]).toBe(Infinity);
      expect(Number.isFinite(s[7])).toBe(true);
      expect(s[8]).toBeGreaterThan(0);
      expect(s[9]).toBeCloseTo(Math.E, 6);
    });
  });
});
