import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Tokenizer, parseBytePiece, readLlama2cTokenizer, safePiece } from "../src/tokenizer.js";
import type { TokenizerData } from "../src/format/types.js";
import { itWithModels, stories260K } from "./helpers/format-fixtures.js";

const enc = new TextEncoder();
const b = (s: string): Uint8Array => enc.encode(s);

// ---------------------------------------------------------------------------------------------
// An independent oracle: run.c's encode() written as literally (and slowly) as possible — linear
// scans of the vocabulary for every lookup, a full rescan of all pairs per merge.
function sameBytes(a: Uint8Array, c: Uint8Array): boolean {
  if (a.length !== c.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== c[i]) return false;
  return true;
}
function cstr(a: Uint8Array): Uint8Array {
  const z = a.indexOf(0);
  return z < 0 ? a : a.subarray(0, z);
}
function naiveLookup(v: TokenizerData, s: Uint8Array): number {
  for (let i = 0; i < v.pieces.length; i++) if (sameBytes(cstr(v.pieces[i]!), s)) return i;
  return -1;
}
function naiveHasByteTokens(v: TokenizerData): boolean {
  if (v.pieces.length < 259) return false;
  for (let x = 0; x < 256; x++) {
    if (!sameBytes(cstr(v.pieces[x + 3]!), b(`<0x${x.toString(16).toUpperCase().padStart(2, "0")}>`))) return false;
  }
  return true;
}
function naiveFallback(v: TokenizerData, x: number): number {
  if (naiveHasByteTokens(v)) return x + 3;
  const id = naiveLookup(v, b(`<0x${x.toString(16).toUpperCase().padStart(2, "0")}>`));
  return id >= 0 ? id : (v.unknownId ?? 0);
}
function naiveEncode(v: TokenizerData, text: Uint8Array, bos: boolean, eos: boolean): number[] {
  const t = cstr(text);
  const toks: number[] = [];
  if (bos) toks.push(v.bosId);
  if (t.length > 0) {
    const sp = naiveLookup(v, b(" "));
    toks.push(sp >= 0 ? sp : naiveFallback(v, 32));
  }
  let buf: number[] = [];
  for (let i = 0; i < t.length; i++) {
    if ((t[i]! & 0xc0) !== 0x80) buf = [];
    buf.push(t[i]!);
    if (i + 1 < t.length && (t[i + 1]! & 0xc0) === 0x80 && buf.length < 4) continue;
    const id = naiveLookup(v, Uint8Array.from(buf));
    if (id >= 0) toks.push(id);
    else for (const x of buf) toks.push(naiveFallback(v, x));
    buf = [];
  }
  for (;;) {
    let best = -1e10, bestId = -1, bestIdx = -1;
    for (let i = 0; i < toks.length - 1; i++) {
      const a = cstr(v.pieces[toks[i]!]!), c = cstr(v.pieces[toks[i + 1]!]!);
      const cat = new Uint8Array(a.length + c.length);
      cat.set(a);
      cat.set(c, a.length);
      const id = naiveLookup(v, cat);
      if (id !== -1 && v.scores[id]! > best) {
        best = v.scores[id]!;
        bestId = id;
        bestIdx = i;
      }
    }
    if (bestIdx === -1) break;
    toks.splice(bestIdx, 2, bestId);
  }
  if (eos) toks.push(v.eosId);
  return toks;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
const ALPHABET = ["a", "e", "t", "h", " ", " ", "  ", "O", "n", "c", ".", ",", "\n", "\t", "é", "☃", "😀", "€", "â", "\u0001", "<", "0x", ">", "'", "Lily", " the", "A", "z", "\u2581", "\u00a0"];
function randomText(r: () => number, maxLen: number): string {
  let s = "";
  const n = Math.floor(r() * maxLen);
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}
function randomBytes(r: () => number, maxLen: number): Uint8Array {
  const pool = [0x80, 0xbf, 0xc3, 0xa9, 0xe2, 0x98, 0x83, 0xf0, 0x9f, 0xff, 0x41, 0x20, 0x74, 0x68, 0x0a, 0x00];
  return Uint8Array.from({ length: Math.floor(r() * maxLen) }, () => (r() < 0.8 ? pool[Math.floor(r() * pool.length)]! : Math.floor(r() * 256)));
}

/** A small vocabulary without byte tokens (unknown = 0) and with split UTF-8 pieces. */
function smallVocab(): TokenizerData {
  const words = ["<unk>", "<s>", "</s>", " ", "a", "b", "ab", " a", " ab", "ba", "\xF0\x9F", "\x98\x80", "c", "bab", "<0x41>", "ca"];
  const pieces = words.map((w) => Uint8Array.from(w, (ch) => ch.charCodeAt(0)));
  // equal scores on purpose in places (ties → leftmost)
  const scores = Float32Array.from([0, 0, 0, -1, -1, -1, -2, -2, -3, -2, -1, -1, -1, -5, 0, -2]);
  return { pieces, scores, maxTokenLength: 3, bosId: 1, eosId: 2, unknownId: 0 };
}

describe("byte pieces and safe_printf", () => {
  it("parseBytePiece follows sscanf(\"<0x%02hhX>\")", () => {
    expect(parseBytePiece(b("<0x0A>"))).toBe(10);
    expect(parseBytePiece(b("<0xff>"))).toBe(255);
    expect(parseBytePiece(b("<0xA>"))).toBe(10);
    expect(parseBytePiece(b("<0x41"))).toBe(0x41);
    expect(parseBytePiece(b("<0x123>"))).toBe(0x12);
    expect(parseBytePiece(b("<0x G>"))).toBe(-1);
    expect(parseBytePiece(b("<0x 7>"))).toBe(7);
    expect(parseBytePiece(b("<0x-1>"))).toBe(255);
    expect(parseBytePiece(b("<0x>"))).toBe(-1);
    expect(parseBytePiece(b("<1x41>"))).toBe(-1);
    expect(parseBytePiece(b("hello"))).toBe(-1);
  });
  it("safePiece drops empty pieces and single non-printable, non-space bytes", () => {
    for (let x = 0; x < 256; x++) {
      const keep = (x >= 0x20 && x <= 0x7e) || (x >= 9 && x <= 13);
      expect(safePiece(Uint8Array.of(x)).length).toBe(keep ? 1 : 0);
    }
    expect(safePiece(new Uint8Array(0)).length).toBe(0);
    expect([...safePiece(Uint8Array.of(0xc3, 0xa9))]).toEqual([0xc3, 0xa9]);
    expect([...safePiece(Uint8Array.of(0x41, 0, 0x42))]).toEqual([0x41]);
  });
});

describe("Tokenizer on a vocabulary without byte tokens", () => {
  const v = smallVocab();
  const t = new Tokenizer(v, "small");
  it("encode: hand-derived cases", () => {
    expect(t.hasByteTokens).toBe(false);
    expect(t.encode("", true, false)).toEqual([1]);
    expect(t.encode("", false, false)).toEqual([]);
    expect(t.encode("", true, true)).toEqual([1, 2]);
    // " ab": [ , a, b] → " a"(-2) vs "ab"(-2): tie → leftmost " a", then " a"+"b" = " ab"
    expect(t.encode("ab", true, false)).toEqual([1, 8]);
    // unknown byte 'z' (no byte tokens, no "<0x7A>") → unknown id 0; 'A' → the piece "<0x41>" (id 14)
    expect(t.encode("zA", false, true)).toEqual([3, 0, 14, 2]);
    // "☃" = E2 98 83 is not a piece: fallback per byte → 0 0 0 (no pieces "<0xE2>"…)
    expect(t.encode("☃", false, false)).toEqual([3, 0, 0, 0]);
    // "bab": [" ", b, a, b] → "ba"(-2) at 1 ties "ab"(-2) at 2 → leftmost "ba"; then "ba"+"b" = "bab"(-5)
    expect(t.encode("bab", false, false)).toEqual([3, 13]);
    // "ca": [" ", c, a] → only "ca"(-2) → [" ", "ca"]
    expect(t.encode("ca", false, false)).toEqual([3, 15]);
  });
  it("encode matches the naive oracle on random strings and bytes", () => {
    const r = lcg(7);
    const alpha = ["a", "b", " ", "c", "z", "A", "☃", "😀", "\xE2"];
    for (let k = 0; k < 300; k++) {
      let s = "";
      for (let i = Math.floor(r() * 14); i > 0; i--) s += alpha[Math.floor(r() * alpha.length)];
      const bos = r() < 0.5, eos = r() < 0.5;
      expect(t.encode(s, bos, eos)).toEqual(naiveEncode(v, b(s), bos, eos));
      const raw = randomBytes(r, 12);
      expect(t.encode(raw, bos, eos)).toEqual(naiveEncode(v, raw, bos, eos));
    }
  });
  it("streaming decode holds back split UTF-8 and equals decodeText", () => {
    const toks = [1, 10, 11, 4, 10, 11];
    const s = t.textStream(1);
    const chunks = toks.slice(1).map((x) => s.push(x));
    expect(chunks).toEqual(["", "😀", "a", "", "😀"]);
    expect(s.end()).toBe("");
    expect(chunks.join("")).toBe(t.decodeText(toks));
    const s2 = t.textStream(1);
    expect(s2.push(10)).toBe("");
    expect(s2.end()).toBe("\uFFFD"); // an incomplete sequence at the end
    const s3 = t.textStream(1);
    expect([s3.push(4), s3.push(1), s3.push(4)]).toEqual(["a", "", ""]); // BOS ends the text
  });
  it("a vocabulary without a \" \" piece: the dummy prefix falls back like byte 0x20", () => {
    const w = { ...v, pieces: v.pieces.map((p, i) => (i === 3 ? b("#") : p)) };
    expect(new Tokenizer(w).encode("a", false, false)).toEqual(naiveEncode(w, b("a"), false, false));
    expect(new Tokenizer(w).encode("a", false, false)).toEqual([0, 4]);
  });
  it("bad token ids and bad data are errors naming the tokenizer", () => {
    expect(() => t.decodePiece(1, 16)).toThrow(/small: token 16 is outside the vocabulary \(16 tokens\)/);
    expect(() => t.decodePiece(1, -1)).toThrow(RangeError);
    expect(() => new Tokenizer({ ...v, bosId: 99 }, "x.gguf")).toThrow(/x\.gguf: BOS id 99/);
    expect(() => new Tokenizer({ ...v, scores: new Float32Array(3) }, "x.gguf")).toThrow(/x\.gguf: 16 pieces but 3 scores/);
    expect(() => new Tokenizer({ ...v, pieces: [], scores: new Float32Array(0) }, "x.gguf")).toThrow(/x\.gguf: empty vocabulary/);
  });
});

describe("Tokenizer on tok512.bin (llama2.c)", () => {
  const path = stories260K("tok512.bin");
  const load = (): { v: TokenizerData; t: Tokenizer } => {
    const v = readLlama2cTokenizer(readFileSync(path!), 512, path!);
    return { v, t: new Tokenizer(v, path!) };
  };

  itWithModels("reads the file and validates it against the model's vocabulary size", () => {
    const bytes = new Uint8Array(readFileSync(path!));
    const { v, t } = load();
    expect(v.pieces.length).toBe(512);
    expect(t.hasByteTokens).toBe(true);
    expect(new TextDecoder().decode(v.pieces[403])).toBe(" Once");
    expect(() => readLlama2cTokenizer(bytes, 511, "tok.bin")).toThrow(/tok\.bin: \d+ bytes follow the 511 tokens/);
    expect(() => readLlama2cTokenizer(bytes, 513, "tok.bin")).toThrow(/tok\.bin: truncated at token 512 of 513/);
    expect(() => readLlama2cTokenizer(bytes.subarray(0, bytes.length - 3), 512, "tok.bin")).toThrow(/tok\.bin: truncated inside token 511/);
    expect(() => readLlama2cTokenizer(bytes.subarray(0, 2), 512, "tok.bin")).toThrow(/tok\.bin: 2 bytes is too short/);
    const bad = bytes.slice();
    new DataView(bad.buffer).setInt32(8, -5, true); // length of token 0
    expect(() => readLlama2cTokenizer(bad, 512, "tok.bin")).toThrow(/tok\.bin: token 0 has length -5/);
    new DataView(bad.buffer).setInt32(8, 1e9, true);
    expect(() => readLlama2cTokenizer(bad, 512, "tok.bin")).toThrow(/tok\.bin: token 0 has length 1000000000/);
    const ml = bytes.slice();
    new DataView(ml.buffer).setInt32(0, 0, true);
    expect(() => readLlama2cTokenizer(ml, 512, "tok.bin")).toThrow(/tok\.bin: max_token_length 0/);
  });

  itWithModels("encode: hand-derived encodings from the vocabulary", () => {
    const { t } = load();
    const id = (s: string) => t.lookup(s);
    // the four words are pieces with their leading space (" Once" 403, " upon" 407, " a" 261, " time" 378)
    expect(t.encode("Once upon a time", true, false)).toEqual([1, id(" Once"), id(" upon"), id(" a"), id(" time")]);
    expect([id(" Once"), id(" upon"), id(" a"), id(" time")]).toEqual([403, 407, 261, 378]);
    expect(t.encode("", true, false)).toEqual([1]);
    expect(t.encode("", true, true)).toEqual([1, 2]);
    // "é" is piece 485 (C3 A9); "☃" (E2 98 83) is not a piece → byte fallback byte + 3 each;
    // "😀" (F0 9F 98 80) likewise, 4 byte tokens; the spaces before them are the piece " " (410)
    const cafe = t.encode("café ☃ 😀", false, false);
    expect(cafe.slice(-9)).toEqual([410, 0xe2 + 3, 0x98 + 3, 0x83 + 3, 410, 0xf0 + 3, 0x9f + 3, 0x98 + 3, 0x80 + 3]);
    expect(cafe.slice(0, -9).at(-1)).toBe(485);
    expect(t.decodeText([1, ...cafe.slice(0, -9)])).toBe("café");
    // a string of unknown bytes: every byte falls back to byte + 3 (no pair of byte pieces is a piece)
    const junk = Uint8Array.of(0x80, 0x81, 0xfe, 0xff);
    expect(t.encode(junk, false, false)).toEqual([id(" "), 0x80 + 3, 0x81 + 3, 0xfe + 3, 0xff + 3]);
    // text ends at NUL, as a C string
    expect(t.encode("ab\0cd", true, false)).toEqual(t.encode("ab", true, false));
  });

  itWithModels("encode matches the naive O(n³) oracle on random strings and byte strings", () => {
    const { v, t } = load();
    const r = lcg(12345);
    for (let k = 0; k < 120; k++) {
      const s = randomText(r, 12);
      const bos = r() < 0.7, eos = r() < 0.3;
      expect(t.encode(s, bos, eos), JSON.stringify(s)).toEqual(naiveEncode(v, b(s), bos, eos));
      const raw = randomBytes(r, 10);
      expect(t.encode(raw, bos, eos), `[${raw.join(",")}]`).toEqual(naiveEncode(v, raw, bos, eos));
    }
    for (const s of ["", " ", "   ", "\n", "\n\n", " \n ", "Once upon a time", "Lily's mom said, \"Lily, let's go.\""]) {
      expect(t.encode(s, true, false), JSON.stringify(s)).toEqual(naiveEncode(v, b(s), true, false));
    }
  });

  itWithModels("decode: BOS strips one leading space, byte pieces become bytes, round trip of printable text", () => {
    const { t } = load();
    expect(new TextDecoder().decode(t.decodePiece(1, 403))).toBe("Once");
    expect(new TextDecoder().decode(t.decodePiece(5, 403))).toBe(" Once");
    expect([...t.decodePiece(1, 0x0a + 3)]).toEqual([0x0a]);
    expect(t.decodePiece(1, 3).length).toBe(0); // <0x00>: an empty C string
    expect(t.decodeText([1, 403, 407, 261, 378])).toBe("Once upon a time");
    expect(t.decodeText([1, 403, 1, 407])).toBe("Once"); // a BOS ends the text
    const r = lcg(99);
    const printable = " abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?'\"()-\n\t";
    const samples = ["", " ", "  leading", "trailing  ", "\n\nnew\nlines\n", "Once upon a time, there was a little girl named Lily."];
    for (let k = 0; k < 200; k++) {
      let s = "";
      for (let i = Math.floor(r() * 40); i > 0; i--) s += printable[Math.floor(r() * printable.length)];
      samples.push(s);
    }
    for (const s of samples) {
      const toks = t.encode(s, true, false);
      expect(t.decodeText(toks), JSON.stringify(s)).toBe(s);
      const st = t.textStream(toks[0]);
      expect(toks.slice(1).map((x) => st.push(x)).join("") + st.end()).toBe(s);
    }
    // non-ASCII without pieces is byte-fallback'd and run.c's safe_printf drops the lone bytes
    expect(t.decodeText(t.encode("caf☃é", true, false))).toBe("café");
    // a multi-byte piece of the vocabulary survives ("€" = E2 82 AC is piece 503)
    expect(t.decodeText(t.encode("5€", true, false))).toBe("5€");
  });
});
