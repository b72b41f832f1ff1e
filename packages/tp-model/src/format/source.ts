// Runtime-neutral ByteSource implementations: bytes in memory and browser Blobs/Files.
// (The Node file source lives in node-source.ts, the only module of format/ with Node imports.)
import type { ByteSource } from "./types.js";

/**
 * Check that [offset, offset + length) lies inside a file of `size` bytes; throws an Error naming the
 * file, the offset and the length otherwise. Every ByteSource calls this before reading.
 */
export function checkRange(name: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new Error(`${name}: read of ${length} bytes at offset ${offset} is outside the file (${size} bytes)`);
  }
}

/**
 * A ByteSource over bytes in memory (tests, fetched files). `read` returns a view into `bytes`
 * (no copy): callers must not modify it.
 */
export function bytesSource(bytes: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: bytes.length,
    read(offset: number, length: number): Promise<Uint8Array> {
      try {
        checkRange(name, bytes.length, offset, length);
      } catch (e) {
        return Promise.reject(e);
      }
      return Promise.resolve(bytes.subarray(offset, offset + length));
    },
  };
}

/** A ByteSource over a browser Blob or File (Web Workers included): each read slices the blob. */
export function blobSource(blob: Blob, name: string): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      checkRange(name, blob.size, offset, length);
      const buf = await blob.slice(offset, offset + length).arrayBuffer();
      if (buf.byteLength !== length) {
        throw new Error(`${name}: short read of ${buf.byteLength} of ${length} bytes at offset ${offset}`);
      }
      return new Uint8Array(buf);
    },
  };
}
