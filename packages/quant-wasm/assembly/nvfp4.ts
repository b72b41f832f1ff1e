import { ERR_FORMAT } from "./formats";
// Not yet implemented.
export function nvfp4Quantize(desc: u32, src: usize, n: u32, dst: usize, seed: u32): i32 { return ERR_FORMAT; }
export function nvfp4Dequantize(desc: u32, src: usize, n: u32, dst: usize, acc: bool): void {}
