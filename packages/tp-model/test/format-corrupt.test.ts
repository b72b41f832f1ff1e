// Corrupt, truncated, absurd and unsupported model files: every one must give an Error whose message
// starts with the file's name and says what is wrong — never a RangeError from deep inside, a hang
// or a huge allocation.
import { describe, expect, it } from "vitest";
import { openCheckpoint } from "../src/format/checkpoint.js";
import { gguf, memorySink, writeGguf } from "../src/format/gguf-writer.js";
import type { GgufTensorSpec } from "../src/format/gguf-writer.js";
import type { GgufMetadataEntry } from "../src/format/gguf.js";
import { bytesSource } from "../src/format/source.js";
import { syntheticConfig, syntheticMetadata, syntheticTensors, writeSyntheticModel } from "../src/synthetic.js";
import type { SyntheticModelOptions } from "../src/synthetic.js";
import { buildLlama2c, buildLlama2cQ8 } from "./helpers/format-fixtures.js";

const NAME = "bad.model";
const OPTS: SyntheticModelOptions = { dim: 16, hiddenDim: 24, nLayers: 1, nHeads: 4, nKvHeads: 2, vocabSize: 9, seqLen: 8, seed: 1, type: "f32" };

async function valid(): Promise<Uint8Array> {
  const s = memorySink();
  await writeSyntheticModel(s, OPTS);
  return s.bytes();
}

/** A GGUF like the synthetic one, with metadata and tensors edited. */
async function edited(
  editMeta: (m: [string, GgufMetadataEntry][]) => [string, GgufMetadataEntry][],
  editTensors: (t: GgufTensorSpec[]) => GgufTensorSpec[] = (t) => t,
): Promise<Uint8Array> {
  const c = syntheticConfig(OPTS);
  const tensors: GgufTensorSpec[] = syntheticTensors(c).map((t) => ({ name: `${t.name}.weight`, type: "f32", shape: t.shape, next: (d) => void d.fill(0.5) }));
  const s = memorySink();
  await writeGguf(s, editMeta(syntheticMetadata(OPTS, c)), editTensors(tensors));
  return s.bytes();
}
const setMeta = (key: string, e: GgufMetadataEntry | null) => (m: [string, GgufMetadataEntry][]) =>
  e === null ? m.filter(([k]) => k !== key) : m.some(([k]) => k === key) ? m.map(([k, v]) => [k, k === key ? e : v] as [string, GgufMetadataEntry]) : [...m, [key, e] as [string, GgufMetadataEntry]];

/** Assert that opening `bytes` fails with an Error (not a RangeError/TypeError) naming the file and matching `re`. */
async function rejects(bytes: Uint8Array, re: RegExp): Promise<void> {
  let err: unknown = null;
  try {
    await openCheckpoint(bytesSource(bytes, NAME));
  } catch (e) {
    err = e;
  }
  expect(err, `expected an error matching ${re}`).toBeInstanceOf(Error);
  const e = err as Error;
  expect(e.constructor.name, e.message).toBe("Error");
  expect(e.message.startsWith(`${NAME}:`) || e.message.startsWith(`${NAME} (`), e.message).toBe(true);
  expect(e.message).toMatch(re);
}

function patch(bytes: Uint8Array, f: (dv: DataView) => void): Uint8Array {
  const b = bytes.slice();
  f(new DataView(b.buffer));
  return b;
}

