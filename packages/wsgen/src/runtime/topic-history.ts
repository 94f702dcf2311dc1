/**
 * TopicHistory: the streams of one route's topics — each topic's position
 * and its bounded window of recent updates (topic-stream.ts). A route's
 * subscribe and fan-out go through this interface only, so another store
 * (the scale-out issue's Redis) can stand behind it; MemoryTopicHistory is
 * the one in this process.
 *
 * A stream lives while its topic has subscribers, and while it lingers after
 * the last one left (its route's `lingerMs`: the producer still runs, so its
 * updates are still recorded). When the linger is over (at once by default),
 * the service's removeTopic stops the producer, so whatever it would have
 * published next is never published: continuity is lost, and the stream is
 * forgotten. The topic's next stream has a new epoch, and a `since`
 * from the old one is answered `recovered: false` (reason "epoch") instead of
 * a recovery that could not know what it missed. Within a stream, each
 * update stays replayable for `ttlMs`.
 *
 * Memory bound, per route: topics with subscribers or lingering × (`maxBytes` of frames +
 * up to `size` small entry records), plus one frame per topic when the
 * latest value is kept outside the window.
 */
import { randomBytes } from "node:crypto";
import type { StreamPosition } from "../protocol/positions.js";
import type { EncodedFrames } from "./frame.js";
import { TopicStream, type HistoryLimits, type Replay, type StreamEntry } from "./topic-stream.js";

export interface TopicHistory {
  /** `topic` has a subscriber: returns its stream's position, starting a stream (a new epoch) when it has none. */
  open(topic: string): StreamPosition;
  /** `topic` has no subscriber left and no longer lingers (its producer stops): its stream ends, and the next one has a new epoch. */
  release(topic: string): void;
  /** The position of `topic`'s stream, or undefined when it has none. */
  position(topic: string): StreamPosition | undefined;
  /** Takes `topic`'s next position and records the frame `encode` makes for it (once, for every subscriber). */
  append(topic: string, encode: (position: StreamPosition) => EncodedFrames): EncodedFrames;
  /** Takes `topic`'s next position for an update that was dropped before it was sent: a gap no replay can fill. */
  skip(topic: string): void;
  /** Every update of `topic` after `since`, in order, or why not all of them can be had. */
  replayAfter(topic: string, since: StreamPosition): Replay;
  /** `topic`'s last update, when its route keeps the latest value. */
  latest(topic: string): StreamEntry | undefined;
  /** Forgets every stream. */
  close(): void;
  stats(): HistoryStats;
}

export interface HistoryStats {
  /** Topics with a stream: those with subscribers, and the lingering ones. */
  streams: number;
  /** Updates held for replay, over every stream. */
  entries: number;
  /** Bytes of frames held, over every stream. */
  bytes: number;
}

/**
 * What `open` answers for a stream that is not open here yet (a shared one,
 * opened by the join that asked): the route then takes where it opened.
 */
export const PENDING_POSITION: StreamPosition = Object.freeze({ epoch: "", seq: 0 });

/** A prefix unique to this process, so an epoch never repeats across restarts. */
const PROCESS_EPOCH = randomBytes(6).toString("base64url");
let streamsStarted = 0;

/** A new epoch: this process's prefix and a counter, cheap and never the same twice. */
function nextEpoch(): string {
  streamsStarted += 1;
  return `${PROCESS_EPOCH}.${streamsStarted.toString(36)}`;
}

export class MemoryTopicHistory implements TopicHistory {
  readonly #limits: HistoryLimits;
  readonly #streams = new Map<string, TopicStream>();

  constructor(limits: HistoryLimits) {
    this.#limits = limits;
  }

  open(topic: string): StreamPosition {
    return this.#stream(topic).position;
  }

  release(topic: string): void {
    this.#streams.delete(topic);
  }

  position(topic: string): StreamPosition | undefined {
    return this.#streams.get(topic)?.position;
  }

  append(topic: string, encode: (position: StreamPosition) => EncodedFrames): EncodedFrames {
    return this.#stream(topic).append(encode, performance.now());
  }

  skip(topic: string): void {
    this.#streams.get(topic)?.skip();
  }

  replayAfter(topic: string, since: StreamPosition): Replay {
    const stream = this.#streams.get(topic);
    if (stream === undefined || stream.epoch !== since.epoch) return { ok: false, reason: "epoch" };
    return stream.replayAfter(since.seq, performance.now());
  }

  latest(topic: string): StreamEntry | undefined {
    return this.#streams.get(topic)?.latest();
  }

  close(): void {
    this.#streams.clear();
  }

  stats(): HistoryStats {
    let entries = 0;
    let bytes = 0;
    for (const stream of this.#streams.values()) {
      entries += stream.size;
      bytes += stream.bytes;
    }
    return { streams: this.#streams.size, entries, bytes };
  }

  #stream(topic: string): TopicStream {
    let stream = this.#streams.get(topic);
    if (stream === undefined) {
      stream = new TopicStream(nextEpoch(), this.#limits);
      this.#streams.set(topic, stream);
    }
    return stream;
  }
}
