// openCheckpoint: detect the format of a model file by its first bytes and read its header.
import { GGUF_MAGIC, readGgufCheckpoint } from "./gguf.js";
import { LLAMA2C_MAGIC, readLlama2cCheckpoint } from "./llama2c.js";
import type { ByteSource, Checkpoint } from "./types.js";

/** The format a file's first bytes announce: "gguf" ("GGUF"), "llama2c" ("ak42" versions ≥ 1, else the legacy header). */
export function detectFormat(first4: Uint8Array): "gguf" | "llama2c" {
  if (first4.length >= 4) {
    const m = first4[0]! | (first4[1]! << 8) | (first4[2]! << 16) | (first4[3]! << 24);
    if (m >>> 0 === GGUF_MAGIC) return "gguf";
    if (m >>> 0 === LLAMA2C_MAGIC) return "llama2c";
  }
  return "llama2c";
}

/**
 * Open a checkpoint: GGUF by its magic, a llama2.c version ≥ 1 export by "ak42", else a legacy
 * llama2.c file (no magic: accepted only if its header is valid and the file size matches it
 * exactly). Reads only headers. Errors name `source.name`.
 */
export async function openCheckpoint(source: ByteSource): Promise<Checkpoint> {
  if (source.size === 0) throw new Error(`${source.name}: empty file`);
  const head = await source.read(0, Math.min(4, source.size));
  if (detectFormat(head) === "gguf") return readGgufCheckpoint(source);
  try {
    return await readLlama2cCheckpoint(source);
  } catch (e) {
    const m = (e as Error).message;
    if (head.length === 4 && detectFormat(head) === "llama2c" && (head[0]! | (head[1]! << 8) | (head[2]! << 16) | (head[3]! << 24)) >>> 0 !== LLAMA2C_MAGIC) {
      throw new Error(`${m} (no GGUF or "ak42" magic: read as a legacy llama2.c checkpoint)`);
    }
    throw e;
  }
}
