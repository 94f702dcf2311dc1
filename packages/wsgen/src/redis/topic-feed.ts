/**
 * TopicFeed: one topic's stream as this process sees it while it holds the
 * topic — a mirror (TopicStream) of the stream kept in Redis, fed in seq
 * order from the topic's channel, so subscribes, replays and lag policies
 * read it synchronously, as they read a stream in memory.
 *
 * States:
 *   opening    subscribed to the channel, the join script's reply not in:
 *              what arrives is buffered.
 *   live       each batch is applied as it arrives: a seq at or below the
 *              head is a duplicate (dropped), the next one is recorded and
 *              delivered, one past it means messages were lost: resyncing.
 *   resyncing  the channel lost messages (a pub/sub reconnect, a gap):
 *              what arrives is buffered until the sync script's reply says
 *              what the stream holds after the head; what it no longer
 *              holds shows as a seq jump, a stream that restarted as a new epoch.
 * The merge (a reply, then the buffer, dropping what the reply covered) is
 * the same for opening and resyncing: Centrifugo's recovery merge, per
 * process instead of per client.
 *
 * A script's reply (commands connection) and the channel (pub/sub
 * connection) have no order between them, so a feed may hear of a topic's
 * epochs out of order: a read of the newest, then buffered messages of an
 * older one. Epochs made in Redis sort by age (scripts.ts), so the feed
 * keeps the newest it heard of — from a read, an `x:reset:<epoch>`, or a
 * batch whose reset it missed — and drops what belongs to an older one.
 */
import type { StreamPosition } from "../protocol/positions.js";
import type { EncodedUpdate } from "../runtime/fan-out.js";
import { TopicStream, type HistoryLimits } from "../runtime/topic-stream.js";
import type { PublishedBatch } from "./channel-messages.js";

/** What a feed takes from its channel in order: updates, and the announcement of a new epoch. */
export type StreamMessage = PublishedBatch | { readonly kind: "reset"; readonly epoch: string };
import type { TopicKeys } from "./topic-keys.js";

export type FeedState = "opening" | "live" | "resyncing";

/** A stream's state as a script read it: epoch ('' for none), last seq, Redis's clock, entries (`[id, [field, value, …]]`). */
export interface StreamRead {
  readonly epoch: string;
  readonly seq: number;
  readonly now: number;
  readonly entries: readonly RawEntry[];
  /** Entries are newest first (a window), not oldest first (what follows a position). */
  readonly newestFirst: boolean;
}

export type RawEntry = readonly [id: string, fields: readonly string[]];

export interface FeedOutput {
  readonly limits: HistoryLimits;
  encode(topic: string, payloadJson: Buffer, position: StreamPosition): EncodedUpdate;
  deliver(updates: readonly EncodedUpdate[]): void;
  /** The channel lost messages: read the stream after the head. */
  resync(feed: TopicFeed): void;
}

export class TopicFeed {
  state: FeedState = "opening";
  /** The mirror; undefined until the join's reply loaded it. */
  stream: TopicStream | undefined;
  /** Where the stream was when it opened here: where its first local subscribers joined. */
  openedAt: StreamPosition | undefined;
  #buffered: StreamMessage[] = [];
  /** Seqs skipped because Redis no longer held them (after a reconnect or a lost message). */
  gaps = 0;
  duplicates = 0;
  /** Updates of an epoch the feed had already left (they reached it after a newer read). */
  stale = 0;

  constructor(
    readonly topic: string,
    readonly keys: TopicKeys,
    /** The request and user of the subscribe that opened it: what createTopic is given if this process produces. */
    readonly request: unknown,
    readonly user: unknown,
    readonly output: FeedOutput,
    /** Its channel's listener (removed alone: another app on this broker may listen too). */
    readonly listener: (message: Buffer) => void,
  ) {}

