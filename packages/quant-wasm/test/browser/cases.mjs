// The round-trip every side of test/browser.test.ts runs: the page in Chromium (through the import map) and
// Node (the same built package). Plain JS with no imports, so both load it unchanged. Inputs come from integer
// arithmetic only (no Math.sin etc., whose last bit may differ between engines) and hold no NaN (NaN payload
// bits are not deterministic across engines).

/** [label, format, options, seed] */
export const CASES = [
  ["mxfp4", "mxfp4", {}, 0],
  ["mxfp4-stochastic", "mxfp4", { rounding: "stochastic" }, 99],
  ["nvfp4", "nvfp4", {}, 0],
  ["q8_0", "q8_0", {}, 0],
  ["fp5-e2m2", "fp5-e2m2", {}, 0],
  ["fp5-e2m2-fp16-b16", "fp5-e2m2", { scale: "fp16", block: 16 }, 0],
  ["int4", "int4", {}, 0],
  ["int4-stochastic-b64", "int4", { rounding: "stochastic", block: 64 }, 7],
];

/** Not a multiple of any block size: every codec's tail path runs. */
export const N = 2053;

/**
 * Deterministic input: xorshift32 → exact float arithmetic; outliers every 61 values, one all-zero block
 * (64..95), and one block of huge values (256..287, |x| up to 2^25) so that FP16-scaled formats clip.
 */
export function input(n = N, salt = 0) {
  const x = new Float32Array(n);
  let s = (0x9e3779b9 ^ Math.imul(salt + 1, 0x85ebca6b)) >>> 0;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    x[i] = (s / 4294967296 - 0.5) * (i % 61 === 0 ? 300 : 4);
  }
  x.fill(0, 64, Math.min(n, 96));
  for (let i = 256; i < Math.min(n, 288); i++) x[i] *= 1 << 24;
  return x;
}

export function hex(u8) {
  let s = "";
  for (let i = 0; i < u8.length; i++) s += (u8[i] < 16 ? "0" : "") + u8[i].toString(16);
  return s;
}

/** SHA-256 (WebCrypto: globalThis.crypto.subtle in browsers and Node ≥ 20) of a typed array's bytes, hex. */
export async function sha256(view) {
  const copy = new Uint8Array(view.byteLength);
  copy.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return hex(new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", copy)));
}

/**
 * Every case on one kernels instance: encode (packed bytes in hex, clipped-block count), decode,
 * decodeAccumulate onto a fixed f32 array and reduceEncode of three inputs (hashes of the f32 bits).
 * `qw` is the @tensorwire/quant-wasm module namespace.
 */
export async function roundTrip(qw, kernels) {
  const x = input();
  const others = [input(N, 1), input(N, 2)];
  const out = {};
  for (const [label, format, options, seed] of CASES) {
    const c = qw.createCodec(kernels, format, options);
    const { bytes, clipped } = c.encode(x, undefined, { seed });
    const decoded = c.decode(bytes, N);
    const acc = input(N, 3);
    c.decodeAccumulate(bytes, N, acc);
    const packed = [bytes, ...others.map((o) => c.encode(o, undefined, { seed }).bytes)];
    const reduced = c.reduceEncode(packed, N, undefined, { seed });
    out[label] = {
      spec: c.spec,
      bytesFor: c.bytesFor(N),
      bytes: hex(bytes),
      clipped,
      decoded: await sha256(decoded),
      accumulated: await sha256(acc),
      reduced: hex(reduced.bytes),
      reducedClipped: reduced.clipped,
    };
  }
  return out;
}

/** The scalar reference (@tensorwire/quant-wasm/reference) on the same cases: packed bytes and decode hash. */
export async function referenceRoundTrip(qw, ref) {
  const x = input();
  const out = {};
  for (const [label, format, options, seed] of CASES) {
    const spec = qw.resolveCodec(format, options);
    const { bytes, clipped } = ref.referenceQuantize(spec, x, seed);
    out[label] = { bytes: hex(bytes), clipped, decoded: await sha256(ref.referenceDequantize(spec, bytes, N)) };
  }
  return out;
}
