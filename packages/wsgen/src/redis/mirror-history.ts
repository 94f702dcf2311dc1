/**
 * MirrorHistory: a route's TopicHistory over the mirrors of its open feeds
 * (topic-feed.ts), so TopicDelivery and LaggingHolders read a stream kept
 * in Redis as synchronously as one kept in memory. Positions are taken in
 * Redis only: appending here is not how updates arrive.
 */
import { WsgenError } from "../runtime/errors.js";
import { PENDING_POSITION, type HistoryStats, type TopicHistory } from "../runtime/topic-history.js";
import type { Replay, StreamEntry } from "../runtime/topic-stream.js";
import type { StreamPosition } from "../protocol/positions.js";
import type { TopicFeed } from "./topic-feed.js";

export class MirrorHistory implements TopicHistory {
  readonly #feeds: ReadonlyMap<string, TopicFeed>;

  constructor(feeds: ReadonlyMap<string, TopicFeed>) {
    this.#feeds = feeds;
  }

  open(topic: string): StreamPosition {
    return this.position(topic) ?? PENDING_POSITION;
  }

  // The feed's close drops its mirror; a stream is never released here.
  release(): void {}

  position(topic: string): StreamPosition | undefined {
    return this.#feeds.get(topic)?.stream?.position;
  }

  append(): never {
    throw new WsgenError("ERR_BROKER_FAILED", "a shared stream is positioned in Redis, not appended to locally");
  }

  skip(): void {}

  replayAfter(topic: string, since: StreamPosition): Replay {
    const stream = this.#feeds.get(topic)?.stream;
    if (stream === undefined || stream.epoch !== since.epoch) return { ok: false, reason: "epoch" };
    return stream.replayAfter(since.seq, performance.now());
  }

  latest(topic: string): StreamEntry | undefined {
    return this.#feeds.get(topic)?.stream?.latest();
  }

  close(): void {}

  stats(): HistoryStats {
    let streams = 0;
    let entries = 0;
    let bytes = 0;
    for (const feed of this.#feeds.values()) {
      if (feed.stream === undefined) continue;
      streams += 1;
      entries += feed.stream.size;
      bytes += feed.stream.bytes;
    }
    return { streams, entries, bytes };
  }
}
