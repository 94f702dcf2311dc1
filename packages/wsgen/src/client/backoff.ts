/**
 * Reconnection delays: exponential with full jitter, capped (the AWS
 * "full jitter" scheme).
 *
 * @module
 */
import { check, checkInRange, MAX_TIMER_MS, withoutUnset } from "../runtime/option-checks.js";

export interface BackoffOptions {
  /** First delay in ms. @default 250 */
  initial?: number;
  /** Upper bound of any delay in ms. @default 10000 */
  max?: number;
  /** Growth per attempt. @default 2 */
  factor?: number;
  /** Fraction of the delay that is random: 1 = full jitter, 0 = none. @default 1 */
  jitter?: number;
}

export const BACKOFF_DEFAULTS = { initial: 250, max: 10_000, factor: 2, jitter: 1 } as const satisfies Required<BackoffOptions>;

/** The delay before reconnection attempt `attempt` (0 for the first). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const {
    initial = BACKOFF_DEFAULTS.initial,
    max = BACKOFF_DEFAULTS.max,
    factor = BACKOFF_DEFAULTS.factor,
    jitter = BACKOFF_DEFAULTS.jitter,
  } = options;
  const ceiling = Math.min(max, initial * factor ** Math.max(0, attempt));
  return Math.round(ceiling * (1 - jitter) + ceiling * jitter * random());
}

/** `options` with defaults applied, checked: a bad field throws `ERR_INVALID_OPTION` naming `backoff.<field>`. */
export function resolveBackoff(options: BackoffOptions): Required<BackoffOptions> {
  check("backoff", options, (value) => typeof value === "object" && value !== null && !Array.isArray(value), "an object");
  const resolved = { ...BACKOFF_DEFAULTS, ...withoutUnset(options) };
  checkInRange("backoff.initial", resolved.initial, 0, MAX_TIMER_MS);
  checkInRange("backoff.max", resolved.max, 0, MAX_TIMER_MS);
  check(
    "backoff.factor",
    resolved.factor,
    (value) => typeof value === "number" && Number.isFinite(value) && value >= 1,
    "a finite number ≥ 1",
  );
  checkInRange("backoff.jitter", resolved.jitter, 0, 1);
  return resolved;
}
