import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { blobSource, bytesSource } from "../src/format/source.js";
import { openFileSource } from "../src/format/node-source.js";

const data = Uint8Array.from({ length: 100 }, (_, i) => (i * 37) & 255);

describe("byte sources", () => {
  const dir = mkdtempSync(join(tmpdir(), "tw-src-"));
  const path = join(dir, "f.bin");
  writeFileSync(path, data);
  const makers = {
    bytes: async () => bytesSource(data, "mem.bin"),
    blob: async () => blobSource(new Blob([data]), "blob.bin"),
    file: async () => openFileSource(path),
  };
  for (const [kind, make] of Object.entries(makers)) {
    it(`${kind}: reads exact ranges, rejects ranges outside the file naming file/offset/size`, async () => {
      const s = await make();
      expect(s.size).toBe(100);
      expect([...(await s.read(0, 100))]).toEqual([...data]);
      expect([...(await s.read(97, 3))]).toEqual([...data.subarray(97)]);
      expect((await s.read(100, 0)).length).toBe(0);
      for (const [o, n] of [[99, 2], [101, 0], [-1, 1], [0, 101], [0.5, 1], [0, Number.NaN]] as const) {
        await expect(s.read(o, n)).rejects.toThrow(new RegExp(`${s.name.replace(/[.]/g, "\\.")}.*outside the file \\(100 bytes\\)`));
      }
      await expect(s.read(99, 2)).rejects.toThrow(/2 bytes at offset 99/);
      await s.close?.();
    });
  }
  it("file: missing file and directories are errors naming the path", async () => {
    await expect(openFileSource(join(dir, "nope.bin"))).rejects.toThrow(/nope\.bin: cannot open/);
    await expect(openFileSource(dir)).rejects.toThrow(/not a regular file|cannot open/);
  });
  it("file: read after close is an error", async () => {
    const s = await openFileSource(path);
    await s.close();
    await expect(s.read(0, 1)).rejects.toThrow(/after close/);
  });
});
