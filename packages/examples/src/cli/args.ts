// Declarative command-line options: one spec per command gives the parser, the typed values and the
// `--help` text (every option with its limits and default), so the three can never disagree.
import { UsageError } from "./errors.js";
import { wrapWords } from "../wrap.js";

interface OptionBase {
  /** One line for `--help` (limits and the default are appended automatically). */
  readonly description: string;
  /** One-letter alias, without the dash. */
  readonly short?: string;
  /** The value's name in `--help`, e.g. `N`, `FILE`. */
  readonly placeholder?: string;
}

/** A flag without a value; `false` unless given. */
export interface BooleanOption extends OptionBase { readonly type: "boolean" }
/** A free string, or one of `choices`. */
export interface StringOption extends OptionBase {
  readonly type: "string";
  readonly default?: string;
  readonly choices?: readonly string[];
}
/** An integer in [min, max]. */
export interface IntOption extends OptionBase {
  readonly type: "int";
  readonly default?: number;
  readonly min: number;
  readonly max: number;
}
/** A finite number in [min, max]. */
export interface NumberOption extends OptionBase {
  readonly type: "number";
  readonly default?: number;
  readonly min: number;
  readonly max: number;
}
/** Comma-separated and/or repeated (`--codec a,b --codec c` → [a, b, c]); each item checked against `choices`. */
export interface ListOption extends OptionBase {
  readonly type: "list";
  readonly default?: readonly string[];
  readonly choices?: readonly string[];
}
/**
 * A value with its own parser (bandwidths, links, codec specs). `parse` throws (any Error) on a bad
 * value; its message becomes `--flag: <message>`. `default` is a raw string, parsed like a given value.
 */
export interface CustomOption<T = unknown> extends OptionBase {
  readonly type: "custom";
  readonly parse: (raw: string) => T;
  readonly default?: string;
  /** What the value may be, for `--help` (e.g. `none | shm | <bandwidth>[,<latency>]`). */
  readonly limits?: string;
}

export type OptionDef = BooleanOption | StringOption | IntOption | NumberOption | ListOption | CustomOption<any>;

type HasDefault<D> = D extends { readonly default: unknown } ? true : false;
type Maybe<D, T> = HasDefault<D> extends true ? T : T | undefined;

/** The parsed value type of one option definition. */
export type OptionValue<D> =
  D extends { readonly type: "boolean" } ? boolean :
  D extends { readonly type: "int" | "number" } ? Maybe<D, number> :
  D extends { readonly type: "list" } ? string[] :
  D extends { readonly type: "custom"; readonly parse: (raw: string) => infer T } ? Maybe<D, T> :
  D extends { readonly type: "string"; readonly choices: readonly (infer C)[] } ? Maybe<D, C> :
  Maybe<D, string>;

/** Parsed values of a whole option table, keyed by flag name (without `--`). */
export type OptionValues<O extends Readonly<Record<string, OptionDef>>> = { -readonly [K in keyof O]: OptionValue<O[K]> };

/** A positional argument, for `--help` and the count check. */
export interface PositionalDef {
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
}

/** Everything about one command that its parser and help need. */
export interface CommandSpec {
  readonly name: string;
  /** Other names that run the same command (`formats` for `codecs`). */
  readonly aliases?: readonly string[];
  /** One line for the command list. */
  readonly summary: string;
  /** Paragraphs printed under the usage line. */
  readonly description?: string;
  readonly options: Readonly<Record<string, OptionDef>>;
  readonly positionals?: readonly PositionalDef[];
  readonly examples?: readonly string[];
}

/** Options every command accepts (handled by the dispatcher, listed in every `--help`). */
export const GLOBAL_OPTIONS = {
  help: { type: "boolean", short: "h", description: "show this help and exit" },
  version: { type: "boolean", short: "V", description: "print the version and exit" },
  debug: { type: "boolean", description: "print stack traces of unexpected errors (also TENSORWIRE_DEBUG=1)" },
} as const satisfies Record<string, OptionDef>;

/** What `parseArgs` returns. */
export interface ParsedArgs<S extends CommandSpec> {
  readonly options: OptionValues<S["options"]>;
  readonly positionals: string[];
  /** The global flags. */
  readonly global: { help: boolean; version: boolean; debug: boolean };
}

const PROG = "tensorwire";

function helpHint(spec: CommandSpec): string {
  return `Run "${PROG} ${spec.name} --help" for usage.`;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/** The closest of `candidates` to `word` (edit distance ≤ 2, or a prefix match), for "did you mean". */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = c.startsWith(word) && word.length >= 2 ? 0.5 : editDistance(word, c);
    if (dist < bestD) { bestD = dist; best = c; }
  }
  return bestD <= Math.min(2, Math.max(1, Math.floor(word.length / 3))) || bestD === 0.5 ? best : undefined;
}

