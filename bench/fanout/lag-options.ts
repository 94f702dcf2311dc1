/**
 * The wsgen bench server's lag options, `--lag-policy P` (route option
 * `lagPolicy`) and `--max-lag-ms N` (app option `maxLagMs`; 0 turns lag
 * detection off), passed to the runtime only when given, so a run without
 * them measures the runtime's defaults.
 */
import type { LagPolicy } from "wsgen";
import { flag, integerFlag, usage } from "../support/args.js";

export const LAG_POLICIES = ["conflate", "skip", "close"] as const satisfies readonly LagPolicy[];

/** `{ lagPolicy }` for the route when `--lag-policy` was given, else `{}`. */
export function routeLagOptions(argv: readonly string[]): { lagPolicy?: LagPolicy } {
  const lagPolicy = flag(argv, "--lag-policy");
  if (lagPolicy === undefined) return {};
  const known = LAG_POLICIES.find((policy) => policy === lagPolicy);
  return known === undefined
    ? usage(`--lag-policy must be one of ${LAG_POLICIES.join(", ")}, got ${JSON.stringify(lagPolicy)}`)
    : { lagPolicy: known };
}

/** `{ maxLagMs }` for the app when `--max-lag-ms` was given, else `{}`. */
export function appLagOptions(argv: readonly string[]): { maxLagMs?: number } {
  return flag(argv, "--max-lag-ms") === undefined ? {} : { maxLagMs: integerFlag(argv, "--max-lag-ms", 0, 0) };
}
