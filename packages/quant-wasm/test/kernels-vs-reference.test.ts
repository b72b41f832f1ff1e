// The wasm kernels against the scalar reference (src/reference): BYTE-identical packed output,
// the same clipped-block count, and BIT-identical f32 output (NaN payload and sign aside), for every
// format × allowed block × scale kind × rounding, on normal data, data with outliers, adversarial
// blocks (test/helpers/data.ts), exact ties and tiny (subnormal) tensors, at sizes 0, 1, B−1, B, B+1,
// 1000, 4097+3 (two 4096-element reduce chunks) and 2^16+5 (outlier data only, to keep the run short).
// Packed buffers are placed at varying (mis)alignments and every buffer is surrounded by canary
// bytes, so writes outside the given ranges and unwritten output bytes are caught too.
//
// Each format is its own `describe`. To run only some formats (comma list of FORMATS.md names):
//   cd packages/quant-wasm && node scripts/build-wasm.mjs && \
//   TW_FORMAT=mxfp4 npx vitest run test/kernels-vs-reference.test.ts
//   TW_FORMAT=int8,int4 npx vitest run test/kernels-vs-reference.test.ts -t "int8/b32/fp16/rne"
// (the wasm is loaded from src/wasm-inline.ts, which build-wasm.mjs regenerates).
import { beforeAll, describe, expect, it } from "vitest";
import { FORMATS, bytesFor, descriptorOf, loadQuantKernels } from "../src/index.js";
import type { CodecSpec, FormatName, QuantKernels } from "../src/index.js";
import {
  referenceDequantize, referenceDequantizeAccumulate, referenceQuantize, referenceReduceQuantize,
} from "../src/reference/index.js";
import {
  adversarialTensor, allSpecs, makeRng, normals, sameF32Bits, specLabel, tiesTensor, tinyTensor, withOutliers,
} from "./helpers/data.js";

const KNOWN = FORMATS.map((f) => f.name);
const ENV = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const FILTER = (ENV.TW_FORMAT ?? "").split(",").map((s) => s.trim()).filter(Boolean);
for (const name of FILTER) {
  if (!KNOWN.includes(name as FormatName)) throw new Error(`TW_FORMAT: unknown format "${name}"; known: ${KNOWN.join(", ")}`);
}
const SELECTED = KNOWN.filter((f) => FILTER.length === 0 || FILTER.includes(f));

const ERRORS: Record<number, string> = {
  [-1]: "unknown format id (placeholder kernel?)", [-2]: "bad block size", [-3]: "bad scale kind",
  [-4]: "bad rounding mode / reserved bits", [-5]: "bad argument",
};

// ---------------------------------------------------------------------------------------------
// A bump allocator over the module's shared memory, with canaries around every region.

const CANARY = 0xa5;
const GUARD = 32;

class Heap {
  private top: number;
  private readonly regions: Array<{ ptr: number; len: number }> = [];
  constructor(private readonly k: QuantKernels) {
    this.top = k.heapBase;
  }
  reset(): void {
    this.top = this.k.heapBase;
    this.regions.length = 0;
  }
  /** Allocate len bytes at an address ≡ misalign (mod 16), with canary guards on both sides. */
  alloc(len: number, misalign = 0): number {
    const ptr = ((this.top + GUARD + 15) & ~15) + misalign;
    this.top = ptr + len + GUARD;
    const need = this.top - this.k.memory.buffer.byteLength;
    if (need > 0) this.k.memory.grow(Math.ceil(need / 65536));
    const u8 = this.u8();
    u8.fill(CANARY, ptr - GUARD, ptr);
    u8.fill(CANARY, ptr + len, ptr + len + GUARD);
    this.regions.push({ ptr, len });
    return ptr;
  }
  u8(): Uint8Array {
    return new Uint8Array(this.k.memory.buffer);
  }
  /** Throw if any canary byte changed. */
  checkGuards(what: string): void {
    const u8 = this.u8();
    for (const { ptr, len } of this.regions) {
      for (let i = ptr - GUARD; i < ptr; i++) if (u8[i] !== CANARY) throw new Error(`${what}: wrote ${ptr - i} byte(s) before a buffer`);
      for (let i = ptr + len; i < ptr + len + GUARD; i++) if (u8[i] !== CANARY) throw new Error(`${what}: wrote byte ${i - ptr} past a ${len}-byte buffer`);
    }
  }
}

