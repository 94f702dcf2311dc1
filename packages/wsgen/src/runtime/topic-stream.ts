/**
 * TopicStream: one topic's stream in memory — its position (epoch and last
 * seq) and a bounded window of its most recent updates, kept as the frames
 * that were written to subscribers, so a replay costs no encoding.
 *
 * The window holds at most `size` updates and `maxBytes` bytes of frames,
 * and none older than `ttlMs`; it is always a contiguous run ending at the
 * stream's last update, so "can everything after seq n be replayed?" is one
 * comparison with the oldest kept seq.
 */
import type { RecoveryFailureReason, StreamPosition } from "../protocol/positions.js";
import type { EncodedFrames } from "./frame.js";

/** The bounds of a topic's history (a route's `historySize`, `historyMaxBytes`, `historyTtlMs`). */
export interface HistoryLimits {
  /** Most updates kept; 0 keeps none. */
  readonly size: number;
  /** Most bytes of frames kept. */
  readonly maxBytes: number;
  /** Milliseconds an update stays replayable. */
  readonly ttlMs: number;
  /** Keep the last update even when the window does not (a route's `latestValue`). */
  readonly keepLatest: boolean;
}

/** One update of a stream, as sent. */
export interface StreamEntry {
  readonly seq: number;
  readonly frame: EncodedFrames;
  /** When it was appended (`performance.now()` milliseconds). */
  readonly at: number;
}

/** Bytes of the entries' frames: what sending them takes of a connection's buffer. */
export function entryBytes(entries: readonly StreamEntry[]): number {
  return entries.reduce((sum, entry) => sum + entry.frame.bytes.length, 0);
}

/** Every update after a position, or why not all of them can be had. */
export type Replay =
  { readonly ok: true; readonly entries: readonly StreamEntry[] } | { readonly ok: false; readonly reason: RecoveryFailureReason };

const NOTHING: Replay = { ok: true, entries: [] };

export class TopicStream {
  readonly epoch: string;
  readonly #limits: HistoryLimits;
  #seq = 0;
  /** The window, oldest first, from index `#start` (dropping from the front moves the index, not the array). */
  #entries: (StreamEntry | undefined)[] = [];
  #start = 0;
  #bytes = 0;
  #latest: StreamEntry | undefined;
  /** Why the newest update that left the window left it: the reason a replay from before the window fails. */
  #lastRemoval: "trimmed" | "expired" = "trimmed";

  constructor(epoch: string, limits: HistoryLimits) {
    this.epoch = epoch;
    this.#limits = limits;
  }

  /** The stream's last update (seq 0 before the first). */
  get position(): StreamPosition {
    return { epoch: this.epoch, seq: this.#seq };
  }

  /** Updates in the window. */
  get size(): number {
    return this.#entries.length - this.#start;
  }

  /** Bytes of frames held: the window's and the latest value's when the window does not hold it. */
  get bytes(): number {
    const latest = this.#latest;
    const latestOutside = latest !== undefined && (this.size === 0 || this.#entries.at(-1) !== latest);
    return this.#bytes + (latestOutside ? latest.frame.bytes.length : 0);
  }

  /** Takes the next position, encodes the update at it once, and keeps the frame within the bounds. */
  append(encode: (position: StreamPosition) => EncodedFrames, now: number): EncodedFrames {
    const seq = this.#seq + 1;
    const frame = encode({ epoch: this.epoch, seq });
    // Taken only once encoding succeeded: an update that could not be serialized costs no seq, so leaves no gap.
    this.#seq = seq;
    const entry: StreamEntry = { seq, frame, at: now };
    if (this.#limits.keepLatest) this.#latest = entry;
    const length = frame.bytes.length;
    if (this.#limits.size > 0 && length <= this.#limits.maxBytes) {
      this.#entries.push(entry);
      this.#bytes += length;
      // Cannot empty the window: the new entry alone fits both bounds.
      while (this.size > this.#limits.size || this.#bytes > this.#limits.maxBytes) this.#dropOldest("trimmed");
    } else {
      // Not kept (no history, or one frame over the byte bound): the window must still end at the last update.
      this.#lastRemoval = "trimmed";
      this.#clear();
    }
    this.#expire(now);
    return frame;
  }

  /**
   * Records an update positioned elsewhere (the mirror of a stream kept in
   * Redis): at `seq`, past a gap when it is not the next one. An older seq
   * is ignored: the mirror already has it.
   */
  record(seq: number, frame: EncodedFrames, at: number): void {
    if (seq <= this.#seq) return;
    if (seq > this.#seq + 1) this.skipTo(seq - 1);
    this.append(() => frame, at);
  }

  /** Moves the position to `seq` keeping nothing before it: no replay reaches back past it. */
  skipTo(seq: number): void {
    if (seq <= this.#seq) return;
    this.#seq = seq;
    this.#lastRemoval = "trimmed";
    this.#clear();
  }

  /**
   * Takes the next position for an update that was never sent (the route's
   * queue dropped it): subscribers see the gap, and no replay reaches back
   * past it, so the window restarts.
   */
  skip(): void {
    this.skipTo(this.#seq + 1);
  }

  /** Every update after `seq`, in order, if the window holds them all (none when `seq` is the last). */
  replayAfter(seq: number, now: number): Replay {
    if (seq > this.#seq) return { ok: false, reason: "ahead" };
    if (seq === this.#seq) return NOTHING;
    this.#expire(now);
    const oldest = this.size > 0 ? this.#entries[this.#start]!.seq : this.#seq + 1;
    if (seq + 1 < oldest) return { ok: false, reason: this.#lastRemoval };
    // Everything from `#start` on is set; only the dropped front holds undefined.
    return { ok: true, entries: this.#entries.slice(this.#start + (seq + 1 - oldest)) as StreamEntry[] };
  }

  /** The last update, kept when the stream keeps its latest value (whatever its age). */
  latest(): StreamEntry | undefined {
    return this.#latest;
  }

  /** Drops the updates older than the age bound. */
  #expire(now: number): void {
    const oldestKept = now - this.#limits.ttlMs;
    while (this.size > 0 && this.#entries[this.#start]!.at < oldestKept) this.#dropOldest("expired");
  }

  #dropOldest(reason: "trimmed" | "expired"): void {
    const entry = this.#entries[this.#start]!;
    this.#bytes -= entry.frame.bytes.length;
    this.#entries[this.#start] = undefined; // released to the collector before the next compaction
    this.#start += 1;
    this.#lastRemoval = reason;
    if (this.size === 0) this.#clear();
    // Compact once the dropped front outgrows the window, so the array stays within twice the bound.
    else if (this.#start > 32 && this.#start > this.size) {
      this.#entries = this.#entries.slice(this.#start);
      this.#start = 0;
    }
  }

  #clear(): void {
    this.#entries = [];
    this.#start = 0;
    this.#bytes = 0;
  }
}
