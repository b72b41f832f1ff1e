// The native ceiling: bench/native/ceiling.c (the int8 and mxfp4 kernels' algorithms in C with AVX2 +
// F16C intrinsics, 8 lanes) compiled with the machine's C compiler, run on the benchmark's own input,
// its output hashed and compared with quant.wasm's (so both compute the same bytes and values).
// Optional: without a C compiler or AVX2 the section says why it was not measured.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface NativeRow {
  kernel: string;
  sizeBytes: number;
  nativeGBs: number;
  /** FNV-1a of the native output (packed bytes, or the f32 result of decode-accumulate into zeros) */
  fnv: number;
}

export type NativeResult = { ok: true; compiler: string; rows: NativeRow[] } | { ok: false; reason: string };

const SOURCE = fileURLToPath(new URL("../../bench/native/ceiling.c", import.meta.url));

/** FNV-1a over bytes, as ceiling.c computes it. */
export function fnv1a(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193) >>> 0;
  return h >>> 0;
}

export function runNative(inputs: Array<{ sizeBytes: number; x: Float32Array }>, reps: number): NativeResult {
  const dir = mkdtempSync(join(tmpdir(), "tw-native-"));
  try {
    const exe = join(dir, "ceiling");
    let compiler = "";
    const errors: string[] = [];
    for (const cc of ["cc", "gcc", "clang"]) {
      try {
        execFileSync(cc, ["-O3", "-march=native", "-o", exe, SOURCE], { stdio: ["ignore", "ignore", "pipe"] });
        compiler = `${execFileSync(cc, ["--version"]).toString().split("\n")[0]!.trim()} (-O3 -march=native)`;
        break;
      } catch (e) {
        errors.push(`${cc}: ${((e as { stderr?: Buffer }).stderr?.toString() || (e as Error).message).split("\n")[0]}`);
      }
    }
    if (!compiler) return { ok: false, reason: `no C compiler with AVX2/F16C intrinsics (${errors.join("; ")})` };
    const rows: NativeRow[] = [];
    for (const { sizeBytes, x } of inputs) {
      const file = join(dir, "input.f32");
      writeFileSync(file, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
      let out: string;
      try {
        out = execFileSync(exe, [file, String(x.length), String(reps)], { stdio: ["ignore", "pipe", "pipe"] }).toString();
      } catch (e) {
        return { ok: false, reason: `ceiling.c failed: ${((e as { stderr?: Buffer }).stderr?.toString() || (e as Error).message).trim()}` };
      }
      for (const line of out.trim().split("\n")) {
        const r = JSON.parse(line) as { kernel: string; gbps: number; fnv: number };
        rows.push({ kernel: r.kernel, sizeBytes, nativeGBs: r.gbps, fnv: r.fnv });
      }
    }
    return { ok: true, compiler, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