let kernels: QuantKernels;
let heap: Heap;

beforeAll(async () => {
  kernels = await loadQuantKernels(undefined, { initialPages: 64 });
  heap = new Heap(kernels);
});

function writeF32(ptr: number, x: Float32Array): void {
  heap.u8().set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength), ptr);
}
function readF32(ptr: number, n: number): Float32Array {
  const out = new Float32Array(n);
  new Uint8Array(out.buffer).set(heap.u8().subarray(ptr, ptr + 4 * n));
  return out;
}

/** Kernel quantize; the destination is pre-filled with garbage so unwritten bytes show. */
function kQuantize(s: CodecSpec, x: Float32Array, seed: number, misalign: number): { ret: number; bytes: Uint8Array } {
  heap.reset();
  const nb = bytesFor(s, x.length);
  const src = heap.alloc(4 * x.length);
  const dst = heap.alloc(nb, misalign);
  writeF32(src, x);
  heap.u8().fill(0xcd, dst, dst + nb);
  const ret = kernels.exports.tw_quantize(descriptorOf(s), src, x.length, dst, seed >>> 0);
  heap.checkGuards("tw_quantize");
  return { ret, bytes: heap.u8().slice(dst, dst + nb) };
}

/** Kernel dequantize (init undefined) or dequantize-accumulate into a copy of init. */
function kDequantize(s: CodecSpec, bytes: Uint8Array, n: number, misalign: number, init?: Float32Array): { ret: number; y: Float32Array } {
  heap.reset();
  const src = heap.alloc(bytes.length, misalign);
  const dst = heap.alloc(4 * n);
  heap.u8().set(bytes, src);
  if (init) writeF32(dst, init);
  else new Uint32Array(heap.u8().buffer, dst, n).fill(0x7fbadbad); // garbage (a NaN) everywhere
  const desc = descriptorOf(s);
  const ret = init ? kernels.exports.tw_dequantize_accumulate(desc, src, n, dst) : kernels.exports.tw_dequantize(desc, src, n, dst);
  heap.checkGuards(init ? "tw_dequantize_accumulate" : "tw_dequantize");
  return { ret, y: readF32(dst, n) };
}

/** Copy packed inputs into the heap (input i misaligned by misalign + i) and return their pointer table. */
function placeInputs(inputs: Uint8Array[], misalign: number): number {
  const ptrs = inputs.map((b, i) => {
    const p = heap.alloc(b.length, (misalign + i) % 4);
    heap.u8().set(b, p);
    return p;
  });
  const srcs = heap.alloc(4 * inputs.length);
  new Uint32Array(heap.u8().buffer, srcs, inputs.length).set(ptrs);
  return srcs;
}

function kReduce(s: CodecSpec, inputs: Uint8Array[], n: number, seed: number, misalign: number): { ret: number; bytes: Uint8Array } {
  heap.reset();
  const srcs = placeInputs(inputs, misalign);
  const nb = bytesFor(s, n);
  const dst = heap.alloc(nb, misalign);
  const scratch = heap.alloc(4 * n);
  heap.u8().fill(0xcd, dst, dst + nb);
  const ret = kernels.exports.tw_reduce_quantize(descriptorOf(s), srcs, inputs.length, n, dst, scratch, seed >>> 0);
  // the scratch is the kernel's to use; only the guards around it must survive
  heap.checkGuards("tw_reduce_quantize");
  return { ret, bytes: heap.u8().slice(dst, dst + nb) };
}

