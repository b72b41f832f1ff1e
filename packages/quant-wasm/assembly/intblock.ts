import { ERR_FORMAT } from "./formats";
// Not yet implemented.
export function intQuantize(desc: u32, src: usize, n: u32, dst: usize, seed: u32, index0: u32): i32 { return ERR_FORMAT; }
export function intDequantize(desc: u32, src: usize, n: u32, dst: usize, acc: bool): void {}
