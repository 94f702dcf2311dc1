/**
 * The wsgen bench server's lag options, `--lag-policy P` (route option
 * `lagPolicy`) and `--max-lag-ms N` (app option `maxLagMs`), passed to the
 * runtime only when given, so the server runs the same on a runtime that
 * does not have them yet (an unknown option is not read).
 *
 * Typed through the runtime's own option types where they exist: once
 * RouteOptions has `lagPolicy` (WsAppOptions `maxLagMs`), its type is used
 * here and LAG_POLICIES must match it, else this file stops compiling.
 */
import type { RouteOptions, WsAppOptions } from "wsgen";
import { flag, integerFlag, usage } from "../support/args.js";
import type { BarSubscriptionRequest, StampedBar } from "./models.js";

/** `T[K]` when T has an optional key K of a known type, `Otherwise` until then. */
type OptionType<T, K extends string, Otherwise> = T extends { [key in K]?: infer V } ? (unknown extends V ? Otherwise : V) : Otherwise;

type LagPolicy = NonNullable<OptionType<RouteOptions<BarSubscriptionRequest, StampedBar>, "lagPolicy", "conflate" | "skip" | "close">>;
type MaxLagMs = NonNullable<OptionType<WsAppOptions, "maxLagMs", number>>;

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
export function appLagOptions(argv: readonly string[]): { maxLagMs?: MaxLagMs } {
  return flag(argv, "--max-lag-ms") === undefined ? {} : { maxLagMs: integerFlag(argv, "--max-lag-ms", 1) };
}