/** Kernel quantize-dequantize: packed bytes + decoded values; in place (out = src) when inPlace. */
function kRoundTrip(s: CodecSpec, x: Float32Array, seed: number, misalign: number, inPlace: boolean): { ret: number; bytes: Uint8Array; y: Float32Array } {
  heap.reset();
  const n = x.length;
  const nb = bytesFor(s, n);
  const src = heap.alloc(4 * n);
  const dst = heap.alloc(nb, misalign);
  const out = inPlace ? src : heap.alloc(4 * n);
  writeF32(src, x);
  heap.u8().fill(0xcd, dst, dst + nb);
  if (!inPlace) new Uint32Array(heap.u8().buffer, out, n).fill(0x7fbadbad);
  const ret = kernels.exports.tw_quantize_dequantize(descriptorOf(s), src, n, dst, out, seed >>> 0);
  heap.checkGuards("tw_quantize_dequantize");
  return { ret, bytes: heap.u8().slice(dst, dst + nb), y: readF32(out, n) };
}

/** Kernel dequantize-sum of k packed inputs into a garbage-filled destination. */
function kDequantizeSum(s: CodecSpec, inputs: Uint8Array[], n: number, misalign: number): { ret: number; y: Float32Array } {
  heap.reset();
  const srcs = placeInputs(inputs, misalign);
  const dst = heap.alloc(4 * n);
  new Uint32Array(heap.u8().buffer, dst, n).fill(0x7fbadbad);
  const ret = kernels.exports.tw_dequantize_sum(descriptorOf(s), srcs, inputs.length, n, dst);
  heap.checkGuards("tw_dequantize_sum");
  return { ret, y: readF32(dst, n) };
}

// ---------------------------------------------------------------------------------------------
// Comparisons with actionable messages

const hex = (b: Uint8Array): string => Array.from(b, (v) => v.toString(16).padStart(2, "0")).join(" ");

function blockGeometry(s: CodecSpec): { header: number; bb: number; B: number } {
  if (s.block === 0) return { header: 0, bb: s.format === "f32" ? 4 : 2, B: 1 };
  const header = s.format === "nvfp4" ? 4 : 0;
  return { header, bb: (bytesFor(s, 1) - header), B: s.block };
}

/** undefined when equal, else a description of the first differing block and the mismatch count. */
function diffBytes(s: CodecSpec, want: Uint8Array, got: Uint8Array, x?: Float32Array): string | undefined {
  if (want.length !== got.length) return `length ${got.length}, want ${want.length}`;
  let first = -1;
  let count = 0;
  for (let i = 0; i < want.length; i++) if (want[i] !== got[i]) { if (first < 0) first = i; count++; }
  if (first < 0) return undefined;
  const { header, bb, B } = blockGeometry(s);
  if (first < header) return `tensor header differs: got ${hex(got.subarray(0, header))}, want ${hex(want.subarray(0, header))} (${count} bytes differ)`;
  const k = Math.floor((first - header) / bb);
  const at = header + k * bb;
  const inputs = x ? ` inputs [${Array.from(x.subarray(k * B, k * B + Math.min(B, 16))).map((v) => v.toPrecision(6)).join(", ")}${B > 16 ? ", …" : ""}]` : "";
  return `${count} byte(s) differ; first at byte ${first} = block ${k} (+${first - at}):\n      got  ${hex(got.subarray(at, at + bb))}\n      want ${hex(want.subarray(at, at + bb))}\n     ${inputs}`;
}

function diffF32(want: Float32Array, got: Float32Array): string | undefined {
  const wb = new Uint32Array(want.buffer, want.byteOffset, want.length);
  const gb = new Uint32Array(got.buffer, got.byteOffset, got.length);
  let first = -1;
  let count = 0;
  for (let i = 0; i < want.length; i++) if (!sameF32Bits(wb[i]!, gb[i]!)) { if (first < 0) first = i; count++; }
  if (first < 0) return undefined;
  const h = (v: number): string => `0x${v.toString(16).padStart(8, "0")}`;
  return `${count} value(s) differ; first at ${first}: got ${got[first]} (${h(gb[first]!)}), want ${want[first]} (${h(wb[first]!)})`;
}

