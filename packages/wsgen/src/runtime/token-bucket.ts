/**
 * TokenBucket: the per-connection frame-rate limit (and the app's budget of
 * client-caused error reports). Holds up to `burst` tokens, refilled
 * continuously at `perSecond`; each inbound frame (or report) takes one.
 * Refill is computed lazily from the clock, so idle connections cost nothing.
 *
 * @module
 */
export interface RateLimit {
  /** Sustained frames per second. */
  perSecond: number;
  /** Frames allowed at once after an idle period. */
  burst: number;
}

export class TokenBucket {
  readonly #limit: RateLimit;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;

  constructor(limit: RateLimit, now: () => number = () => performance.now()) {
    this.#limit = limit;
    this.#now = now;
    this.#tokens = limit.burst;
    this.#updatedAt = now();
  }

  /** Takes one token; false when the bucket is empty (the frame exceeds the rate). */
  take(): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#limit.burst, this.#tokens + ((now - this.#updatedAt) / 1000) * this.#limit.perSecond);
    this.#updatedAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
