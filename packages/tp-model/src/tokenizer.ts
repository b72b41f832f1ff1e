// The llama2.c tokenizer (run.c's encode/decode/safe_printf), over a TokenizerData vocabulary from a
// llama2.c tokenizer.bin (readLlama2cTokenizer) or a GGUF file's embedded `llama` tokenizer.
//
// Strings are bytes, as in C: pieces are compared bytewise (strcmp), a piece ends at its first NUL
// byte (run.c keeps pieces as NUL-terminated strings), and input text ends at its first NUL byte.
//
// Deviations from run.c, where run.c's behaviour is undefined or impossible to keep:
// - the byte fallback emits byte + 3 only when ids 3..258 are the byte pieces "<0x00>".."<0xFF>"
//   (llama2.c / Llama vocabularies); otherwise the id of the piece "<0xXX>" if the vocabulary has
//   it, else the unknown id (TokenizerData.unknownId, default 0) — run.c would emit byte + 3
//   whatever piece that is;
// - the dummy-prefix " " is looked up like any other text; a vocabulary without a " " piece gets
//   the byte fallback of 0x20 (run.c pushes id -1 and then reads out of bounds);
// - duplicate pieces: lookups return the lowest id (run.c's qsort/bsearch pick an unspecified one);
// - run.c hard-codes BOS = 1 and EOS = 2; here TokenizerData.bosId / eosId (1 and 2 for llama2.c).
import type { TokenizerData } from "./format/types.js";

const utf8 = new TextEncoder();

/** The bytes of a piece as a C string (up to its first NUL). */
function cString(b: Uint8Array): Uint8Array {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
}

