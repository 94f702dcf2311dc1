/**
 * RouteStats: what a route counts (`app.stats()`, and the metrics of
 * `wsgen/metrics`), in one shape.
 */
import type { RecoveryFailureReason } from "../protocol/positions.js";
import type { HistogramSnapshot } from "./histogram.js";
import type { LagCounts } from "./lag-policy.js";
import type { HistoryStats } from "./topic-history.js";

export interface RouteStats extends LagCounts {
  /** Topics with at least one subscriber (lingering ones are not among them). */
  topics: number;
  /** Topics without subscribers whose producer and stream still run, for the route's `lingerMs`. */
  lingering: number;
  subscriptions: number;
  queued: number;
  updatesDropped: number;
  updatesInvalid: number;
  updatesPublished: number;
  framesSent: number;
  /** Subscribes refused by an `authorize` hook (answered `forbidden`). */
  subscriptionsForbidden: number;
  /** Requests refused before validation for nesting too deep or holding too many keys. */
  requestsOverShapeLimits: number;
  /** Subscribes with `since` answered `recovered: true`, and the updates replayed to them. */
  recoveries: number;
  updatesReplayed: number;
  /** How many updates each recovery replayed. */
  replaySizes: HistogramSnapshot;
  /** Subscribes with `since` answered `recovered: false`, in all and by reason. */
  recoveriesFailed: number;
  recoveryFailures: Partial<Record<RecoveryFailureReason, number>>;
  /** Subscribers whose updates are being held back now because they lag (lag-policy.ts). */
  laggingSubscribers: number;
  /** The topics' streams kept for replay (history.ts): how many, their updates and bytes. */
  history: HistoryStats;
  /** With a broker that shares topics (wsgen/redis): this route's side of it (streams open here, producers run here, resyncs, takeovers…). */
  broker?: Record<string, number>;
}
