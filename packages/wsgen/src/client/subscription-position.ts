/**
 * The position one server subscription holds in its topic's stream, and
 * what each subscribe response and update means for it. The rules (next,
 * duplicate, gap, other epoch) are protocol/positions.ts; this file only
 * applies them to a client's life: a first subscribe, a resubscribe with
 * `since` after a reconnect, and the updates in between.
 *
 * @module
 */
import { RECOVERY_FAILURE_REASONS, stepFrom, type RecoveryFailureReason, type StreamPosition } from "../protocol/positions.js";
import type { Resubscription, StreamReset, StreamResetReason } from "./delivery-events.js";

/** What the client reads of a subscribe response or an update to place it. */
export type Positioned = { seq?: unknown; epoch?: unknown };

/** The position a response or update states; undefined when it states none (a server before the delivery contract). */
export function positionOf(value: Positioned): StreamPosition | undefined {
  const { seq, epoch } = value;
  return typeof seq === "number" && Number.isSafeInteger(seq) && typeof epoch === "string" ? { epoch, seq } : undefined;
}

/** What to do with one update: deliver it or not, and the reset to tell first. */
export type Verdict = { readonly deliver: boolean; readonly reset?: StreamReset };

const DELIVER: Verdict = { deliver: true };
const DROP: Verdict = { deliver: false };

export class SubscriptionPosition {
  readonly #topic: string;
  #held: StreamPosition | undefined;
  /**
   * Right after a response that started the stream afresh, the seq at which
   * one update is the route's latest value (sent at the response's own seq),
   * which is data the subscriber does not hold, not a duplicate.
   */
  #latestAt: number | undefined;

  constructor(topic: string) {
    this.#topic = topic;
  }

  /** The last position delivered (or stated by the subscribe response); undefined before the first response. */
  get held(): StreamPosition | undefined {
    return this.#held;
  }

  /**
   * A subscribe response with status "ok"; `since` is the position sent with
   * it (undefined: a first subscribe). A resubscribe yields its
   * Resubscription, and a reset when the server did not recover.
   */
  started(
    reply: Positioned & { recovered?: unknown; reason?: unknown },
    since: StreamPosition | undefined,
  ): {
    resubscription?: Resubscription;
    reset?: StreamReset;
  } {
    const now = positionOf(reply);
    this.#latestAt = undefined;
    if (now === undefined) return {};
    if (since === undefined) {
      this.#restart(now);
      return {};
    }
    const recovered = reply.recovered === true;
    const reason = recovered ? undefined : failureReason(reply.reason);
    const resubscription: Resubscription = { topic: this.#topic, recovered, reason, since, position: now };
    // Recovered: the replay follows from `since`, which is still what the subscriber holds.
    if (recovered) return { resubscription };
    this.#restart(now);
    // Lost: every update after `since` up to `now`, i.e. those before the one that would follow `now`.
    const lost = stepFrom(since, { epoch: now.epoch, seq: now.seq + 1 });
    const fallback: StreamResetReason = lost.kind === "epoch" ? "epoch" : "gap";
    return { resubscription, reset: this.#reset(reason ?? fallback, since, now, missedOf(lost)) };
  }

  /** An update at `next` (undefined: it states no position, and is delivered as is). */
  accept(next: StreamPosition | undefined): Verdict {
    const latestAt = this.#latestAt;
    this.#latestAt = undefined;
    const held = this.#held;
    if (next === undefined) return DELIVER;
    if (held === undefined || (latestAt === next.seq && held.epoch === next.epoch && held.seq === next.seq)) {
      this.#held = next;
      return DELIVER;
    }
    const step = stepFrom(held, next);
    if (step.kind === "duplicate") return DROP;
    this.#held = next;
    if (step.kind === "next") return DELIVER;
    return { deliver: true, reset: this.#reset(step.kind === "gap" ? "gap" : "epoch", held, next, missedOf(step)) };
  }

  #restart(now: StreamPosition): void {
    this.#held = now;
    this.#latestAt = now.seq;
  }

  #reset(reason: StreamResetReason, from: StreamPosition, to: StreamPosition, missed: number | undefined): StreamReset {
    return { topic: this.#topic, reason, from, to, missed };
  }
}

function missedOf(step: ReturnType<typeof stepFrom>): number | undefined {
  if (step.kind === "gap") return step.missed;
  return step.kind === "next" ? 0 : undefined;
}

function failureReason(value: unknown): RecoveryFailureReason | undefined {
  return (RECOVERY_FAILURE_REASONS as readonly unknown[]).includes(value) ? (value as RecoveryFailureReason) : undefined;
}
