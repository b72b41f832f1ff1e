// llama2.c checkpoints (karpathy/llama2.c): the legacy format read by run.c (version 0) and the
// versions 1 (f32) and 2 (int8 groups, read by runq.c) written by export.py.
//
// Layouts (little-endian; int = int32; every tensor row-major, rows = outputs):
//
// version 0 (no magic): 7 ints dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
//   (vocab_size < 0: a separate classifier follows, its magnitude is the vocabulary size), then f32:
//   token_embedding (vocab, dim), rms_att (L, dim), wq (L, dim, dim), wk (L, kv_dim, dim), wv (L, kv_dim, dim),
//   wo (L, dim, dim), rms_ffn (L, dim), w1 (L, hidden, dim), w2 (L, dim, hidden), w3 (L, hidden, dim),
//   rms_final (dim), freq_cis_real (seq_len, head_size/2), freq_cis_imag (same), [wcls (vocab, dim)].
// version 1: uint32 magic 0x616b3432 ("ak42"), int version = 1, the 7 ints (vocab_size > 0), uint8
//   shared_classifier, zero padding to 256 bytes; then f32: rms_att (L, dim), rms_ffn (L, dim),
//   rms_final (dim), token_embedding, wq, wk, wv, wo, w1, w2, w3 (each all layers), [wcls].
// version 2: as version 1 plus int group_size (at byte 37) in the header; then f32 rms_att, rms_ffn,
//   rms_final; then for each of token_embedding, wq[0..L), wk[..], wv[..], wo[..], w1[..], w2[..], w3[..],
//   [wcls]: the tensor's int8 values, then its f32 scales (one per group_size consecutive values of the
//   flat index; value = q * scale). This is the per-tensor interleaving runq.c's init_quantized_tensors
//   reads (early export.py revisions wrote all scales after all int8 values; runq.c never read those).
//
// No weights are read here: the result is a directory of byte ranges (TensorInfo) with canonical
// GGUF-style names; ranks read their shards through readTensorRows.
import { checkConfig } from "../config.js";
import type { ModelConfig } from "../config.js";
import type { ByteSource, Checkpoint, TensorInfo, TensorType } from "./types.js";

/** uint32 magic of llama2.c export versions ≥ 1: "ak42" as a little-endian uint32 */
export const LLAMA2C_MAGIC = 0x616b3432;
/** bytes of the version ≥ 1 header */
export const LLAMA2C_HEADER_BYTES = 256;
const LEGACY_HEADER_BYTES = 28;

interface RawHeader {
  readonly version: number;
  readonly dim: number;
  readonly hiddenDim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly vocabSize: number;
  readonly seqLen: number;
  readonly shared: boolean;
  readonly groupSize: number;
  readonly headerBytes: number;
}