// ---------------------------------------------------------------------------------------------
// Test data

interface Case {
  readonly label: string;
  readonly kind: string;
  readonly x: Float32Array;
  readonly seed: number;
  readonly misalign: number;
  /** The reference's packed bytes and clipped count for x (computed once, shared by the four tests). */
  readonly want: { readonly bytes: Uint8Array; readonly clipped: number };
}

const BIG = (1 << 16) + 5;

function sizesFor(s: CodecSpec): number[] {
  const B = s.block || 32;
  return [...new Set([0, 1, B - 1, B, B + 1, 1000, 4097 + 3, BIG])];
}

/** Every input of one codec: 5 data kinds × the sizes; the largest size (80% of the work) only with outliers. */
function casesFor(s: CodecSpec): Case[] {
  const out: Case[] = [];
  let c = 0;
  const kinds: Array<[string, (n: number, seed: number) => Float32Array]> = [
    ["normal", (m, seed) => normals(m, seed, [1, 1e-3, 40][seed % 3]!)],
    ["outliers", (m, seed) => withOutliers(m, seed)],
    ["adversarial", (m, seed) => adversarialTensor(s, m, seed)],
    ["ties", (m, seed) => tiesTensor(s, m, seed)],
    ["tiny", (m, seed) => tinyTensor(s, m, seed)],
  ];
  for (const n of sizesFor(s)) {
    for (const [kind, gen] of kinds) {
      if (n === BIG && kind !== "outliers") continue;
      const seed = 1000 + 7 * n + c;
      const x = gen(n, seed);
      const rseed = (seed * 2654435761) >>> 0;
      out.push({ label: `${kind} n=${n} seed=${rseed} misalign=${c % 4}`, kind, x, seed: rseed, misalign: c % 4, want: referenceQuantize(s, x, rseed) });
      c++;
    }
  }
  return out;
}

/** Run every case; collect up to 4 failure messages; stop early when the kernel reports an error. */
function runCases(s: CodecSpec, cases: Case[], one: (c: Case) => string | undefined): void {
  const fails: string[] = [];
  let failed = 0;
  for (const c of cases) {
    const msg = one(c);
    if (msg === undefined) continue;
    failed++;
    if (fails.length < 4) fails.push(`[${c.label}] ${msg}`);
    if (msg.startsWith("kernel returned")) break;
  }
  expect(fails, `${specLabel(s)}: ${failed}/${cases.length} case(s) failed:\n  ${fails.join("\n  ")}`).toEqual([]);
}

