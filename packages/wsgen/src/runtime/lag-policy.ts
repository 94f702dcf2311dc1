/**
 * LaggingHolders: what one route does with the updates of a subscriber that
 * is lagging (delivery-lag.ts), per its `lagPolicy`, so that clients that
 * keep up are never slowed by one that does not, and the lagging one is
 * never sent stale data without a way to know.
 *
 *   conflate  only the newest update of each topic is kept for it; when it
 *             has caught up it gets that one, and the seq gap says what it
 *             skipped. For state (quotes, a forming bar, positions).
 *   skip      nothing is kept but where it stopped; when it has caught up it
 *             gets what it missed from the topic's history, in order, when
 *             the history still holds all of it and it fits what the
 *             connection may buffer — else the newest update only, and the
 *             gap shows. For events (orders, executions).
 *   close     it is closed with 1013 at once (its socket and memory go
 *             with it), for routes where a gap is worse than a reconnect.
 *
 * A *suspect* subscriber (its probe overdue while this process may itself
 * have stalled) has its updates held back in full until it is known either
 * way: caught up, it gets them all; lagging, its policy applies to them.
 *
 * Held-back state is one entry per (lagging subscriber, topic), referencing
 * frames shared with every other subscriber: a lagging client costs no
 * copy of the stream.
 */
import type { StreamPosition } from "../protocol/positions.js";
import type { LagSignal } from "./delivery-lag.js";
import type { EncodedUpdate, Subscriber } from "./fan-out.js";
import type { EncodedFrames } from "./frame.js";
import type { TopicHistory } from "./topic-history.js";
import { entryBytes } from "./topic-stream.js";

export const LAG_POLICIES = ["conflate", "skip", "close"] as const;
export type LagPolicy = (typeof LAG_POLICIES)[number];

/** Counts of what lagging subscribers were not sent live (RouteStats). */
export interface LagCounts {
  /** Updates a newer one of their topic replaced for a lagging subscriber (conflate). */
  updatesConflated: number;
  /** Updates a lagging subscriber never got: past its route's history when it caught up (skip). */
  updatesSkipped: number;
  /** Updates held back from a lagging subscriber and sent from the history once it caught up (skip). */
  updatesCaughtUp: number;
}

/** What was held back from one subscriber on one topic. */
interface HeldBack {
  /** The last update it was sent before it fell behind. */
  readonly after: StreamPosition;
  newest: EncodedFrames;
  newestPosition: StreamPosition;
  count: number;
  /** Every update held while the subscriber was only suspect, until it is found lagging. */
  provisional: EncodedUpdate[] | undefined;
}

export interface LaggingHoldersOptions {
  policy: LagPolicy;
  history: TopicHistory;
  /** `subscriber` was not sent `topic`'s updates up to `position` (TopicDelivery then owes no recovery before it). */
  onHeldBack(subscriber: Subscriber, topic: string, position: StreamPosition): void;
}

export class LaggingHolders {
  readonly policy: LagPolicy;
  readonly #history: TopicHistory;
  readonly #onHeldBack: (subscriber: Subscriber, topic: string, position: StreamPosition) => void;
  readonly #heldBack = new Map<Subscriber, Map<string, HeldBack>>();
  readonly #counts: LagCounts = { updatesConflated: 0, updatesSkipped: 0, updatesCaughtUp: 0 };

  constructor(options: LaggingHoldersOptions) {
    this.policy = options.policy;
    this.#history = options.history;
    this.#onHeldBack = (subscriber, topic, position) => options.onHeldBack(subscriber, topic, position);
  }

