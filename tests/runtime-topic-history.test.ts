/**
 * A topic's bounded history (runtime/topic-stream.ts, topic-history.ts):
 * the bounds hold after any run of updates, a replay is all or nothing, and
 * an idle stream is forgotten after the age bound (its next one is a new epoch).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeTextFrame } from "../packages/wsgen/src/runtime/frame.js";
import { MemoryTopicHistory } from "../packages/wsgen/src/runtime/topic-history.js";
import { TopicStream } from "../packages/wsgen/src/runtime/topic-stream.js";

const frameOf = (length: number) => () => encodeTextFrame("x".repeat(length));

describe("topic stream", () => {
  it("keeps within its size and byte bounds, and replays exactly the updates after a position or none", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 50, max: 400 }),
        fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 45 }),
        (size, maxBytes, lengths, from) => {
          const stream = new TopicStream("e", { size, maxBytes, ttlMs: 60_000, keepLatest: false });
          const sent = lengths.map((length) => stream.append(frameOf(length), 0));
          expect(stream.size).toBeLessThanOrEqual(size);
          expect(stream.bytes).toBeLessThanOrEqual(maxBytes);
          expect(stream.position).toEqual({ epoch: "e", seq: lengths.length });
          const replay = stream.replayAfter(from, 0);
          if (from > lengths.length) expect(replay).toEqual({ ok: false, reason: "ahead" });
          else if (replay.ok) expect(replay.entries.map((entry) => entry.frame)).toEqual(sent.slice(from));
          else {
            expect(replay.reason).toBe("trimmed");
            // Refused only when the window really lacks an update after `from`.
            expect(lengths.length - from).toBeGreaterThan(stream.size);
          }
        },
      ),
    );
  });

  it("tells expired from trimmed, and keeps the latest value past both", () => {
    const stream = new TopicStream("e", { size: 2, maxBytes: 10_000, ttlMs: 100, keepLatest: true });
    for (let at = 0; at < 3; at++) stream.append(frameOf(10), at);
    expect(stream.replayAfter(0, 3)).toEqual({ ok: false, reason: "trimmed" });
    expect(stream.replayAfter(1, 3)).toMatchObject({ ok: true });
    expect(stream.replayAfter(1, 500)).toEqual({ ok: false, reason: "expired" });
    expect(stream.size).toBe(0);
    expect(stream.latest()?.seq).toBe(3);
    // Dropped before it was sent: its seq is taken, and nothing older can be replayed across it.
    stream.skip();
    stream.append(frameOf(10), 501);
    expect(stream.position.seq).toBe(5);
    expect(stream.replayAfter(3, 501)).toEqual({ ok: false, reason: "trimmed" });
    expect(stream.replayAfter(4, 501)).toMatchObject({ ok: true, entries: [{ seq: 5 }] });
  });
});

describe("memory topic history", () => {
  it("forgets a released stream at once (its producer stopped): the next one has a new epoch, and the old since is not recovered", () => {
    const history = new MemoryTopicHistory({ size: 10, maxBytes: 10_000, ttlMs: 30_000, keepLatest: true });
    const first = history.open("t");
    history.append("t", frameOf(5));
    history.release("t");
    expect(history.stats()).toEqual({ streams: 0, entries: 0, bytes: 0 });
    const next = history.open("t");
    expect(next.seq).toBe(0);
    expect(next.epoch).not.toBe(first.epoch);
    expect(history.latest("t")).toBeUndefined();
    expect(history.replayAfter("t", { epoch: first.epoch, seq: 1 })).toEqual({ ok: false, reason: "epoch" });
    history.close();
  });
});
