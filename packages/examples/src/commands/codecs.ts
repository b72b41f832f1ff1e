// `tensorwire codecs` (alias `formats`): every codec format with its bits per value and the
// compression it gives against FP16 and FP32 messages. All figures come from @tensorwire/quant-wasm.
import { listFormats } from "@tensorwire/quant-wasm";
import { defineCommand } from "../cli/command.js";

/** One row of `tensorwire codecs --json`. */
export interface CodecRow {
  name: string;
  id: number;
  elementBits: number;
  /** default block size (0 for the element-wise casts) */
  block: number;
  /** default scale kind */
  scale: string;
  /** bits per value at the defaults (block scale included, tensor header excluded) */
  bitsPerValue: number;
  /** 16 / bitsPerValue */
  vsFp16: number;
  /** 32 / bitsPerValue */
  vsFp32: number;
  /** allowed block sizes and scale kinds */
  blocks: number[];
  scales: string[];
  stochastic: boolean;
  description: string;
}

/** The rows `tensorwire codecs` prints. */
export function codecRows(): CodecRow[] {
  return listFormats().map((f) => ({
    name: f.name,
    id: f.id,
    elementBits: f.elementBits,
    block: f.defaultBlock,
    scale: f.defaultScale,
    bitsPerValue: f.bitsPerValue,
    vsFp16: 16 / f.bitsPerValue,
    vsFp32: 32 / f.bitsPerValue,
    blocks: [...f.blocks],
    scales: [...f.scales],
    stochastic: f.stochastic,
    description: f.description,
  }));
}

export const codecsCommand = defineCommand(
  {
    name: "codecs",
    aliases: ["formats"],
    summary: "list the codec formats: bits per value, compression vs FP16 and FP32",
    description:
      "Bits per value include the block scale (e.g. mxfp4: 32 × 4 bits + an 8-bit scale per 32 values = 4.25).\n" +
      "Compression is the message size of FP16 (or FP32) activations divided by the codec's. Any codec\n" +
      "takes --block and --scale where the format allows it (see blocks/scales in --json).",
    options: {
      json: { type: "boolean", description: "print JSON (one object per format) instead of a table" },
    },
    examples: ["tensorwire codecs", "tensorwire codecs --json"],
  },
  ({ options }, { out }) => {
    const rows = codecRows();
    if (options.json) { out(JSON.stringify(rows, null, 2) + "\n"); return; }
    const lines = ["format        block  scale  bits/value  vs FP16  vs FP32  description"];
    for (const r of rows) {
      lines.push(
        `${r.name.padEnd(13)} ${String(r.block || "-").padStart(5)}  ${r.scale.padEnd(5)}  ${r.bitsPerValue.toFixed(2).padStart(10)}` +
        `  ${r.vsFp16.toFixed(2).padStart(6)}x  ${r.vsFp32.toFixed(2).padStart(6)}x  ${r.description}`,
      );
    }
    lines.push("", "Block sizes other than the default change bits/value: see `tensorwire codecs --json` (blocks, scales).");
    out(lines.join("\n") + "\n");
  },
);
