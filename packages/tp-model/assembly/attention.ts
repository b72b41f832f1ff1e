// Causal multi-head / grouped-query attention (KERNELS.md §4), llama2.c's order of operations:
// scores s_t = (q·k_t)/sqrt(headSize) for t ≤ pos, p = softmax(s) (max-subtracted, vectorized exp,
// divided by the sum), out = Σ_t p_t·v_t. Lanes run over head dimensions (dot products, the weighted
// sum) and over t (exp).
import { vexp } from "./vexp";

const TAIL: usize = memory.data(16, 16);

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  // (l0 + l2) + (l1 + l3): the order dot4's transposed reduction uses, so a score does not depend on
  // whether its key was handled in a group of four or alone
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 2)) + (f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 3));
}

/** q·k over n dims: 4 lanes, then hsum, then the scalar tail (n mod 4). */
// @ts-ignore: decorator
@inline function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    const o = <usize>d << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  let s = hsum(acc);
  for (; d < n; d++) {
    const o = <usize>d << 2;
    s += load<f32>(a + o) * load<f32>(b + o);
  }
  return s;
}

/**
 * Four dot products q·k_0 … q·k_3 (keys kp, kp+kvs, …) for n a multiple of 4, as one vector; lane l
 * equals dot(q, k_l, n) bit for bit.
 */
// @ts-ignore: decorator
@inline function dot4(q: usize, kp: usize, kvs: usize, n: i32): v128 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  const k1 = kp + kvs, k2 = kp + 2 * kvs, k3 = kp + 3 * kvs;
  for (let d = 0; d < n; d += 4) {
    const o = <usize>d << 2;
    const qv = v128.load(q + o);
    a0 = f32x4.add(a0, f32x4.mul(qv, v128.load(kp + o)));
    a1 = f32x4.add(a1, f32x4.mul(qv, v128.load(k1 + o)));
    a2 = f32x4.add(a2, f32x4.mul(qv, v128.load(k2 + o)));
    a3 = f32x4.add(a3, f32x4.mul(qv, v128.load(k3 + o)));
  }
  // [a0_0+a0_2, a1_0+a1_2, a0_1+a0_3, a1_1+a1_3] and the same for a2, a3; then pairwise again
  const s01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const s23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  // s01 = [x0, y0, x1, y1] with x = a0's (l0+l2, l1+l3); want [x0+x1, y0+y1, z0+z1, w0+w1]
  return f32x4.add(v128.shuffle<f32>(s01, s23, 0, 1, 4, 5), v128.shuffle<f32>(s01, s23, 2, 3, 6, 7));
}

