/**
 * Reconnection delays: exponential with full jitter, capped (the AWS
 * "full jitter" scheme).
 *
 * @module
 */
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
