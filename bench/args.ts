// Command-line options shared by the benchmarks.
import { checkOtChoice, DEFAULT_OT, type OtChoice } from "../src/ot/index.js";

/** The word after `name` on the command line, or undefined when the option is absent. */
export function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** The integer ≥ `min` (default 1) after `name` on the command line, or `fallback` when the option is absent. */
export function arg(name: string, fallback: number, min = 1): number {
  const raw = option(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer ≥ ${min}, got ${raw}`);
  return v;
}

/** The comma-separated values after `name`, each checked against `allowed`; undefined when the option is absent. */
export function listOption(name: string, allowed: readonly string[]): string[] | undefined {
  const raw = option(name);
  if (raw === undefined) return undefined;
  const values = raw.split(",");
  const unknown = values.filter((v) => !allowed.includes(v));
  if (unknown.length > 0) throw new RangeError(`${name}: unknown ${unknown.join(", ")} (choose from ${allowed.join(", ")})`);
  return values;
}

/** The OT chosen with `--ot` (default DEFAULT_OT). */
export function otOption(): OtChoice {
  return checkOtChoice(option("--ot") ?? DEFAULT_OT, "--ot");
}
