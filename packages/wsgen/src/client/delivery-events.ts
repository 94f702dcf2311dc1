/**
 * What a subscription tells its user about the continuity of its topic's
 * stream (docs/runtime.md, "Delivery in the typed client"): a reset when
 * updates were lost (a resubscribe the server could not recover, a `seq`
 * gap, another epoch), and, for each resubscribe after a reconnect, whether
 * the server replayed what was missed. Duplicates are dropped without a
 * word: the user already holds them.
 *
 * @module
 */
import type { RecoveryFailureReason, StreamPosition } from "../protocol/positions.js";

/**
 * Why updates were lost:
 * - the server's `reason` for a resubscribe it did not recover
 *   (`epoch`, `trimmed`, `expired`, `ahead`, `too_large`, protocol/positions.ts);
 * - `epoch` also when an update came in another epoch than the one held;
 * - `gap`: the live stream skipped `seq`s (a route that skips updates for a
 *   client that lags, or an update the server's queue dropped).
 */
export type StreamResetReason = RecoveryFailureReason | "gap";

/** Updates of `topic` were lost: the subscription went from `from` to `to` without them. */
export interface StreamReset {
  readonly topic: string;
  readonly reason: StreamResetReason;
  /** The position the subscription held before. */
  readonly from: StreamPosition;
  /**
   * The position it holds now. After a `gap` or an update in another epoch,
   * the update at `to` is the next data delivered; after a resubscribe that
   * was not recovered, `to` is the topic's position the server stated, and
   * updates after it follow (a route that keeps its latest value first sends
   * the one at `to`).
   */
  readonly to: StreamPosition;
  /** How many updates were lost when the positions tell it (one epoch); undefined across epochs or when `from` is ahead. */
  readonly missed: number | undefined;
}

/** One resubscribe after a reconnect, as the server answered it. */
export interface Resubscription {
  readonly topic: string;
  /** True: every update after `since` follows, in order, before any newer one; false: see `reason` (a StreamReset follows). */
  readonly recovered: boolean;
  /** The server's reason when `recovered` is false. */
  readonly reason: RecoveryFailureReason | undefined;
  /** The position the client held and sent. */
  readonly since: StreamPosition;
  /** The topic's position when the resubscription started, as the server stated it. */
  readonly position: StreamPosition;
}

/** The delivery callbacks a subscriber may give; each one's exceptions go to the client's `onError`, never into the client's loop. */
export interface DeliveryHandlers {
  /** Updates were lost; data continues from `reset.to`. @default undefined */
  onReset?: (reset: StreamReset) => void;
  /** Each resubscribe after a reconnect: whether the server recovered the missed updates. @default undefined */
  onResubscribe?: (resubscription: Resubscription) => void;
}