  get counts(): LagCounts {
    return { ...this.#counts };
  }

  /** Subscribers holding updates back now. */
  get lagging(): number {
    return this.#heldBack.size;
  }

  /**
   * Fan-out asks before writing `updates` (one topic's, in order) to `holder`:
   * true when the holder is lagging and the policy took them instead.
   */
  holdBack(holder: Subscriber, topic: string, updates: readonly EncodedUpdate[], now: number): boolean {
    const lag = holder.lag;
    const state = lag?.state(now) ?? "keeping-up";
    if (lag === undefined || state === "keeping-up") return false;
    if (state === "lagging" && this.policy === "close") {
      lag.closeLagging();
      return true;
    }
    let topics = this.#heldBack.get(holder);
    if (topics === undefined) {
      this.#heldBack.set(holder, (topics = new Map<string, HeldBack>()));
      this.#whenCaughtUp(holder, lag);
    }
    const first = updates[0]!.position;
    const last = updates.at(-1)!;
    let held = topics.get(topic);
    if (held === undefined) {
      const after = { epoch: first.epoch, seq: first.seq - 1 };
      held = {
        after,
        newest: last.frame,
        newestPosition: last.position,
        count: updates.length,
        provisional: state === "suspect" ? [] : undefined,
      };
      topics.set(topic, held);
    } else {
      held.newest = last.frame;
      held.newestPosition = last.position;
      held.count += updates.length;
      if (state === "lagging") held.provisional = undefined;
    }
    held.provisional?.push(...updates);
    this.#onHeldBack(holder, topic, last.position);
    return true;
  }

  /** Nothing held back of `topic` is owed to `subscriber` any more (it left, or was answered a newer position). */
  leave(topic: string, subscriber: Subscriber): void {
    const topics = this.#heldBack.get(subscriber);
    if (topics === undefined) return;
    topics.delete(topic);
    // Its caught-up callback stays registered and then finds nothing; the count of lagging subscribers is right at once.
    if (topics.size === 0) this.#heldBack.delete(subscriber);
  }

  /** `subscriber` is gone. */
  release(subscriber: Subscriber): void {
    this.#heldBack.delete(subscriber);
  }

  #whenCaughtUp(holder: Subscriber, lag: LagSignal): void {
    lag.whenCaughtUp(() => {
      const topics = this.#heldBack.get(holder);
      this.#heldBack.delete(holder);
      if (topics !== undefined) this.#catchUp(holder, topics);
    });
  }

  /** Sends a caught-up holder what its policy kept for it, topic by topic (order holds within each topic). */
  #catchUp(holder: Subscriber, topics: ReadonlyMap<string, HeldBack>): void {
    const runs: EncodedFrames[] = [];
    let room = holder.sendRoom ?? Infinity;
    for (const [topic, held] of topics) {
      if (held.provisional !== undefined) {
        // Never found lagging: everything held goes, as it would have.
        runs.push(...held.provisional.map((update) => update.frame));
        continue;
      }
      const missed = this.policy === "skip" ? this.#missed(topic, held, room) : undefined;
      if (missed !== undefined) {
        runs.push(...missed.frames);
        room -= missed.bytes;
        this.#counts.updatesCaughtUp += held.count;
        continue;
      }
      runs.push(held.newest);
      room -= held.newest.bytes.length;
      if (this.policy === "conflate") this.#counts.updatesConflated += held.count - 1;
      else this.#counts.updatesSkipped += held.count - 1;
    }
    if (runs.length > 0) holder.writeFrames(runs);
  }

  /** Every update `held` stands for, from the history, when it holds them all up to the newest and they fit `room`. */
  #missed(topic: string, held: HeldBack, room: number): { frames: EncodedFrames[]; bytes: number } | undefined {
    const replay = this.#history.replayAfter(topic, held.after);
    if (!replay.ok) return undefined;
    const end = replay.entries.findIndex((entry) => entry.seq === held.newestPosition.seq);
    // A replay that ends before the newest held update would hide it; one over the room would be cut: neither is sent.
    if (end === -1) return undefined;
    const entries = replay.entries.slice(0, end + 1);
    const bytes = entryBytes(entries);
    return bytes <= room ? { frames: entries.map((entry) => entry.frame), bytes } : undefined;
  }
}
