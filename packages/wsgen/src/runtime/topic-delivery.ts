/**
 * TopicDelivery: how one route's subscribers get each topic's stream in
 * order, without a duplicate or an unannounced gap, while updates keep being
 * published during their subscribe.
 *
 * A subscriber joins a topic at its stream's position J (the topic's last
 * update then). From J until its subscribe.response is written it receives
 * no live update: fan-out leaves it out (`holders`). When the response is
 * written, in the same synchronous step, it is sent what it needs from the
 * history — the updates after its `since` (a recovery), or those after J
 * that were published while its createTopic ran — and then joins the live
 * fan-out, whose next update is the one after the head it was brought to.
 * No update can come between: fan-out and the start both run to completion
 * on the event loop, and positions are taken only in fan-out.
 *
 * A replay is bounded by what the connection may still buffer (`sendRoom`,
 * its high-water mark less what it holds). One that does not fit first
 * waits, up to REPLAY_DRAIN_WAIT_MS, for the connection's buffer to drain
 * (`roomFor`: subscribes run one at a time per connection, so a reconnect's
 * replays of many topics go out one after another at the client's pace);
 * one that still does not fit is not sent at all (`recovered: false`,
 * reason `too_large`), since a replay cut by the slow-consumer policy would
 * be a gap announced as a recovery. What is sent is written whatever that
 * policy, as the response is.
 *
 * A subscribe from a connection already live on the topic is owed nothing:
 * fan-out has written it every update since its start, so it is answered
 * with the topic's position, and its `since` is recovered when every update
 * after it was among those (`#sentAfter`), with nothing replayed.
 */
import type { SubscriptionResponse } from "../protocol/messages.js";
import type { RecoveryFailureReason, StreamPosition } from "../protocol/positions.js";
import type { Subscriber } from "./fan-out.js";
import type { EncodedFrames } from "./frame.js";
import { Histogram, REPLAY_SIZE_BUCKETS, type HistogramSnapshot } from "./histogram.js";
import type { RouteClient } from "./route-host.js";
import type { TopicHistory } from "./topic-history.js";
import { entryBytes, type Replay } from "./topic-stream.js";

/**
 * How long a subscribe whose replay does not fit waits for the connection's
 * buffer to drain: a reader that cannot take 1 MiB (the default high-water
 * mark) in this long is too slow for the replay to help it.
 */
export const REPLAY_DRAIN_WAIT_MS = 5_000;

/** The position fields of an ok subscribe.response, and the frames that follow it. */
export interface SubscriptionStart {
  readonly position: StreamPosition & Pick<SubscriptionResponse, "recovered" | "reason">;
  readonly frames: readonly EncodedFrames[];
}

export class TopicDelivery {
  readonly #history: TopicHistory;
  readonly #latestValue: boolean;
  /** Per topic, the subscribers that joined and were not answered yet: left out of fan-out. */
  readonly #joining = new Map<string, Set<Subscriber>>();
  /**
   * Per live subscription, the position after which every update of its
   * stream was written to it. Weak, so a closed connection's entries go with it.
   */
  readonly #sentAfter = new WeakMap<Subscriber, Map<string, StreamPosition>>();
  #recoveries = 0;
  #updatesReplayed = 0;
  readonly #replaySizes = new Histogram(REPLAY_SIZE_BUCKETS);
  readonly #recoveryFailures: Partial<Record<RecoveryFailureReason, number>> = {};

  constructor(history: TopicHistory, latestValue: boolean) {
    this.#history = history;
    this.#latestValue = latestValue;
  }

  get history(): TopicHistory {
    return this.#history;
  }

  /** `subscriber` joins `topic`: it gets no live update until `start`; returns the position it joined at. */
  join(topic: string, subscriber: Subscriber): StreamPosition {
    const joinedAt = this.#history.open(topic);
    let joining = this.#joining.get(topic);
    if (joining === undefined) this.#joining.set(topic, (joining = new Set()));
    joining.add(subscriber);
    return joinedAt;
  }