function badValue(spec: CommandSpec, flag: string, raw: string, what: string): UsageError {
  return new UsageError(`--${flag}: ${what}, got "${raw}"`, helpHint(spec));
}

function parseInt_(spec: CommandSpec, flag: string, def: IntOption, raw: string): number {
  const t = raw.trim();
  const n = /^[+-]?\d+(e\+?\d+)?$/i.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < def.min || n > def.max) {
    throw badValue(spec, flag, raw, `expected an integer from ${def.min} to ${def.max}`);
  }
  return n;
}

function parseNumber_(spec: CommandSpec, flag: string, def: NumberOption, raw: string): number {
  const t = raw.trim();
  const n = t === "" ? NaN : Number(t);
  if (!Number.isFinite(n) || n < def.min || n > def.max) {
    throw badValue(spec, flag, raw, `expected a number from ${def.min} to ${def.max}`);
  }
  return n;
}

function checkChoice(spec: CommandSpec, flag: string, choices: readonly string[] | undefined, raw: string): string {
  if (choices && !choices.includes(raw)) {
    const near = closest(raw, choices);
    throw new UsageError(
      `--${flag}: unknown value "${raw}" (one of: ${choices.join(", ")})${near ? `; did you mean "${near}"?` : ""}`,
      helpHint(spec),
    );
  }
  return raw;
}

function convert(spec: CommandSpec, flag: string, def: OptionDef, raw: string): unknown {
  switch (def.type) {
    case "boolean": return true;
    case "string": return checkChoice(spec, flag, def.choices, raw);
    case "int": return parseInt_(spec, flag, def, raw);
    case "number": return parseNumber_(spec, flag, def, raw);
    case "list": {
      const items = raw.split(",").map((s) => s.trim());
      if (items.some((s) => s === "")) throw badValue(spec, flag, raw, "expected a comma-separated list without empty items");
      return items.map((s) => checkChoice(spec, flag, def.choices, s));
    }
    case "custom":
      try {
        return def.parse(raw);
      } catch (e) {
        if (e instanceof UsageError) throw new UsageError(e.message.startsWith(`--${flag}`) ? e.message : `--${flag}: ${e.message}`, e.hint ?? helpHint(spec));
        throw new UsageError(`--${flag}: ${(e as Error).message}`, helpHint(spec));
      }
  }
}

/**
 * Parses `argv` (the words after the command name) against `spec`: `--flag value`, `--flag=value`,
 * `-x value`, `--` (everything after is positional). Throws UsageError (exit 2) naming the flag for an
 * unknown flag (with a "did you mean"), a missing or bad value, a flag given twice (lists excepted),
 * a boolean given a value, or the wrong number of positionals. Defaults are applied; custom defaults
 * go through their parser.
 */
