/**
 * Histogram: counts of observations under fixed upper bounds, cumulative as
 * Prometheus states them, kept by the runtime so the hot path only bumps an
 * array slot and `wsgen/metrics` reads a snapshot when scraped.
 */

export interface HistogramSnapshot {
  /** Upper bounds, ascending; the last bucket (+Inf) is `count`. */
  readonly bounds: readonly number[];
  /** Observations ≤ each bound (cumulative), one per bound. */
  readonly cumulative: readonly number[];
  readonly sum: number;
  readonly count: number;
}

export class Histogram {
  readonly #bounds: readonly number[];
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.#counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    this.#sum += value;
    this.#count += 1;
    // Few buckets: a linear scan beats a binary search's branches.
    for (let i = 0; i < this.#bounds.length; i++) {
      if (value <= this.#bounds[i]!) {
        this.#counts[i]! += 1;
        return;
      }
    }
  }

  snapshot(): HistogramSnapshot {
    let running = 0;
    const cumulative = this.#counts.map((count) => (running += count));
    return { bounds: this.#bounds, cumulative, sum: this.#sum, count: this.#count };
  }
}

/** Sums snapshots of histograms with the same bounds (a module's routes, an app's modules). */
export function sumSnapshots(bounds: readonly number[], snapshots: readonly HistogramSnapshot[]): HistogramSnapshot {
  const cumulative = bounds.map((_, i) => snapshots.reduce((total, snapshot) => total + (snapshot.cumulative[i] ?? 0), 0));
  const sum = snapshots.reduce((total, snapshot) => total + snapshot.sum, 0);
  const count = snapshots.reduce((total, snapshot) => total + snapshot.count, 0);
  return { bounds, cumulative, sum, count };
}

/** Delivery lag buckets, in seconds: from a LAN round trip to a client minutes behind. */
export const LAG_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
/** Replay size buckets, in updates. */
export const REPLAY_SIZE_BUCKETS = [0, 1, 5, 10, 50, 100, 500, 1000, 5000] as const;