  /** The join did not succeed (createTopic failed, shutdown): forget it. */
  abandon(topic: string, subscriber: Subscriber): void {
    const joining = this.#joining.get(topic);
    if (joining === undefined) return;
    joining.delete(subscriber);
    if (joining.size === 0) this.#joining.delete(topic);
  }

  /** Recoveries answered (`recovered: true`), the updates they replayed and their sizes, and those not recovered, by reason. */
  get counts(): {
    recoveries: number;
    updatesReplayed: number;
    replaySizes: HistogramSnapshot;
    recoveriesFailed: number;
    recoveryFailures: Partial<Record<RecoveryFailureReason, number>>;
  } {
    const recoveryFailures = { ...this.#recoveryFailures };
    const recoveriesFailed = Object.values(recoveryFailures).reduce((total, count) => total + count, 0);
    return {
      recoveries: this.#recoveries,
      updatesReplayed: this.#updatesReplayed,
      replaySizes: this.#replaySizes.snapshot(),
      recoveriesFailed,
      recoveryFailures,
    };
  }

  /**
   * Starts `subscriber` on `topic`, which it joined at `joinedAt` (undefined:
   * it was live on it already): `answer` is called with the response's
   * position fields, then the catch-up frames are written, then it is live.
   * Synchronous, so no update comes between.
   */
  start(
    topic: string,
    subscriber: RouteClient<unknown>,
    joinedAt: StreamPosition | undefined,
    since: StreamPosition | undefined,
    answer: (start: SubscriptionStart) => void,
  ): void {
    const room = subscriber.sendRoom ?? Infinity;
    const start = joinedAt === undefined ? this.#resumed(topic, subscriber, since) : this.#startOf(topic, joinedAt, since, room);
    this.#count(start);
    answer(start);
    if (joinedAt === undefined) return;
    // Owed: the response promised them, so no slow-consumer policy may cut them short.
    if (start.frames.length > 0) subscriber.writeFrames(start.frames, true);
    this.abandon(topic, subscriber);
    let sent = this.#sentAfter.get(subscriber);
    if (sent === undefined) this.#sentAfter.set(subscriber, (sent = new Map<string, StreamPosition>()));
    const { position } = start;
    sent.set(topic, position.recovered === true && since !== undefined ? since : { epoch: position.epoch, seq: position.seq });
  }

  /**
   * Resolves when `subscriber` has room for the replay after `since`, or
   * when waiting cannot help (nothing to replay, no such history, it drained,
   * it closed, REPLAY_DRAIN_WAIT_MS passed); `start` then decides.
   */
  async roomFor(topic: string, subscriber: RouteClient<unknown>, since: StreamPosition): Promise<void> {
    const replay = this.#history.replayAfter(topic, since);
    if (!replay.ok || subscriber.whenDrained === undefined) return;
    const bytes = entryBytes(replay.entries);
    if (bytes > (subscriber.sendRoom ?? Infinity)) await subscriber.whenDrained(REPLAY_DRAIN_WAIT_MS);
  }

  /** `subscriber` no longer holds `topic`. */
  leave(topic: string, subscriber: Subscriber): void {
    this.#sentAfter.get(subscriber)?.delete(topic);
  }

  /** `subscriber` was not written `topic`'s updates up to `position` (held back while it lagged): a `since` before it is not owed. */
  heldBack(subscriber: Subscriber, topic: string, position: StreamPosition): void {
    this.#sentAfter.get(subscriber)?.set(topic, position);
  }

  /** Whom fan-out writes `topic`'s updates to: its holders, less those not started yet. */
  holders(topic: string, holders: ReadonlySet<Subscriber>): Iterable<Subscriber> {
    const joining = this.#joining.get(topic);
    // The common case costs one lookup per topic per drain, nothing per subscriber.
    if (joining === undefined) return holders;
    return [...holders].filter((holder) => !joining.has(holder));
  }

  /** Takes `topic`'s next position and records the frame encoded for it. */
  publish(topic: string, encode: (position: StreamPosition) => EncodedFrames): EncodedFrames {
    return this.#history.append(topic, encode);
  }

  /** A subscriber already live on `topic`: its position now; `since` recovered if it was sent everything after it. */
  #resumed(topic: string, subscriber: Subscriber, since: StreamPosition | undefined): SubscriptionStart {
    const at = this.#history.open(topic);
    if (since === undefined) return { position: at, frames: [] };
    const sent = this.#sentAfter.get(subscriber)?.get(topic);
    if (since.epoch !== at.epoch) return { position: { ...at, recovered: false, reason: "epoch" }, frames: [] };
    if (since.seq > at.seq) return { position: { ...at, recovered: false, reason: "ahead" }, frames: [] };
    // Updates after `since` it was never sent cannot come now: newer ones already went, so they are gone for it.
    if (sent === undefined || sent.epoch !== at.epoch || since.seq < sent.seq) {
      return { position: { ...at, recovered: false, reason: "trimmed" }, frames: [] };
    }
    return { position: { ...at, recovered: true }, frames: [] };
  }