  /** A message from the channel, in its order. */
  receive(message: StreamMessage): void {
    if (this.state !== "live") {
      this.#buffered.push(message);
      return;
    }
    if (message.kind === "reset") {
      // The stream restarted (a takeover): a new epoch, nothing in it yet.
      if (this.#isNewer(message.epoch)) this.stream = new TopicStream(message.epoch, this.output.limits);
      return;
    }
    if (!this.#apply(message)) {
      this.state = "resyncing";
      this.#buffered.push(message);
      this.output.resync(this);
    }
  }

  /** The channel may have lost messages (its connection dropped): buffer until `loaded`. */
  suspend(): void {
    if (this.state === "live") this.state = "resyncing";
  }

  /** A script's read of the stream (the join's window, or a sync after the head): apply it, then what was buffered. */
  loaded(read: StreamRead): void {
    const updates: EncodedUpdate[] = [];
    if (read.epoch !== "" && this.#isNewer(read.epoch)) {
      this.stream = new TopicStream(read.epoch, this.output.limits);
      const window = contiguousWindow(read);
      this.stream.skipTo(window.length > 0 ? window[0]!.seq - 1 : read.seq);
      // A stream that restarted is delivered from its window: subscribers see the new epoch (an explicit reset).
      this.#record(window, read.now, this.state !== "opening" ? updates : undefined);
    } else if (read.epoch !== "" && this.stream?.epoch === read.epoch) {
      const after = oldestFirst(read).filter((entry) => entry.seq > this.stream!.position.seq);
      const skipped = after.length > 0 ? after[0]!.seq - this.stream.position.seq - 1 : read.seq - this.stream.position.seq;
      if (skipped > 0) this.gaps += skipped;
      this.#record(after, read.now, updates);
      this.stream.skipTo(read.seq);
    }
    this.openedAt ??= this.stream?.position;
    this.state = "live";
    const buffered = this.#buffered;
    this.#buffered = [];
    this.output.deliver(updates);
    for (const message of buffered) this.receive(message);
  }

  /** Records and delivers a batch; false when it does not follow the head (messages were lost). */
  #apply(batch: PublishedBatch): boolean {
    let stream = this.stream;
    if (stream === undefined || newerEpoch(batch.epoch, stream.epoch)) {
      // A newer stream whose reset this feed did not hear (its channel was down): subscribers see its epoch.
      stream = this.stream = new TopicStream(batch.epoch, this.output.limits);
      stream.skipTo(batch.first - batch.gap - 1);
    } else if (stream.epoch !== batch.epoch) {
      this.stale += batch.payloads.length;
      return true;
    }
    const head = stream.position.seq;
    const last = batch.first + batch.payloads.length - 1;
    if (last <= head) {
      this.duplicates += batch.payloads.length;
      return true;
    }
    // The seqs this publish took start at first - gap; past the head's next one, something in between never came.
    if (batch.first - batch.gap > head + 1) return false;
    const at = performance.now();
    const updates: EncodedUpdate[] = [];
    batch.payloads.forEach((payload, index) => {
      const seq = batch.first + index;
      if (seq <= head) return;
      updates.push(this.#entry(seq, payload, at));
    });
    this.output.deliver(updates);
    return true;
  }

  /** Whether `epoch` is newer than the feed's (or the feed has none). */
  #isNewer(epoch: string): boolean {
    const current = this.stream?.epoch;
    return current === undefined || newerEpoch(epoch, current);
  }

  #record(entries: readonly { seq: number; payload: Buffer; at: number }[], now: number, into: EncodedUpdate[] | undefined): void {
    const local = performance.now();
    for (const { seq, payload, at } of entries) {
      const update = this.#entry(seq, payload, local - Math.max(0, now - at));
      into?.push(update);
    }
  }

  #entry(seq: number, payload: Buffer, at: number): EncodedUpdate {
    const stream = this.stream!;
    const update = this.output.encode(this.topic, payload, { epoch: stream.epoch, seq });
    stream.record(seq, update.frame, at);
    return update;
  }
}

/** Whether epoch `a` of a topic is newer than `b`: both begin with the Redis time they were made at (scripts.ts). */
function newerEpoch(a: string, b: string): boolean {
  return a.slice(0, EPOCH_TIME_DIGITS) > b.slice(0, EPOCH_TIME_DIGITS);
}

/** The base-36 microseconds every epoch made in Redis begins with. */
const EPOCH_TIME_DIGITS = 11;

interface ReadEntry {
  readonly seq: number;
  readonly payload: Buffer;
  readonly at: number;
}

function oldestFirst(read: StreamRead): ReadEntry[] {
  const entries: ReadEntry[] = [];
  for (const [id, fields] of read.entries) {
    const seq = Number(id.slice(0, id.indexOf("-")));
    let payload: string | undefined;
    let at = read.now;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === "d") payload = fields[i + 1];
      else if (fields[i] === "t") at = Number(fields[i + 1]);
    }
    if (payload !== undefined && Number.isSafeInteger(seq)) entries.push({ seq, payload: Buffer.from(payload), at });
  }
  return read.newestFirst ? entries.reverse() : entries;
}

/** The window's entries that run without a hole up to the stream's last seq (what a replay may serve). */
function contiguousWindow(read: StreamRead): ReadEntry[] {
  const entries = oldestFirst(read);
  let start = entries.length;
  let expected = read.seq;
  while (start > 0 && entries[start - 1]!.seq === expected) {
    start -= 1;
    expected -= 1;
  }
  return entries.slice(start);
}
