import { ERR_FORMAT } from "./formats";
// Not yet implemented: owned by the integer-family kernel work.
export function ggmlQuantize(desc: u32, src: usize, n: u32, dst: usize): i32 { return ERR_FORMAT; }
export function ggmlDequantize(desc: u32, src: usize, n: u32, dst: usize, acc: bool): void {}