function parseHeader(name: string, size: number, h: DataView): RawHeader {
  const isMagic = h.byteLength >= 4 && h.getUint32(0, true) === LLAMA2C_MAGIC;
  if (!isMagic) {
    if (size < LEGACY_HEADER_BYTES) {
      throw new Error(`${name}: ${size} bytes is too short for a llama2.c checkpoint header (${LEGACY_HEADER_BYTES} bytes)`);
    }
    const v = (i: number): number => h.getInt32(4 * i, true);
    const vocab = v(5);
    return {
      version: 0, dim: v(0), hiddenDim: v(1), nLayers: v(2), nHeads: v(3), nKvHeads: v(4),
      vocabSize: Math.abs(vocab), seqLen: v(6), shared: vocab > 0, groupSize: 0, headerBytes: LEGACY_HEADER_BYTES,
    };
  }
  if (size < 8) throw new Error(`${name}: ${size} bytes is too short for a llama2.c header (magic "ak42" then the version)`);
  const version = h.getInt32(4, true);
  if (version !== 1 && version !== 2) {
    throw new Error(`${name}: unsupported llama2.c checkpoint version ${version} (supported: 0 (legacy), 1, 2)`);
  }
  if (size < LLAMA2C_HEADER_BYTES) {
    throw new Error(`${name}: ${size} bytes is too short for the ${LLAMA2C_HEADER_BYTES}-byte llama2.c version ${version} header`);
  }
  const v = (i: number): number => h.getInt32(8 + 4 * i, true);
  const flag = h.getUint8(36);
  if (flag > 1) throw new Error(`${name}: shared_classifier flag is ${flag} (expected 0 or 1)`);
  if (v(5) <= 0) throw new Error(`${name}: vocab_size = ${v(5)} is not a positive integer`);
  let groupSize = 0;
  if (version === 2) {
    groupSize = h.getInt32(37, true);
    if (!(groupSize > 0 && groupSize <= 1 << 20)) throw new Error(`${name}: group_size = ${groupSize} is not a positive integer`);
  }
  return {
    version, dim: v(0), hiddenDim: v(1), nLayers: v(2), nHeads: v(3), nKvHeads: v(4),
    vocabSize: v(5), seqLen: v(6), shared: flag === 1, groupSize, headerBytes: LLAMA2C_HEADER_BYTES,
  };
}

/** The ModelConfig of a llama2.c header (rmsEps = f32(1e-5) and RoPE base 10000, as run.c hard-codes). */
function configOf(r: RawHeader): ModelConfig {
  return {
    dim: r.dim, hiddenDim: r.hiddenDim, nLayers: r.nLayers, nHeads: r.nHeads, nKvHeads: r.nKvHeads,
    vocabSize: r.vocabSize, seqLen: r.seqLen,
    // a non-dividing head count yields an integer here so that checkConfig reports the divisibility
    headSize: r.nHeads > 0 && r.dim % r.nHeads === 0 ? r.dim / r.nHeads : Math.max(1, Math.floor(r.dim / Math.max(1, r.nHeads))),
    rmsEps: Math.fround(1e-5), ropeTheta: 10000, // run.c: 1e-5f
  };
}

/** One entry of the file's tensor sequence: a canonical name and shape. */
interface Slot { readonly name: string; readonly shape: readonly number[] }

function perLayer(L: number, n: string, shape: readonly number[]): Slot[] {
  const out: Slot[] = [];
  for (let l = 0; l < L; l++) out.push({ name: `blk.${l}.${n}`, shape });
  return out;
}

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/**
 * Read a llama2.c checkpoint's header from `source` and lay out its tensors. Validates the header
 * (magic/version, every field via checkConfig) and that the file is EXACTLY as long as the header
 * says (a truncated file or trailing bytes is an error stating expected and actual sizes).
 * Every error names `source.name`.
 */