/** A Map key holding the bytes exactly (one UTF-16 unit per byte). */
function keyOf(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

const HEX = "0123456789ABCDEF";
const bytePieceText = (b: number): string => `<0x${HEX[b >> 4]}${HEX[b & 15]}>`;

const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const hexVal = (c: number): number => (c <= 57 ? c - 48 : (c | 32) - 87);
/** C-locale isspace */
const isCSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

/**
 * `sscanf(piece, "<0x%02hhX>", &byte) == 1` of run.c's decode: the literal "<0x", then %X with width 2
 * (leading white space skipped, an optional sign and 1–2 hex digits; the sign counts toward the width;
 * a trailing ">" is not required for the count). Returns the byte, or -1 when the piece does not match.
 * (glibc's special case of a "0x" prefix inside the 2-character field is not modelled.)
 */
export function parseBytePiece(piece: Uint8Array): number {
  if (piece.length < 4 || piece[0] !== 60 || piece[1] !== 48 || piece[2] !== 120) return -1;
  let i = 3;
  while (i < piece.length && isCSpace(piece[i]!)) i++;
  let width = 2;
  let neg = false;
  if (i < piece.length && (piece[i] === 43 || piece[i] === 45)) {
    neg = piece[i] === 45;
    i++;
    width--;
  }
  let v = 0;
  let digits = 0;
  while (digits < width && i < piece.length && isHex(piece[i]!)) {
    v = v * 16 + hexVal(piece[i]!);
    i++;
    digits++;
  }
  if (digits === 0) return -1;
  return (neg ? -v : v) & 0xff;
}

/**
 * run.c's safe_printf filter: the bytes it would print for `piece` — nothing for an empty piece or a
 * single byte that is neither isprint nor isspace in the C locale (control bytes and lone bytes
 * ≥ 0x80), else the piece up to its first NUL (printf "%s").
 */
export function safePiece(piece: Uint8Array): Uint8Array {
  const p = cString(piece);
  if (p.length === 0) return p;
  if (p.length === 1) {
    const b = p[0]!;
    if (!((b >= 0x20 && b <= 0x7e) || isCSpace(b))) return p.subarray(0, 0);
  }
  return p;
}

/** Incremental text of a token stream: see Tokenizer.textStream. */
export interface TextStream {
  /** The text the next token adds ("" while a UTF-8 sequence is incomplete, or after a BOS). */
  push(token: number): string;
  /** Whatever is still buffered (an incomplete UTF-8 sequence at the end becomes U+FFFD). */
  end(): string;
}

/** Max-heap of merge candidates ordered by (score desc, left position asc). */
class CandidateHeap {
  private score: number[] = [];
  private left: number[] = [];
  private right: number[] = [];
  private id: number[] = [];
  private vl: number[] = [];
  private vr: number[] = [];
  get size(): number {
    return this.score.length;
  }
  private above(i: number, j: number): boolean {
    return this.score[i]! > this.score[j]! || (this.score[i] === this.score[j] && this.left[i]! < this.left[j]!);
  }
  private swap(i: number, j: number): void {
    for (const a of [this.score, this.left, this.right, this.id, this.vl, this.vr]) {
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }
  push(score: number, left: number, right: number, id: number, vl: number, vr: number): void {
    this.score.push(score); this.left.push(left); this.right.push(right); this.id.push(id); this.vl.push(vl); this.vr.push(vr);
    let i = this.score.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  /** Remove the top; returns [left, right, id, vl, vr]. */
  pop(): [number, number, number, number, number] {
    const top: [number, number, number, number, number] = [this.left[0]!, this.right[0]!, this.id[0]!, this.vl[0]!, this.vr[0]!];
    const last = this.score.length - 1;
    this.swap(0, last);
    for (const a of [this.score, this.left, this.right, this.id, this.vl, this.vr]) a.pop();
    let i = 0;
    const n = this.score.length;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < n && this.above(l, m)) m = l;
      if (r < n && this.above(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }
}

/** run.c's initial best_score: a merge must score strictly above it (f32 -1e10 is exact). */
const MERGE_FLOOR = -1e10;

/** A llama2.c-compatible tokenizer over one vocabulary. */
export class Tokenizer {
  readonly name: string;
  readonly vocabSize: number;
  /** pieces as C strings (each up to its first NUL) */
  readonly pieces: readonly Uint8Array[];
  readonly scores: Float32Array;
  readonly bosId: number;
  readonly eosId: number;
  readonly unknownId: number;
  /** true when ids 3..258 are the byte pieces "<0x00>".."<0xFF>" (byte fallback = byte + 3, as run.c) */
  readonly hasByteTokens: boolean;
  private readonly ids = new Map<string, number>();
  private readonly keys: string[];
  private readonly fallback: Int32Array;

  /** `name` is used in error messages (the file the vocabulary came from). */
  constructor(data: TokenizerData, name = "tokenizer") {
    this.name = name;
    const n = data.pieces.length;
    if (n === 0) throw new Error(`${name}: empty vocabulary`);
    if (data.scores.length !== n) throw new Error(`${name}: ${n} pieces but ${data.scores.length} scores`);
    for (const [what, id] of [["BOS", data.bosId], ["EOS", data.eosId], ["unknown", data.unknownId ?? 0]] as const) {
      if (!Number.isInteger(id) || id < 0 || id >= n) throw new Error(`${name}: ${what} id ${id} is outside the vocabulary (${n} tokens)`);
    }
    this.vocabSize = n;
    this.pieces = data.pieces.map(cString);
    this.scores = data.scores;
    this.bosId = data.bosId;
    this.eosId = data.eosId;
    this.unknownId = data.unknownId ?? 0;
    this.keys = this.pieces.map(keyOf);
    for (let i = 0; i < n; i++) if (!this.ids.has(this.keys[i]!)) this.ids.set(this.keys[i]!, i);
    let bytes = n >= 259;
    for (let b = 0; bytes && b < 256; b++) bytes = this.keys[b + 3] === bytePieceText(b);
    this.hasByteTokens = bytes;
    this.fallback = new Int32Array(256);
    for (let b = 0; b < 256; b++) this.fallback[b] = bytes ? b + 3 : (this.ids.get(bytePieceText(b)) ?? this.unknownId);
  }

  /** The id of the piece with exactly these bytes (strcmp semantics: up to the first NUL), or -1. */
  lookup(piece: Uint8Array | string): number {
    const b = typeof piece === "string" ? utf8.encode(piece) : piece;
    return this.ids.get(keyOf(cString(b))) ?? -1;
  }

  /** The id the byte fallback emits for byte `b` (see the module comment). */
  byteFallbackId(b: number): number {
    return this.fallback[b & 0xff]!;
  }

  /**
   * run.c's encode(): [BOS], then (for non-empty text) the dummy prefix " ", then each UTF-8 code point
   * (≤ 4 bytes, run.c's grouping of continuation bytes) as its piece or byte fallback, then merges of
   * the adjacent pair with the highest-scoring concatenation (strictly higher wins, so the leftmost
   * of equal scores) until none is in the vocabulary, then [EOS]. Text is UTF-8 encoded when a
   * string and ends at its first NUL byte. O(n log n) (a heap of candidates) with results identical
   * to run.c's O(n²) rescans.
   */
  encode(text: string | Uint8Array, bos: boolean, eos: boolean): number[] {
    const raw = typeof text === "string" ? utf8.encode(text) : text;
    const s = cString(raw);
    const toks: number[] = [];
    if (bos) toks.push(this.bosId);
    if (s.length > 0) {
      const sp = this.ids.get(" ");
      toks.push(sp ?? this.fallback[0x20]!);
    }
    const buf = new Uint8Array(4);
    let len = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if ((c & 0xc0) !== 0x80) len = 0;
      buf[len++] = c;
      const next = i + 1 < s.length ? s[i + 1]! : 0;
      if ((next & 0xc0) === 0x80 && len < 4) continue;
      const id = this.ids.get(keyOf(buf.subarray(0, len)));
      if (id !== undefined) toks.push(id);
      else for (let k = 0; k < len; k++) toks.push(this.fallback[buf[k]!]!);
      len = 0;
    }
    const merged = this.merge(toks);
    if (eos) merged.push(this.eosId);
    return merged;
  }

  private merge(toks: number[]): number[] {
    const n = toks.length;
    if (n < 2) return toks.slice();
    const id = Int32Array.from(toks);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const ver = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new CandidateHeap();
    const consider = (l: number, r: number): void => {
      const m = this.ids.get(this.keys[id[l]!]! + this.keys[id[r]!]!);
      if (m === undefined) return;
      const sc = this.scores[m]!;
      if (!(sc > MERGE_FLOOR)) return;
      heap.push(sc, l, r, m, ver[l]!, ver[r]!);
    };
    for (let i = 0; i + 1 < n; i++) consider(i, i + 1);
    while (heap.size > 0) {
      const [l, r, m, vl, vr] = heap.pop();
      if (ver[l] !== vl || ver[r] !== vr || next[l] !== r) continue; // stale
      id[l] = m;
      ver[l]!++;
      ver[r] = -1; // deleted
      const rn = next[r]!;
      next[l] = rn;
      if (rn >= 0) prev[rn] = l;
      if (prev[l]! >= 0) consider(prev[l]!, l);
      if (rn >= 0) consider(l, rn);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]!) out.push(id[i]!);
    return out;
  }

  private piece(token: number): Uint8Array {
    if (!Number.isInteger(token) || token < 0 || token >= this.vocabSize) {
      throw new RangeError(`${this.name}: token ${token} is outside the vocabulary (${this.vocabSize} tokens)`);
    }
    return this.pieces[token]!;
  }

  /**
   * run.c's decode(prev, token): the token's piece, without its leading space when prev is BOS; a
   * piece "<0xXX>" becomes that single raw byte (byte 0 gives an empty piece, as run.c's C string).
   */
  decodePiece(prev: number, token: number): Uint8Array {
    let p = this.piece(token);
    if (prev === this.bosId && p[0] === 0x20) p = p.subarray(1);
    const b = parseBytePiece(p);
    if (b >= 0) return b === 0 ? new Uint8Array(0) : Uint8Array.of(b);
    return p;
  }

  /** run.c's safe_printf filter (the module function safePiece, as a method). */
  safePiece(piece: Uint8Array): Uint8Array {
    return safePiece(piece);
  }

  /**
   * The bytes run.c prints for the token sequence `tokens` (tokens[0] is the start token, normally
   * BOS, and is not printed; each later token prints safePiece(decodePiece(previous, token)));
   * printing stops at a BOS after the start, as run.c's generation loop does.
   */
  decodeBytes(tokens: readonly number[]): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = 1; i < tokens.length; i++) {
      if (tokens[i] === this.bosId) break;
      const p = safePiece(this.decodePiece(tokens[i - 1]!, tokens[i]!));
      parts.push(p);
      total += p.length;
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  /** decodeBytes as a string (UTF-8; invalid sequences become U+FFFD; a leading U+FEFF is kept). */
  decodeText(tokens: readonly number[]): string {
    return new TextDecoder("utf-8", { ignoreBOM: true }).decode(this.decodeBytes(tokens));
  }

  /**
   * A streaming decoder starting after `start` (normally BOS): each push returns the text the token
   * adds, holding back an incomplete UTF-8 sequence until it completes. The concatenation of every
   * push and end() equals decodeText([start, ...pushed]).
   */
  textStream(start: number = this.bosId): TextStream {
    this.piece(start);
    const dec = new TextDecoder("utf-8", { ignoreBOM: true });
    let prev = start;
    let stopped = false;
    return {
      push: (token: number): string => {
        if (stopped) return "";
        if (token === this.bosId) {
          stopped = true;
          return "";
        }
        const p = safePiece(this.decodePiece(prev, token));
        prev = token;
        return dec.decode(p, { stream: true });
      },
      end: (): string => dec.decode(),
    };
  }
}

/**
 * Parse a llama2.c tokenizer.bin: int32 max_token_length, then for each of the `vocabSize` tokens an
 * f32 score, an int32 length and that many bytes. Validates against the model's vocabulary size
 * (a file with more or fewer tokens is an error), lengths (0 ≤ len ≤ max_token_length) and
 * truncation; every error names `name`. BOS = 1, EOS = 2, unknown = 0 (llama2.c).
 */
export function readLlama2cTokenizer(bytes: Uint8Array, vocabSize: number, name: string): TokenizerData {
  if (!Number.isInteger(vocabSize) || vocabSize < 3) throw new Error(`${name}: the model's vocabulary size ${vocabSize} is too small for a llama2.c tokenizer (needs ≥ 3: unk, BOS, EOS)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) throw new Error(`${name}: ${bytes.length} bytes is too short for a llama2.c tokenizer (int32 max_token_length first)`);
  const maxLen = dv.getInt32(0, true);
  if (maxLen <= 0 || maxLen > bytes.length) throw new Error(`${name}: max_token_length ${maxLen} is not plausible (file of ${bytes.length} bytes)`);
  const pieces: Uint8Array[] = [];
  const scores = new Float32Array(vocabSize);
  let o = 4;
  let longest = 0;
  for (let i = 0; i < vocabSize; i++) {
    if (o + 8 > bytes.length) {
      throw new Error(`${name}: truncated at token ${i} of ${vocabSize} (offset ${o}; file of ${bytes.length} bytes) — does the tokenizer belong to this model (vocab ${vocabSize})?`);
    }
    scores[i] = dv.getFloat32(o, true);
    const len = dv.getInt32(o + 4, true);
    o += 8;
    if (len < 0 || len > maxLen) throw new Error(`${name}: token ${i} has length ${len} (max_token_length is ${maxLen})`);
    if (o + len > bytes.length) throw new Error(`${name}: truncated inside token ${i} (needs ${len} bytes at offset ${o}; file of ${bytes.length} bytes)`);
    pieces.push(Uint8Array.from(bytes.subarray(o, o + len))); // a plain copy (a Buffer's slice() is a view)
    o += len;
    longest = Math.max(longest, len);
  }
  if (o !== bytes.length) {
    throw new Error(`${name}: ${bytes.length - o} bytes follow the ${vocabSize} tokens the model's vocabulary has — the tokenizer has a larger vocabulary than the model`);
  }
  return { pieces, scores, maxTokenLength: longest, bosId: 1, eosId: 2, unknownId: 0 };
}