function retError(ret: number, want = 0): string | undefined {
  if (ret < 0) return `kernel returned ${ret} (${ERRORS[ret] ?? "?"})`;
  if (ret !== want) return `kernel returned ${ret} clipped blocks, reference ${want}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------

for (const name of SELECTED) {
  describe(name, () => {
    for (const s of allSpecs([name])) {
      describe(specLabel(s), () => {
        let cases: Case[] = [];
        beforeAll(() => { cases = casesFor(s); });

        it("tw_quantize: identical bytes and clipped count", () => {
          runCases(s, cases, (c) => {
            const nb = kernels.exports.tw_bytes_for(descriptorOf(s), c.x.length);
            if (nb !== c.want.bytes.length) return `tw_bytes_for returned ${nb}, want ${c.want.bytes.length}`;
            const got = kQuantize(s, c.x, c.seed, c.misalign);
            return retError(got.ret, c.want.clipped) ?? diffBytes(s, c.want.bytes, got.bytes, c.x);
          });
        });

        it("tw_dequantize: bit-identical values (reference bytes and random bytes)", () => {
          const rng = makeRng(31);
          const random: Case[] = [s.block + 1, 1000].map((n, i) => {
            const bytes = Uint8Array.from({ length: bytesFor(s, n) }, () => Math.floor(rng() * 256));
            return { label: `random bytes n=${n}`, kind: "random", x: new Float32Array(n), seed: i, misalign: 3, want: { bytes, clipped: 0 } };
          });
          runCases(s, [...cases, ...random], (c) => {
            const n = c.x.length;
            const bytes = c.want.bytes;
            const want = referenceDequantize(s, bytes, n);
            const got = kDequantize(s, bytes, n, c.misalign);
            return retError(got.ret) ?? diffF32(want, got.y);
          });
        });

        it("tw_dequantize_accumulate: bit-identical f32 sums", () => {
          runCases(s, cases, (c) => {
            const n = c.x.length;
            const bytes = c.want.bytes;
            const init = normals(n, c.seed + 1, 2);
            for (let i = 0; i < n; i += 7) init[i] = i % 14 === 0 ? -0 : 0; // signed-zero sums
            const want = Float32Array.from(init);
            referenceDequantizeAccumulate(s, bytes, n, want);
            const got = kDequantize(s, bytes, n, c.misalign, init);
            return retError(got.ret) ?? diffF32(want, got.y);
          });
        });

        it("tw_quantize_dequantize: the reference's bytes and their decoded values, also in place", () => {
          runCases(s, cases, (c) => {
            const want = referenceDequantize(s, c.want.bytes, c.x.length);
            for (const inPlace of [false, true]) {
              const got = kRoundTrip(s, c.x, c.seed, c.misalign, inPlace);
              const msg = retError(got.ret, c.want.clipped) ?? diffBytes(s, c.want.bytes, got.bytes, c.x) ?? diffF32(want, got.y);
              if (msg) return `${inPlace ? "in place" : "out of place"}: ${msg}`;
            }
            return undefined;
          });
        });

        it("tw_dequantize_sum: bit-identical to dequantize + accumulate in index order, k = 1 and 3", () => {
          runCases(s, cases.filter((c) => c.kind !== "ties"), (c) => {
            const n = c.x.length;
            const others = cases.filter((o) => o !== c && o.x.length === n).map((o) => o.want.bytes);
            const ins = [c.want.bytes, ...others.slice(0, 2)];
            while (ins.length < 3) ins.push(c.want.bytes);
            for (const k of [1, 3]) {
              const want = referenceDequantize(s, ins[0]!, n);
              for (let j = 1; j < k; j++) referenceDequantizeAccumulate(s, ins[j]!, n, want);
              const got = kDequantizeSum(s, ins.slice(0, k), n, c.misalign);
              const msg = retError(got.ret) ?? diffF32(want, got.y);
              if (msg) return `k=${k}: ${msg}`;
            }
            return undefined;
          });
        });

        it("tw_reduce_quantize: identical bytes for k = 1 and 3 inputs", () => {
          runCases(s, cases.filter((c) => c.kind === "normal" || c.kind === "adversarial" || c.x.length === BIG), (c) => {
            const n = c.x.length;
            // the other inputs: this size's other data kinds (packed by the reference), else c again
            const others = cases.filter((o) => o !== c && o.x.length === n && o.kind !== "ties").map((o) => o.want.bytes);
            const ins = [c.want.bytes, ...others.slice(0, 2)];
            while (ins.length < 3) ins.push(c.want.bytes);
            for (const k of [1, 3]) {
              const want = referenceReduceQuantize(s, ins.slice(0, k), n, c.seed);
              const got = kReduce(s, ins.slice(0, k), n, c.seed, c.misalign);
              const msg = retError(got.ret, want.clipped) ?? diffBytes(s, want.bytes, got.bytes);
              if (msg) return `k=${k}: ${msg}`;
            }
            return undefined;
          });
        });
      });
    }
  });
}
