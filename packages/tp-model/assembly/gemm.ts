// GEMM / GEMV over 16-output weight panels (KERNELS.md §2–3).
//
// Panel p holds outputs j = 16p .. 16p+15 (zero-padded past n); for each input kk its 16 weights are
// contiguous: packed[(p·k + kk)·16 + (j − 16p)]. One loop iteration is one k step: broadcast X[i, kk]
// (v128.load32_splat), load the 16 weights (4 × v128), and for each output lane acc = acc + x·w with a
// separate mul and add. The lanes run over outputs and k is sequential, so every output is computed by
// exactly the scalar recurrence acc = f32(acc + f32(x·w)), kk = 0..k−1: bit-identical to the reference.

/** Floats of a packed n × k weight. */
export function panelFloats(n: i32, k: i32): i32 {
  if (n <= 0 || k <= 0) return 0;
  return ((n + 15) >> 4) * 16 * k;
}

export function pack(w: usize, ldw: i32, n: i32, k: i32, dst: usize): void {
  if (n <= 0 || k <= 0) return;
  const panels = (n + 15) >> 4;
  const rs = <usize>ldw << 2;
  for (let p = 0; p < panels; p++) {
    const j0 = p << 4;
    const cols = min(16, n - j0);
    const base = dst + ((<usize>p * <usize>k) << 6);
    for (let jj = 0; jj < 16; jj++) {
      let o = base + (<usize>jj << 2);
      if (jj < cols) {
        let src = w + <usize>(j0 + jj) * rs;
        const end = src + (<usize>k << 2);
        while (src < end) {
          store<f32>(o, load<f32>(src));
          src += 4;
          o += 64;
        }
      } else {
        for (let kk = 0; kk < k; kk++) {
          store<f32>(o, 0);
          o += 64;
        }
      }
    }
  }
}

/** Static staging for a partial last panel (below tm_heap_base; never seen by the host). */
const STAGE: usize = memory.data(64, 16);

// @ts-ignore: decorator
@inline function storeRow(dst: usize, a0: v128, a1: v128, a2: v128, a3: v128, cols: i32): void {
  if (cols == 16) {
    v128.store(dst, a0);
    v128.store(dst, a1, 16);
    v128.store(dst, a2, 32);
    v128.store(dst, a3, 48);
  } else {
    v128.store(STAGE, a0);
    v128.store(STAGE, a1, 16);
    v128.store(STAGE, a2, 32);
    v128.store(STAGE, a3, 48);
    for (let c = 0; c < cols; c++) store<f32>(dst + (<usize>c << 2), load<f32>(STAGE + (<usize>c << 2)));
  }
}

export function matmul(x: usize, ldx: i32, wp: usize, n: i32, k: i32, y: usize, ldy: i32, m: i32): void {
  if (m <= 0 || n <= 0) return;
  if (k < 0) k = 0;
  const xs = <usize>ldx << 2;
  const ys = <usize>ldy << 2;
  const pb = <usize>k << 6; // bytes per panel
  const panels = (n + 15) >> 4;
  if (m == 1) {
    gemv(x, wp, n, k, y);
    return;
  }
  for (let p = 0; p < panels; p++) {
    const w0 = wp + <usize>p * pb;
    const wend = w0 + pb;
    const j0 = p << 4;
    const cols = min(16, n - j0);
    let i = 0;
    for (; i + 1 < m; i += 2) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
      let xp = x + <usize>i * xs;
      let w = w0;
      while (w < wend) {
        const s0 = v128.load32_splat(xp);
        const s1 = v128.load32_splat(xp + xs);
        const w0v = v128.load(w);
        const w1v = v128.load(w, 16);
        const w2v = v128.load(w, 32);
        const w3v = v128.load(w, 48);
        a0 = f32x4.add(a0, f32x4.mul(s0, w0v));
        a1 = f32x4.add(a1, f32x4.mul(s0, w1v));
        a2 = f32x4.add(a2, f32x4.mul(s0, w2v));
        a3 = f32x4.add(a3, f32x4.mul(s0, w3v));
        b0 = f32x4.add(b0, f32x4.mul(s1, w0v));
        b1 = f32x4.add(b1, f32x4.mul(s1, w1v));
        b2 = f32x4.add(b2, f32x4.mul(s1, w2v));
        b3 = f32x4.add(b3, f32x4.mul(s1, w3v));
        xp += 4;
        w += 64;
      }
      const yp = y + <usize>i * ys + (<usize>j0 << 2);
      storeRow(yp, a0, a1, a2, a3, cols);
      storeRow(yp + ys, b0, b1, b2, b3, cols);
    }
    if (i < m) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let xp = x + <usize>i * xs;
      let w = w0;
      while (w < wend) {
        const s0 = v128.load32_splat(xp);
        a0 = f32x4.add(a0, f32x4.mul(s0, v128.load(w)));
        a1 = f32x4.add(a1, f32x4.mul(s0, v128.load(w, 16)));
        a2 = f32x4.add(a2, f32x4.mul(s0, v128.load(w, 32)));
        a3 = f32x4.add(a3, f32x4.mul(s0, v128.load(w, 48)));
        xp += 4;
        w += 64;
      }
      storeRow(y + <usize>i * ys + (<usize>j0 << 2), a0, a1, a2, a3, cols);
    }
  }
}

/** m = 1: two panels per pass (8 independent accumulator chains), each panel streamed once. */
function gemv(x: usize, wp: usize, n: i32, k: i32, y: usize): void {
  const pb = <usize>k << 6;
  const panels = (n + 15) >> 4;
  let p = 0;
  for (; p + 1 < panels; p += 2) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
    let w = wp + <usize>p * pb;
    const wend = w + pb;
    let xp = x;
    while (w < wend) {
      const s = v128.load32_splat(xp);
      a0 = f32x4.add(a0, f32x4.mul(s, v128.load(w)));
      a1 = f32x4.add(a1, f32x4.mul(s, v128.load(w, 16)));
      a2 = f32x4.add(a2, f32x4.mul(s, v128.load(w, 32)));
      a3 = f32x4.add(a3, f32x4.mul(s, v128.load(w, 48)));
      const v = w + pb;
      b0 = f32x4.add(b0, f32x4.mul(s, v128.load(v)));
      b1 = f32x4.add(b1, f32x4.mul(s, v128.load(v, 16)));
      b2 = f32x4.add(b2, f32x4.mul(s, v128.load(v, 32)));
      b3 = f32x4.add(b3, f32x4.mul(s, v128.load(v, 48)));
      xp += 4;
      w += 64;
    }
    const j0 = p << 4;
    storeRow(y + (<usize>j0 << 2), a0, a1, a2, a3, 16);
    storeRow(y + (<usize>(j0 + 16) << 2), b0, b1, b2, b3, min(16, n - j0 - 16));
  }
  if (p < panels) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let w = wp + <usize>p * pb;
    const wend = w + pb;
    let xp = x;
    while (w < wend) {
      const s = v128.load32_splat(xp);
      a0 = f32x4.add(a0, f32x4.mul(s, v128.load(w)));
      a1 = f32x4.add(a1, f32x4.mul(s, v128.load(w, 16)));
      a2 = f32x4.add(a2, f32x4.mul(s, v128.load(w, 32)));
      a3 = f32x4.add(a3, f32x4.mul(s, v128.load(w, 48)));
      xp += 4;
      w += 64;
    }
    const j0 = p << 4;
    storeRow(y + (<usize>j0 << 2), a0, a1, a2, a3, min(16, n - j0));
  }
}