export function parseArgs<S extends CommandSpec>(spec: S, argv: readonly string[]): ParsedArgs<S> {
  const defs: Record<string, OptionDef> = { ...spec.options, ...GLOBAL_OPTIONS };
  const shorts = new Map<string, string>();
  for (const [name, d] of Object.entries(defs)) if (d.short) shorts.set(d.short, name);
  const raw = new Map<string, string[]>();
  const positionals: string[] = [];
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (onlyPositionals || word === "-" || !word.startsWith("-")) { positionals.push(word); continue; }
    if (word === "--") { onlyPositionals = true; continue; }
    let name: string;
    let inline: string | undefined;
    if (word.startsWith("--")) {
      const eq = word.indexOf("=");
      name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      inline = eq < 0 ? undefined : word.slice(eq + 1);
    } else {
      const s = word.slice(1, 2);
      const long = shorts.get(s);
      if (!long || (word.length > 2 && defs[long]!.type === "boolean")) {
        throw new UsageError(`unknown option "${word}" for "${PROG} ${spec.name}"`, helpHint(spec));
      }
      name = long;
      inline = word.length > 2 ? word.slice(2).replace(/^=/, "") : undefined;
    }
    const def = defs[name];
    if (!def) {
      const near = closest(name, Object.keys(defs));
      throw new UsageError(
        `unknown option "--${name}" for "${PROG} ${spec.name}"${near ? `; did you mean "--${near}"?` : ""}`,
        helpHint(spec),
      );
    }
    let value: string;
    if (def.type === "boolean") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value, got "${inline}"`, helpHint(spec));
      value = "";
    } else if (inline !== undefined) {
      value = inline;
    } else {
      const next = argv[i + 1];
      // a following word is this flag's value unless it is another flag (negative numbers are values)
      if (next === undefined || (next.startsWith("-") && next !== "-" && !/^-\d|^-\.\d/.test(next))) {
        throw new UsageError(`--${name} needs a value${def.placeholder ? ` (${def.placeholder})` : ""}`, helpHint(spec));
      }
      value = next;
      i++;
    }
    const prev = raw.get(name);
    if (prev && def.type !== "list") throw new UsageError(`--${name} given more than once`, helpHint(spec));
    raw.set(name, [...(prev ?? []), value]);
  }

  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(spec.options)) {
    const given = raw.get(name);
    if (def.type === "boolean") { out[name] = given !== undefined; continue; }
    if (def.type === "list") {
      out[name] = given ? given.flatMap((v) => convert(spec, name, def, v) as string[]) : [...(def.default ?? [])];
      continue;
    }
    if (given) out[name] = convert(spec, name, def, given[0]!);
    else if (def.default !== undefined) out[name] = def.type === "custom" ? convert(spec, name, def, def.default) : def.default;
    else out[name] = undefined;
  }
  const global = { help: raw.has("help"), version: raw.has("version"), debug: raw.has("debug") };
  if (!global.help && !global.version) {
    const pos = spec.positionals ?? [];
    const required = pos.filter((p) => p.required).length;
    if (positionals.length > pos.length) {
      throw new UsageError(
        `unexpected argument "${positionals[pos.length]}" for "${PROG} ${spec.name}"${pos.length ? ` (takes ${pos.map((p) => `<${p.name}>`).join(" ")})` : " (takes no arguments)"}`,
        helpHint(spec),
      );
    }
    if (positionals.length < required) {
      throw new UsageError(`missing <${pos[positionals.length]!.name}> for "${PROG} ${spec.name}"`, helpHint(spec));
    }
  }
  return { options: out as OptionValues<S["options"]>, positionals, global };
}

function limitsOf(def: OptionDef): string {
  switch (def.type) {
    case "int": return `integer ${def.min}–${def.max}`;
    case "number": return `${def.min}–${def.max}`;
    case "string": return def.choices ? `one of ${def.choices.join(" | ")}` : "";
    case "list": return def.choices ? `comma-separated or repeated, of ${def.choices.join(", ")}` : "comma-separated or repeated";
    case "custom": return def.limits ?? "";
    case "boolean": return "";
  }
}

function defaultOf(def: OptionDef): string {
  if (def.type === "boolean" || def.default === undefined) return "";
  if (def.type === "list") return def.default.join(",");
  return String(def.default);
}

function wrap(text: string, width: number, indent: string): string {
  return wrapWords(text, width).join(`\n${indent}`);
}

function optionRows(options: Readonly<Record<string, OptionDef>>): Array<[string, string]> {
  return Object.entries(options).map(([name, def]) => {
    const flag = `${def.short ? `-${def.short}, ` : "    "}--${name}${def.type === "boolean" ? "" : ` ${def.placeholder ?? (def.type === "int" || def.type === "number" ? "N" : "VALUE")}`}`;
    const extra = [limitsOf(def), defaultOf(def) ? `default ${defaultOf(def)}` : ""].filter(Boolean).join("; ");
    return [flag, extra ? `${def.description} (${extra})` : def.description];
  });
}

function table(rows: Array<[string, string]>, width = 100): string {
  const w = Math.min(30, Math.max(...rows.map(([a]) => a.length)) + 2);
  const indent = " ".repeat(2 + w);
  return rows.map(([a, b]) => `  ${a.padEnd(w)}${a.length + 2 > w ? `\n${indent}` : ""}${wrap(b, width - indent.length, indent)}`).join("\n");
}

/** The `--help` text of a command: usage, description, every option with limits and default, examples. */
export function formatHelp(spec: CommandSpec): string {
  const pos = (spec.positionals ?? []).map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`)).join(" ");
  const parts = [
    `${PROG} ${spec.name} — ${spec.summary}`,
    "",
    `Usage: ${PROG} ${spec.name}${pos ? ` ${pos}` : ""} [options]`,
  ];
  if (spec.aliases?.length) parts.push(`Alias: ${spec.aliases.map((a) => `${PROG} ${a}`).join(", ")}`);
  if (spec.description) parts.push("", spec.description.trim());
  if (spec.positionals?.length) {
    parts.push("", "Arguments:", table(spec.positionals.map((p) => [`<${p.name}>`, p.description])));
  }
  if (Object.keys(spec.options).length) parts.push("", "Options:", table(optionRows(spec.options)));
  parts.push("", "Global options:", table(optionRows(GLOBAL_OPTIONS)));
  if (spec.examples?.length) parts.push("", "Examples:", ...spec.examples.map((e) => `  ${e}`));
  return parts.join("\n") + "\n";
}
