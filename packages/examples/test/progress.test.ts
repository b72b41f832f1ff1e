// The progress bar: silent when the stream is not a TTY, drawn on a TTY, rate-limited, erased by done().
import { describe, expect, it } from "vitest";
import { createProgress } from "../src/cli/progress.js";

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string; writes: number } {
  const s = { isTTY, columns: 100, text: "", writes: 0, write(t: string) { s.text += t; s.writes++; return true; } };
  return s as unknown as NodeJS.WriteStream & { text: string; writes: number };
}

describe("createProgress", () => {
  it("writes nothing when the stream is not a TTY", () => {
    const s = fakeStream(false);
    const p = createProgress({ label: "x", total: 10, stream: s });
    expect(p.enabled).toBe(false);
    p.update(5); p.tick(); p.setTotal(20); p.done();
    expect(s.writes).toBe(0);
  });
  it("draws a bar with percentage and sizes on a TTY, and erases it at the end", () => {
    const s = fakeStream(true);
    const p = createProgress({ label: "tok512.bin", total: 2048, unit: "bytes", stream: s, minIntervalMs: 0 });
    expect(p.enabled).toBe(true);
    p.update(1024);
    expect(s.text).toContain("\rtok512.bin [############............]  50% 1.00 KiB/2.00 KiB");
    p.done();
    expect(s.text.endsWith("\r\x1b[K")).toBe(true);
    const n = s.writes;
    p.update(2048); p.done();
    expect(s.writes).toBe(n); // nothing after done
  });
  it("redraws at most once per interval; counts without a total", () => {
    const s = fakeStream(true);
    const p = createProgress({ label: "eval", stream: s, minIntervalMs: 1e9 });
    p.tick(1, "story 1");
    p.tick(1, "story 2");
    p.tick(1, "story 3");
    expect(s.writes).toBe(1);
    expect(s.text).toContain("eval 1 story 1");
    p.done();
  });
  it("never draws wider than the terminal", () => {
    const s = fakeStream(true);
    (s as { columns: number }).columns = 30;
    const p = createProgress({ label: "a very long label that does not fit", total: 10, stream: s, minIntervalMs: 0 });
    p.update(3);
    expect(s.text.replace("\r", "").replace("\x1b[K", "").length).toBeLessThanOrEqual(29);
    p.done();
  });
});
