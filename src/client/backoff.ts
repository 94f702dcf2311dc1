/** Reconnection delays: exponential with full jitter, capped (the AWS "full jitter" scheme). */
export interface BackoffOptions {
  /** First delay in ms. Default 250. */
  initial?: number;
  /** Upper bound of any delay in ms. Default 10 000. */
  max?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Fraction of the delay that is random: 1 = full jitter, 0 = none. Default 1. */
  jitter?: number;
}

export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { initial = 250, max = 10_000, factor = 2, jitter = 1 } = options;
  const ceiling = Math.min(max, initial * factor ** Math.max(0, attempt));
  return Math.round(ceiling * (1 - jitter) + ceiling * jitter * random());
}