describe("corrupt GGUF files", () => {
  it("a valid file opens (the baseline of every case below)", async () => {
    const ck = await openCheckpoint(bytesSource(await valid(), NAME));
    expect(ck.config.dim).toBe(16);
  });

  it("truncation at every byte of the header and inside the tensor data", async () => {
    const b = await valid();
    const dataStart = b.length - syntheticTensors(syntheticConfig(OPTS)).reduce((a, t) => a + Math.ceil((4 * t.shape.reduce((x, y) => x * y, 1)) / 32) * 32, 0);
    for (let n = 0; n < dataStart; n++) {
      await rejects(b.subarray(0, n), /too short|truncated|remain|not a GGUF|empty file/);
    }
    for (let n = dataStart; n < b.length; n += 97) await rejects(b.subarray(0, n), /tensor "[a-z_.0-9]+" .*truncated/);
    await rejects(b.subarray(0, b.length - 1), /tensor "output\.weight" .*truncated/);
  });

  it("bad magic, bad versions", async () => {
    const b = await valid();
    await rejects(patch(b, (d) => d.setUint32(0, 0x46554748, true)), /legacy llama2\.c/); // no magic → legacy llama2.c → size mismatch
    await rejects(patch(b, (d) => d.setUint32(4, 1, true)), /unsupported GGUF version 1/);
    await rejects(patch(b, (d) => d.setUint32(4, 4, true)), /unsupported GGUF version 4/);
    await rejects(patch(b, (d) => d.setUint32(4, 3, false)), /big-endian/);
  });

  it("absurd counts and lengths are rejected before allocating", async () => {
    const b = await valid();
    await rejects(patch(b, (d) => d.setBigUint64(8, 1n << 40n, true)), /tensor count 1099511627776 cannot fit in the \d+ bytes that remain/);
    await rejects(patch(b, (d) => d.setBigUint64(8, 1n << 62n, true)), /tensor count = \d+ is absurd/);
    await rejects(patch(b, (d) => d.setBigUint64(16, 1n << 33n, true)), /metadata count 8589934592 cannot fit/);
    await rejects(patch(b, (d) => d.setBigUint64(24, 1n << 50n, true)), /metadata key #0 claims 1125899906842624 bytes/);
    await rejects(patch(b, (d) => d.setBigUint64(24, 0xffffffffffffffffn, true)), /absurd/);
    // the first entry is general.architecture: key (8 + 20 bytes), type (4); make it an array of 2^40 strings
    const arr = patch(b, (d) => {
      d.setUint32(24 + 8 + 20, 9, true);
      d.setUint32(24 + 8 + 20 + 4, 8, true);
      d.setBigUint64(24 + 8 + 20 + 8, 1n << 40n, true);
    });
    await rejects(arr, /metadata "general\.architecture" claims 1099511627776 items/);
    await rejects(patch(b, (d) => d.setUint32(24 + 8 + 20, 13, true)), /metadata "general\.architecture" has unknown value type 13/);
  });

  it("architecture, tokenizer and metadata problems", async () => {
    await rejects(await edited(setMeta("general.architecture", gguf.str("gpt2"))), /architecture "gpt2" is not supported/);
    await rejects(await edited(setMeta("general.architecture", null)), /architecture missing/);
    await rejects(await edited(setMeta("general.architecture", gguf.u32(7))), /general\.architecture" is a uint32, expected a string/);
    await rejects(await edited(setMeta("tokenizer.ggml.model", gguf.str("gpt2"))), /tokenizer\.ggml\.model is "gpt2"/);
    await rejects(await edited(setMeta("llama.vocab_size", gguf.u32(10))), /llama\.vocab_size = 10 but the tokenizer has 9 tokens/);
    await rejects(await edited(setMeta("tokenizer.ggml.scores", gguf.f32Array(new Float32Array(3)))), /scores has 3 entries for 9 tokens/);
    await rejects(await edited(setMeta("tokenizer.ggml.bos_token_id", gguf.u32(9))), /bos_token_id = 9 is outside the vocabulary/);
    await rejects(await edited(setMeta("llama.embedding_length", null)), /metadata "llama\.embedding_length" is missing/);
    await rejects(await edited(setMeta("llama.embedding_length", gguf.u32(0))), /dim = 0/);
    await rejects(await edited(setMeta("llama.attention.head_count", gguf.u32(5))), /not divisible by the 5 heads/);
    await rejects(await edited(setMeta("llama.attention.head_count_kv", gguf.u32(3))), /4 query heads are not a multiple of the 3 KV heads/);
    await rejects(await edited(setMeta("llama.attention.head_count_kv", gguf.u32(8))), /4 query heads are not a multiple of the 8 KV heads/);
    await rejects(await edited(setMeta("llama.block_count", gguf.u32(2 ** 31))), /nLayers = 2147483648/);
    await rejects(await edited(setMeta("llama.rope.dimension_count", gguf.u32(2))), /rope\.dimension_count = 2 ≠ head size 4/);
    await rejects(await edited(setMeta("llama.attention.key_length", gguf.u32(8))), /key_length = 8 ≠ head size 4/);
    await rejects(await edited(setMeta("llama.attention.layer_norm_rms_epsilon", gguf.f32(0))), /epsilon 0 is out of range/);
    await rejects(await edited(setMeta("llama.rope.scaling.type", gguf.str("linear"))), /RoPE scaling \(linear\) is not supported/);
    await rejects(await edited(setMeta("llama.rope.scaling.factor", gguf.f32(4))), /RoPE scaling \(factor 4\) is not supported/);
    await rejects(await edited(setMeta("llama.expert_count", gguf.u32(8))), /mixture-of-experts llama \(8 experts\)/);
    await openCheckpoint(bytesSource(await edited(setMeta("llama.rope.scaling.type", gguf.str("none"))), NAME)); // accepted
    await openCheckpoint(bytesSource(await edited(setMeta("llama.expert_count", gguf.u32(0))), NAME));
    await rejects(await edited(setMeta("llama.attention.layer_norm_rms_epsilon", gguf.str("x"))), /is a string, expected a number/);
    await rejects(await edited(setMeta("llama.embedding_length", gguf.f32(16.5))), /16\.5 is not an integer/);
    const b = await valid();
    const key = new TextEncoder().encode("general.alignment");
    let at = -1;
    for (let i = 0; i < 4096 && at < 0; i++) if (key.every((x, j) => b[i + j] === x)) at = i + key.length;
    expect(at).toBeGreaterThan(0);
    for (const [v, re] of [[24, /general\.alignment = 24 is not a power of two/], [0, /general\.alignment = 0 is not/]] as const) {
      await rejects(patch(b, (d) => d.setUint32(at + 4, v, true)), re);
    }
    await rejects(patch(b, (d) => d.setUint32(at, 6, true)), /general\.alignment = .* is not a power of two/); // now a float32
  });

  it("tensor problems: unsupported types, shapes, missing/unknown tensors, offsets", async () => {
    const b = await valid();
    // the first tensor info follows the metadata; find its type field through the name "token_embd.weight"
    const at = (s: string) => {
      const pat = new TextEncoder().encode(s);
      outer: for (let i = 0; i + pat.length <= b.length; i++) {
        for (let j = 0; j < pat.length; j++) if (b[i + j] !== pat[j]) continue outer;
        return i + pat.length;
      }
      throw new Error("not found");
    };
    const typeAt = at("token_embd.weight") + 4 + 2 * 8; // n_dims, ne[0], ne[1], then the type
    await rejects(patch(b, (d) => d.setUint32(typeAt, 12, true)), /tensor "token_embd\.weight" has ggml type Q4_K, not supported/);
    await rejects(patch(b, (d) => d.setUint32(typeAt, 3, true)), /ggml type Q4_1, not supported/);
    await rejects(patch(b, (d) => d.setUint32(typeAt, 999, true)), /ggml type #999, not supported/);
    await rejects(patch(b, (d) => d.setUint32(typeAt - 20, 0, true)), /tensor "token_embd\.weight" has 0 dimensions/);
    await rejects(patch(b, (d) => d.setUint32(typeAt - 20, 7, true)), /tensor "token_embd\.weight" has 7 dimensions/);
    await rejects(patch(b, (d) => d.setBigUint64(typeAt + 4, 8n, true)), /offset 8 is not a multiple of the alignment 32/);
    await rejects(patch(b, (d) => d.setBigUint64(typeAt + 4, 1n << 40n, true)), /tensor "token_embd\.weight" .*truncated/);
    await rejects(patch(b, (d) => d.setBigUint64(typeAt - 16, 17n, true)), /token_embd\.weight" has shape \[9, 17\], the config needs \[9, 16\]/);
    await rejects(await edited((m) => m, (t) => t.filter((x) => x.name !== "blk.0.ffn_up.weight")), /tensor "blk\.0\.ffn_up\.weight" is missing/);
    await rejects(await edited((m) => m, (t) => [...t, { ...t[1]!, name: "blk.1.attn_norm.weight" }]), /unexpected tensor "blk\.1\.attn_norm\.weight"/);
    await rejects(await edited((m) => m, (t) => [...t, { ...t[1]!, name: "rope_freqs.weight" }]), /unexpected tensor "rope_freqs\.weight"/);
    await rejects(await edited((m) => m, (t) => [...t, t[1]!]), /tensor "blk\.0\.attn_norm\.weight" appears twice/);
    await rejects(await edited(setMeta("llama.vocab_size", null), (t) => t.map((x) => (x.name === "output.weight" ? { ...x, shape: [8, 16] } : x))), /"output\.weight" has shape \[8, 16\], the config needs \[9, 16\]/);
  });
});

describe("corrupt llama2.c files", () => {
  const s = { dim: 8, hiddenDim: 12, nLayers: 1, nHeads: 2, nKvHeads: 1, vocabSize: 5, seqLen: 3, shared: false };
  it("truncation at every byte (version 0, 1, 2) and trailing bytes", async () => {
    for (const b of [buildLlama2c(0, s).bytes, buildLlama2c(1, s).bytes, buildLlama2cQ8(s, 4).bytes]) {
      for (let n = 0; n < b.length; n++) await rejects(b.subarray(0, n), /too short|truncated|empty file/);
      const more = new Uint8Array(b.length + 1);
      more.set(b);
      await rejects(more, /trailing bytes/);
    }
  });
  it("legacy files without a valid header say they were read as legacy llama2.c", async () => {
    await rejects(new TextEncoder().encode("this is not a model file at all, just text"), /dim = .* legacy llama2\.c|legacy llama2\.c/);
  });
});