export async function readLlama2cCheckpoint(source: ByteSource): Promise<Checkpoint> {
  const name = source.name;
  const size = source.size;
  const head = await source.read(0, Math.min(size, LLAMA2C_HEADER_BYTES));
  const r = parseHeader(name, size, new DataView(head.buffer, head.byteOffset, head.byteLength));
  const where = `${name} (llama2.c version ${r.version} header)`;
  const config = configOf(r);
  checkConfig(config, where);
  const { dim, hiddenDim: hd, nLayers: L, vocabSize: V, seqLen, headSize } = config;
  const kvDim = config.nKvHeads * headSize;

  // The exact file size the header implies, computed before anything is laid out (so absurd layer
  // counts or widths are rejected by arithmetic, never by allocating per-layer entries).
  const layerMats = 2 * dim * dim + 2 * kvDim * dim + 3 * hd * dim;
  const embMats = (r.shared ? 1 : 2) * V * dim;
  const normVals = 2 * L * dim + dim;
  let expected: number;
  if (r.version === 2) {
    for (const [what, n] of [["token_embd", V * dim], ["attn_q/attn_output", dim * dim], ["attn_k/attn_v", kvDim * dim], ["ffn_*", hd * dim]] as const) {
      if (n % r.groupSize !== 0) throw new Error(`${where}: ${what} has ${n} values, not a multiple of group_size ${r.groupSize}`);
    }
    const q = (n: number): number => n + 4 * (n / r.groupSize);
    expected = r.headerBytes + 4 * normVals + (r.shared ? 1 : 2) * q(V * dim) +
      L * (2 * q(dim * dim) + 2 * q(kvDim * dim) + 3 * q(hd * dim));
  } else {
    expected = r.headerBytes + 4 * (normVals + embMats + L * layerMats + (r.version === 0 ? seqLen * headSize : 0));
  }
  if (expected !== size) {
    const what = expected > size ? "truncated" : "has trailing bytes";
    throw new Error(
      `${name}: llama2.c version ${r.version} checkpoint ${what}: the header (dim ${dim}, hidden ${hd}, ${L} layers, ` +
        `${config.nHeads}/${config.nKvHeads} heads, vocab ${V}, seq_len ${seqLen}${r.shared ? ", shared classifier" : ", separate classifier"}` +
        `${r.version === 2 ? `, group_size ${r.groupSize}` : ""}) implies ${expected} bytes, the file has ${size} bytes`,
    );
  }

  const norms: Slot[] = [...perLayer(L, "attn_norm", [dim]), ...perLayer(L, "ffn_norm", [dim]), { name: "output_norm", shape: [dim] }];
  const emb: Slot = { name: "token_embd", shape: [V, dim] };
  const mats: Slot[] = [
    ...perLayer(L, "attn_q", [dim, dim]), ...perLayer(L, "attn_k", [kvDim, dim]), ...perLayer(L, "attn_v", [kvDim, dim]),
    ...perLayer(L, "attn_output", [dim, dim]), ...perLayer(L, "ffn_gate", [hd, dim]), ...perLayer(L, "ffn_down", [dim, hd]),
    ...perLayer(L, "ffn_up", [hd, dim]),
  ];
  const out: Slot[] = r.shared ? [] : [{ name: "output", shape: [V, dim] }];

  const tensors = new Map<string, TensorInfo>();
  let off = r.headerBytes;
  const f32 = (s: Slot): void => {
    const bytes = 4 * numel(s.shape);
    tensors.set(s.name, { name: s.name, type: "f32" satisfies TensorType, shape: s.shape, offset: off, byteLength: bytes });
    off += bytes;
  };
  if (r.version === 0) {
    // token_embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, freq_cis, [wcls]
    f32(emb);
    for (const s of perLayer(L, "attn_norm", [dim])) f32(s);
    for (const s of mats.slice(0, 4 * L)) f32(s);
    for (const s of perLayer(L, "ffn_norm", [dim])) f32(s);
    for (const s of mats.slice(4 * L)) f32(s);
    f32({ name: "output_norm", shape: [dim] });
    off += 2 * 4 * seqLen * (headSize / 2); // freq_cis_real, freq_cis_imag: unused (RoPE is computed)
    for (const s of out) f32(s);
  } else if (r.version === 1) {
    for (const s of [...norms, emb, ...mats, ...out]) f32(s);
  } else {
    for (const s of norms) f32(s);
    const gs = r.groupSize;
    for (const s of [emb, ...mats, ...out]) {
      const n = numel(s.shape);
      if (n % gs !== 0) {
        throw new Error(`${where}: tensor ${s.name} has ${n} values, not a multiple of group_size ${gs}`);
      }
      tensors.set(s.name, {
        name: s.name, type: "llama2c-q8", shape: s.shape, offset: off, byteLength: n, groupSize: gs, scaleOffset: off + n,
      });
      off += n + 4 * (n / gs);
    }
  }
  if (off !== expected) throw new Error(`${name}: internal error: layout ${off} bytes ≠ computed size ${expected}`);
  return { format: "llama2c", version: r.version, config, tensors, tokenizer: null, source };
}
