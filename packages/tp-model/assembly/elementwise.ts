// RMSNorm, RoPE, SwiGLU, add and the exp test kernel (KERNELS.md §5). Element tails (n mod 4) are
// staged through a static vector so every element goes through the same vector arithmetic.
import { vexp } from "./vexp";

const TAIL_A: usize = memory.data(16, 16);
const TAIL_B: usize = memory.data(16, 16);

// @ts-ignore: decorator
@inline function stageIn(dst: usize, src: usize, r: i32): void {
  v128.store(dst, f32x4.splat(0));
  for (let c = 0; c < r; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)));
}

// @ts-ignore: decorator
@inline function stageOut(dst: usize, src: usize, r: i32): void {
  for (let c = 0; c < r; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)));
}

/**
 * llama2.c rmsnorm per row, with the sum of squares and the scale in f64 (so |x| up to the f32 maximum
 * neither overflows nor loses the scale to a subnormal): s = 1/sqrt(Σx²/n + eps) (f64),
 * y = f32(w · f32(x·s)).
 */
export function rmsnorm(x: usize, ldx: i32, w: usize, y: usize, ldy: i32, m: i32, n: i32, eps: f32): void {
  if (m <= 0 || n <= 0) return;
  const xs = <usize>ldx << 2;
  const ys = <usize>ldy << 2;
  for (let i = 0; i < m; i++) {
    const xr = x + <usize>i * xs;
    const yr = y + <usize>i * ys;
    let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const p = xr + (<usize>j << 2);
      const lo = f64x2.promote_low_f32x4(v128.load64_zero(p));
      const hi = f64x2.promote_low_f32x4(v128.load64_zero(p + 8));
      acc0 = f64x2.add(acc0, f64x2.mul(lo, lo));
      acc1 = f64x2.add(acc1, f64x2.mul(hi, hi));
    }
    const accv = f64x2.add(acc0, acc1);
    let ss = f64x2.extract_lane(accv, 0) + f64x2.extract_lane(accv, 1);
    for (; j < n; j++) {
      const v = <f64>load<f32>(xr + (<usize>j << 2));
      ss += v * v;
    }
    const s = 1.0 / Math.sqrt(ss / <f64>n + <f64>eps);
    const sv = f64x2.splat(s);
    j = 0;
    for (; j + 2 <= n; j += 2) {
      const o = <usize>j << 2;
      const t = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(xr + o)), sv));
      v128.store64_lane(yr + o, f32x4.mul(v128.load64_zero(w + o), t), 0);
    }
    if (j < n) {
      const o = <usize>j << 2;
      store<f32>(yr + o, load<f32>(w + o) * <f32>(<f64>load<f32>(xr + o) * s));
    }
  }
}

/** In-place adjacent-pair rotation (a, b) → (a·c − b·s, a·s + b·c), in f32. */
export function rope(x: usize, ldx: i32, m: i32, nHeads: i32, headSize: i32, pos0: i32, cosTab: usize, sinTab: usize): void {
  if (m <= 0 || nHeads <= 0 || headSize < 2) return;
  const half = headSize >> 1;
  const xs = <usize>ldx << 2;
  for (let i = 0; i < m; i++) {
    const row = x + <usize>i * xs;
    const tab = <usize>(pos0 + i) * <usize>half << 2;
    for (let h = 0; h < nHeads; h++) {
      const hp = row + (<usize>(h * headSize) << 2);
      for (let p = 0; p < half; p++) {
        const e = hp + (<usize>p << 3);
        const c = load<f32>(cosTab + tab + (<usize>p << 2));
        const s = load<f32>(sinTab + tab + (<usize>p << 2));
        const a = load<f32>(e);
        const b = load<f32>(e, 4);
        store<f32>(e, a * c - b * s);
        store<f32>(e, a * s + b * c, 4);
      }
    }
  }
}

/**
 * silu(g)·u with e = exp(−|g|) ∈ (0, 1] (never overflows): sigmoid(g) = 1/(1+e) for g ≥ 0 and
 * e/(1+e) for g < 0; out = (g·sigmoid(g))·u.
 */
// @ts-ignore: decorator
@inline function swiglu4(g: v128, u: v128): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(g)));
  const one = f32x4.splat(1.0);
  const num = v128.bitselect(one, e, f32x4.ge(g, f32x4.splat(0)));
  return f32x4.mul(f32x4.mul(g, f32x4.div(num, f32x4.add(one, e))), u);
}

export function swiglu(g: usize, u: usize, out: usize, n: i32): void {
  if (n <= 0) return;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, swiglu4(v128.load(g + o), v128.load(u + o)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    stageIn(TAIL_A, g + o, n - i);
    stageIn(TAIL_B, u + o, n - i);
    v128.store(TAIL_A, swiglu4(v128.load(TAIL_A), v128.load(TAIL_B)));
    stageOut(out + o, TAIL_A, n - i);
  }
}

export function add(dst: usize, src: usize, n: i32): void {
  if (n <= 0) return;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

export function expArray(src: usize, dst: usize, n: i32): void {
  if (n <= 0) return;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, vexp(v128.load(src + o)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    stageIn(TAIL_A, src + o, n - i);
    v128.store(TAIL_A, vexp(v128.load(TAIL_A)));
    stageOut(dst + o, TAIL_A, n - i);
  }
}