  #count({ position, frames }: SubscriptionStart): void {
    if (position.recovered === true) {
      this.#recoveries += 1;
      this.#updatesReplayed += frames.length;
      this.#replaySizes.observe(frames.length);
    } else if (position.recovered === false && position.reason !== undefined) {
      this.#recoveryFailures[position.reason] = (this.#recoveryFailures[position.reason] ?? 0) + 1;
    }
  }

  #startOf(topic: string, joinedAt: StreamPosition, since: StreamPosition | undefined, room: number): SubscriptionStart {
    const head = this.#history.position(topic) ?? joinedAt;
    // What was published between the join and now, if the history still holds it; else the start moves to the head.
    const caughtUp = head.epoch === joinedAt.epoch ? this.#history.replayAfter(topic, joinedAt) : undefined;
    const startSeq = caughtUp?.ok === true ? joinedAt.seq : head.seq;
    const catchUp = caughtUp?.ok === true ? caughtUp.entries.map((entry) => entry.frame) : [];
    const at = { seq: startSeq, epoch: head.epoch };
    if (since !== undefined) {
      const replay = this.#replayWithin(topic, since, room);
      if (replay.ok) return { position: { ...at, recovered: true }, frames: replay.entries.map((entry) => entry.frame) };
      return this.#fresh({ ...at, recovered: false, reason: replay.reason }, topic, startSeq, catchUp);
    }
    return this.#fresh(at, topic, startSeq, catchUp);
  }

  /** The replay after `since` when it fits in `room` bytes (a replay is never sent in part), else why not. */
  #replayWithin(topic: string, since: StreamPosition, room: number): Replay {
    const replay = this.#history.replayAfter(topic, since);
    if (!replay.ok) return replay;
    const bytes = entryBytes(replay.entries);
    // An empty replay always fits: a connection over its mark can still be told it missed nothing.
    return bytes <= Math.max(room, 0) ? replay : { ok: false, reason: "too_large" };
  }

  /**
   * A start without recovery: the catch-up, led by the latest value (the
   * update at the start's own seq) when the route keeps it.
   */
  #fresh(
    position: { seq: number; epoch: string; recovered?: boolean; reason?: RecoveryFailureReason },
    topic: string,
    startSeq: number,
    catchUp: EncodedFrames[],
  ): SubscriptionStart {
    if (!this.#latestValue || startSeq === 0) return { position, frames: catchUp };
    const latest = this.#history.latest(topic);
    if (latest?.seq === startSeq) return { position, frames: [latest.frame, ...catchUp] };
    // The latest is newer than the start: the catch-up ends with it, so a subscriber is never shown an older one.
    return { position, frames: catchUp };
  }
}
