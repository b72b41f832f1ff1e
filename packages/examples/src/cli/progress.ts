// A progress bar on stderr for long work (downloads, loading, evaluation, sweeps). Drawn only when
// the stream is a TTY, redrawn at most every `minIntervalMs`, erased by done(); silent otherwise, so
// piped and CI output stays clean.
import { formatBytes } from "./units.js";

/** Options of createProgress. */
export interface ProgressOptions {
  /** What is being done, e.g. `downloading stories260K.bin`. */
  label: string;
  /** Total amount of work (items or bytes); 0 or undefined = unknown (a counter without a bar). */
  total?: number;
  /** `bytes` shows done/total as sizes (KiB, MiB) and a rate; `items` as counts. Default `items`. */
  unit?: "items" | "bytes";
  /** Where to draw; default process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Force on/off; default: on exactly when `stream.isTTY` and TENSORWIRE_NO_PROGRESS is unset. */
  enabled?: boolean;
  /** Minimum time between redraws, ms; default 100. */
  minIntervalMs?: number;
}

/** A running progress bar. Every method is a no-op when disabled. */
export interface Progress {
  /** Whether anything is drawn. */
  readonly enabled: boolean;
  /** Sets the amount done (and optionally a new status text after the bar). */
  update(done: number, status?: string): void;
  /** Adds `n` (default 1) to the amount done. */
  tick(n?: number, status?: string): void;
  /** Changes the total (e.g. once a Content-Length is known). */
  setTotal(total: number): void;
  /** Erases the bar (call in `finally`). Idempotent. */
  done(): void;
}

const WIDTH = 24;

/** Starts a progress bar; see ProgressOptions for when it draws. */
export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const enabled = opts.enabled ?? (stream.isTTY === true && !process.env.TENSORWIRE_NO_PROGRESS);
  const minInterval = opts.minIntervalMs ?? 100;
  const unit = opts.unit ?? "items";
  const t0 = Date.now();
  let total = opts.total ?? 0;
  let done = 0;
  let status = "";
  let last = -Infinity;
  let drawn = false;
  let finished = false;

  const fmt = (n: number): string => (unit === "bytes" ? formatBytes(n) : String(n));
  const draw = (force: boolean): void => {
    if (!enabled || finished) return;
    const now = Date.now();
    if (!force && now - last < minInterval) return;
    last = now;
    let text = opts.label;
    if (total > 0) {
      const f = Math.min(1, Math.max(0, done / total));
      const fill = Math.round(f * WIDTH);
      text += ` [${"#".repeat(fill)}${".".repeat(WIDTH - fill)}] ${(f * 100).toFixed(0).padStart(3)}% ${fmt(done)}/${fmt(total)}`;
    } else {
      text += ` ${fmt(done)}`;
    }
    const sec = (now - t0) / 1000;
    if (unit === "bytes" && sec > 0.5) text += ` ${formatBytes(Math.round(done / sec))}/s`;
    if (status) text += ` ${status}`;
    const cols = stream.columns && stream.columns > 10 ? stream.columns - 1 : 79;
    if (text.length > cols) text = text.slice(0, cols);
    stream.write(`\r${text}\x1b[K`);
    drawn = true;
  };

  return {
    enabled,
    update(n, s) { done = n; if (s !== undefined) status = s; draw(false); },
    tick(n = 1, s) { done += n; if (s !== undefined) status = s; draw(false); },
    setTotal(t) { total = t; draw(false); },
    done() {
      if (finished) return;
      if (enabled && drawn) stream.write("\r\x1b[K");
      finished = true;
    },
  };
}