export function attention(
  q: usize, ldq: i32, kc: usize, vc: usize, ldkv: i32, out: usize, ldo: i32, m: i32, pos0: i32,
  nHeads: i32, headSize: i32, kvMul: i32, headOffset: i32, kvOffset: i32, scratch: usize,
): void {
  if (m <= 0 || nHeads <= 0 || headSize <= 0 || kvMul <= 0) return;
  const hs = headSize;
  const hb = <usize>hs << 2;
  const kvs = <usize>ldkv << 2;
  const rdiv = <f32>Math.sqrt(<f64>hs);
  for (let i = 0; i < m; i++) {
    const T = pos0 + i + 1;
    for (let j = 0; j < nHeads; j++) {
      const kvh = (headOffset + j) / kvMul - kvOffset;
      const qp = q + (<usize>i * <usize>ldq << 2) + <usize>j * hb;
      const kb = kc + <usize>kvh * hb;
      const vb = vc + <usize>kvh * hb;
      // scores and their maximum
      let mx = -Infinity as f32;
      let kp = kb;
      let t = 0;
      if ((hs & 3) == 0) {
        const rv = f32x4.splat(rdiv);
        let mv4 = f32x4.splat(-Infinity);
        for (; t + 4 <= T; t += 4) {
          const sv4 = f32x4.div(dot4(qp, kp, kvs, hs), rv);
          v128.store(scratch + (<usize>t << 2), sv4);
          mv4 = f32x4.max(mv4, sv4);
          kp += kvs << 2;
        }
        mx = max(max(f32x4.extract_lane(mv4, 0), f32x4.extract_lane(mv4, 1)), max(f32x4.extract_lane(mv4, 2), f32x4.extract_lane(mv4, 3)));
      }
      for (; t < T; t++) {
        const s = dot(qp, kp, hs) / rdiv;
        store<f32>(scratch + (<usize>t << 2), s);
        mx = max(mx, s);
        kp += kvs;
      }
      // exp(s − max) and the sum
      const mv = f32x4.splat(mx);
      let sv = f32x4.splat(0);
      t = 0;
      for (; t + 4 <= T; t += 4) {
        const o = scratch + (<usize>t << 2);
        const e = vexp(f32x4.sub(v128.load(o), mv));
        v128.store(o, e);
        sv = f32x4.add(sv, e);
      }
      let sum = (f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1)) + (f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3));
      if (t < T) {
        v128.store(TAIL, f32x4.splat(-Infinity));
        for (let c = t; c < T; c++) store<f32>(TAIL + (<usize>(c - t) << 2), load<f32>(scratch + (<usize>c << 2)));
        v128.store(TAIL, vexp(f32x4.sub(v128.load(TAIL), mv)));
        for (let c = t; c < T; c++) {
          const e = load<f32>(TAIL + (<usize>(c - t) << 2));
          store<f32>(scratch + (<usize>c << 2), e);
          sum += e;
        }
      }
      // normalize
      const sumv = f32x4.splat(sum);
      t = 0;
      for (; t + 4 <= T; t += 4) {
        const o = scratch + (<usize>t << 2);
        v128.store(o, f32x4.div(v128.load(o), sumv));
      }
      for (; t < T; t++) {
        const o = scratch + (<usize>t << 2);
        store<f32>(o, load<f32>(o) / sum);
      }
      // out = Σ_t p_t v_t: 16 dims at a time in registers, then 4, then scalar
      const op = out + (<usize>i * <usize>ldo << 2) + <usize>j * hb;
      let d = 0;
      for (; d + 16 <= hs; d += 16) {
        // even t into a*, odd t into b* (two independent add chains per vector), summed at the end
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
        let vp = vb + (<usize>d << 2);
        let tt = 0;
        for (; tt + 2 <= T; tt += 2) {
          const p = v128.load32_splat(scratch + (<usize>tt << 2));
          const p1 = v128.load32_splat(scratch + (<usize>tt << 2), 4);
          const vq = vp + kvs;
          a0 = f32x4.add(a0, f32x4.mul(p, v128.load(vp)));
          a1 = f32x4.add(a1, f32x4.mul(p, v128.load(vp, 16)));
          a2 = f32x4.add(a2, f32x4.mul(p, v128.load(vp, 32)));
          a3 = f32x4.add(a3, f32x4.mul(p, v128.load(vp, 48)));
          b0 = f32x4.add(b0, f32x4.mul(p1, v128.load(vq)));
          b1 = f32x4.add(b1, f32x4.mul(p1, v128.load(vq, 16)));
          b2 = f32x4.add(b2, f32x4.mul(p1, v128.load(vq, 32)));
          b3 = f32x4.add(b3, f32x4.mul(p1, v128.load(vq, 48)));
          vp += kvs << 1;
        }
        if (tt < T) {
          const p = v128.load32_splat(scratch + (<usize>tt << 2));
          a0 = f32x4.add(a0, f32x4.mul(p, v128.load(vp)));
          a1 = f32x4.add(a1, f32x4.mul(p, v128.load(vp, 16)));
          a2 = f32x4.add(a2, f32x4.mul(p, v128.load(vp, 32)));
          a3 = f32x4.add(a3, f32x4.mul(p, v128.load(vp, 48)));
        }
        const o = op + (<usize>d << 2);
        v128.store(o, f32x4.add(a0, b0));
        v128.store(o, f32x4.add(a1, b1), 16);
        v128.store(o, f32x4.add(a2, b2), 32);
        v128.store(o, f32x4.add(a3, b3), 48);
      }
      for (; d + 4 <= hs; d += 4) {
        let a0 = f32x4.splat(0);
        let vp = vb + (<usize>d << 2);
        for (let tt = 0; tt < T; tt++) {
          a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(scratch + (<usize>tt << 2)), v128.load(vp)));
          vp += kvs;
        }
        v128.store(op + (<usize>d << 2), a0);
      }
      for (; d < hs; d++) {
        let a: f32 = 0;
        let vp = vb + (<usize>d << 2);
        for (let tt = 0; tt < T; tt++) {
          a += load<f32>(scratch + (<usize>tt << 2)) * load<f32>(vp);
          vp += kvs;
        }
        store<f32>(op + (<usize>d << 2), a);
      }
    }
  }
}
