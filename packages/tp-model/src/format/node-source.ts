// Node-only: model files and sinks on the local file system. The ONLY module of format/ that imports
// Node APIs, so that everything else (readers, tensor reads, the tokenizer) runs in Web Workers too.
import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { checkRange } from "./source.js";
import type { ByteSource } from "./types.js";

/** A ByteSource backed by a file handle; call `close()` when done. */
export interface FileSource extends ByteSource {
  close(): Promise<void>;
}

/**
 * Open `path` for positional reads (fs.promises FileHandle.read at an offset: no whole-file load).
 * Rejects with an Error naming the path when the file cannot be opened or is not a regular file.
 */
export async function openFileSource(path: string): Promise<FileSource> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (e) {
    throw new Error(`${path}: cannot open model file: ${(e as Error).message}`);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new Error(`${path}: not a regular file`);
  }
  const size = st.size;
  let closed = false;
  return {
    name: path,
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (closed) throw new Error(`${path}: read after close`);
      checkRange(path, size, offset, length);
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(out, done, length - done, offset + done);
        if (bytesRead === 0) throw new Error(`${path}: unexpected end of file at offset ${offset + done} (file shrank while reading?)`);
        done += bytesRead;
      }
      return out;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}

/** A ByteSink writing a new file sequentially; call `close()` when done. */
export interface FileSink {
  readonly path: string;
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Create (or truncate) `path` for sequential writes; errors name the path. */
export async function openFileSink(path: string): Promise<FileSink> {
  let fh: FileHandle;
  try {
    fh = await open(path, "w");
  } catch (e) {
    throw new Error(`${path}: cannot create file: ${(e as Error).message}`);
  }
  let closed = false;
  return {
    path,
    async write(bytes: Uint8Array): Promise<void> {
      if (closed) throw new Error(`${path}: write after close`);
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, done, bytes.length - done);
        done += bytesWritten;
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}

/**
 * CLI helper: write a synthetic model (synthetic.ts) to `path`, streaming, with progress. On failure
 * the partial file is left in place and the error names the path.
 */
export async function writeSyntheticModelFile(
  path: string, options: import("../synthetic.js").SyntheticModelOptions, onProgress?: (written: number, total: number) => void,
): Promise<{ config: import("../config.js").ModelConfig; bytes: number }> {
  const { writeSyntheticModel } = await import("../synthetic.js");
  const sink = await openFileSink(path);
  try {
    return await writeSyntheticModel(sink, options, onProgress);
  } catch (e) {
    throw new Error(`${path}: writing the synthetic model failed: ${(e as Error).message}`);
  } finally {
    await sink.close();
  }
}
