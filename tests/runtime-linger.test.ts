/**
 * A route's `lingerMs` over real sockets: a topic whose only subscriber
 * dropped keeps its producer and stream for that long, so the subscriber
 * back within it recovers exactly what it missed; then removeTopic runs once
 * and the next stream has a new epoch. A rejoin cancels the linger, shutdown
 * does not wait for it; and, against a model on a fake clock, random
 * sequences of joins, leaves, publishes and waits.
 */
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { bar, BarWsRouter, RecordingService, type Bar, type BarSubscriptionRequest } from "./support/fixtures.js";
import type { TestClient } from "./support/client.js";
import { log, seqs, settle, start, updates, useBarsApps, type BarOptions } from "./support/bars-delivery.js";
import { eventually } from "./support/server.js";

const AAPL = 'bars:{"resolution":"1D","symbol":"AAPL"}';
const MSFT = 'bars:{"resolution":"1D","symbol":"MSFT"}';
useBarsApps();

/** A bars app with `options`, and its only subscriber of AAPL, which received 1..3 and then lost its network. */
async function droppedOnlySubscriber(options: BarOptions) {
  const setup = await start(options);
  const stats = () => setup.app.app.stats().modules.datafeed!.routes.bars!;
  const client = await setup.connect();
  const frames = log(client);
  await client.subscribe("bars", { symbol: "AAPL" });
  for (let close = 1; close <= 3; close++) setup.service.publish(AAPL, bar(close));
  await eventually(() => seqs(frames).length === 3, 2_000, "the updates before the drop");
  const last = updates(frames).at(-1)!.payload as { seq: number; epoch: string };
  client.socket.terminate(); // no close handshake: a network drop
  await eventually(() => stats().subscriptions === 0, 2_000, "the drop seen by the server");
  return { ...setup, stats, since: { epoch: last.epoch, seq: last.seq } };
}

/** Resubscribes AAPL with `since` on a new connection; returns the response and the frames that follow it. */
async function comeBack(connect: () => Promise<TestClient>, since: { epoch: string; seq: number }) {
  const client = await connect();
  const frames = log(client);
  const response = await client.subscribeSince("bars", { symbol: "AAPL" }, since);
  await settle(client);
  return { client, frames, response: response.payload as Record<string, unknown> };
}

describe("a lingering topic", () => {
  it("keeps its producer and stream after its only subscriber dropped: back within the linger, it recovers exactly what it missed", async () => {
    const { connect, service, stats, since } = await droppedOnlySubscriber({ lingerMs: 2_000 });
    expect(stats()).toMatchObject({ topics: 0, lingering: 1, subscriptions: 0 });
    for (let close = 4; close <= 8; close++) service.publish(AAPL, bar(close)); // its producer still runs: no removeTopic yet
    await eventually(() => stats().updatesPublished === 8, 2_000, "the updates published while lingering");
    const { client, frames, response } = await comeBack(connect, since);
    expect(response).toMatchObject({ status: "ok", message: "subscribed", recovered: true, seq: 8, epoch: since.epoch });
    service.publish(AAPL, bar(100));
    await settle(client);
    expect(frames[0]).toMatchObject({ type: "bars.subscribe.response" });
    expect(seqs(frames)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(updates(frames).map((frame) => frame.payload.payload.close as number)).toEqual([4, 5, 6, 7, 8, 100]);
    expect(service.calls).toEqual([{ kind: "create", topic: AAPL }]);
    expect(stats()).toMatchObject({ topics: 1, lingering: 0, recoveries: 1, updatesReplayed: 5 });
  });

  it("says trimmed when more was published while it lingered than the history holds", async () => {
    const { connect, service, stats, since } = await droppedOnlySubscriber({ lingerMs: 2_000, historySize: 3 });
    for (let close = 4; close <= 9; close++) service.publish(AAPL, bar(close));
    await eventually(() => stats().updatesPublished === 9, 2_000, "the updates published while lingering");
    const { frames, response } = await comeBack(connect, since);
    expect(response).toMatchObject({ status: "ok", recovered: false, reason: "trimmed", seq: 9, epoch: since.epoch });
    expect(seqs(frames)).toEqual([]);
    expect(service.count("create")).toBe(1);
  });

  it("is removed once when the linger runs out; a since of its stream is then of another epoch", async () => {
    const { connect, service, stats, since } = await droppedOnlySubscriber({ lingerMs: 150 });
    const left = performance.now();
    expect(service.count("remove")).toBe(0);
    await eventually(() => service.count("remove") === 1, 2_000, "removeTopic after the linger");
    expect(performance.now() - left).toBeGreaterThanOrEqual(100);
    expect(stats()).toMatchObject({ topics: 0, lingering: 0, history: { streams: 0 } });
    const { frames, response } = await comeBack(connect, since);
    expect(response).toMatchObject({ status: "ok", recovered: false, reason: "epoch", seq: 0 });
    expect(response.epoch).not.toBe(since.epoch);
    expect(seqs(frames)).toEqual([]);
    expect(service.calls.map((call) => call.kind)).toEqual(["create", "remove", "create"]);
  });

  it("is live again when a subscriber joins within the linger (no createTopic, no removal), and lingers anew when it leaves", async () => {
    const { connect, service, stats, since } = await droppedOnlySubscriber({ lingerMs: 150 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    const rejoined = await connect();
    const frames = log(rejoined);
    // Without since: it just joins the live stream, where it is now.
    const response = await rejoined.subscribe("bars", { symbol: "AAPL" });
    expect(response.payload).toMatchObject({ status: "ok", message: "subscribed", seq: 3, epoch: since.epoch });
    expect(stats()).toMatchObject({ topics: 1, lingering: 0 });
    // Past the first linger's end: its timer was cancelled.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(service.calls).toEqual([{ kind: "create", topic: AAPL }]);
    service.publish(AAPL, bar(4));
    await settle(rejoined);
    expect(seqs(frames)).toEqual([4]);
    await rejoined.unsubscribe("bars", { symbol: "AAPL" });
    const left = performance.now();
    expect(stats()).toMatchObject({ topics: 0, lingering: 1 });
    await eventually(() => service.count("remove") === 1, 2_000, "removeTopic after the second linger");
    expect(performance.now() - left).toBeGreaterThanOrEqual(100);
    expect(service.calls.map((call) => call.kind)).toEqual(["create", "remove"]);
  });

  it("is removed at once on shutdown, which does not wait for the linger", async () => {
    const setup = await start({ lingerMs: 60_000 });
    const client = await setup.connect();
    await client.subscribe("bars", { symbol: "AAPL" });
    await client.subscribe("bars", { symbol: "MSFT" });
    await client.close();
    const stats = () => setup.app.app.stats().modules.datafeed!.routes.bars!;
    await eventually(() => stats().lingering === 2, 2_000, "both topics lingering");
    const began = performance.now();
    await setup.app.stop();
    expect(performance.now() - began).toBeLessThan(1_000);
    expect(setup.service.calls.filter((call) => call.kind === "remove").map((call) => call.topic)).toEqual([AAPL, MSFT]);
    expect(stats()).toMatchObject({ topics: 0, lingering: 0 });
  });

  it("is not kept at lingerMs 0: removeTopic as the last subscriber leaves", async () => {
    const { service, stats } = await droppedOnlySubscriber({});
    await eventually(() => service.count("remove") === 1, 2_000, "removeTopic");
    expect(stats()).toMatchObject({ lingering: 0 });
  });
});

describe("lingering under random sequences", () => {
  /** An in-memory subscriber that counts the update frames written to it. */
  const counting = (id: string) => {
    const subscriber = {
      id,
      user: null,
      isOpen: true,
      /** Frames written to it: updates, each a frame, when replayed (live fan-out may join several into one). */
      written: 0,
      writeFrames(runs: readonly { frames: readonly unknown[] }[]): number {
        const count = runs.reduce((sum, run) => sum + run.frames.length, 0);
        subscriber.written += count;
        return count;
      },
    };
    return subscriber;
  };
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const LINGER = 10;

  /**
   * Against a model of when the topic must run (held, or unheld for less than the linger, on a fake clock):
   * createTopic and removeTopic alternate, a rejoin within the linger keeps the stream (no createTopic, the
   * same epoch) and recovers every update published while it lingered, a since after it is of another epoch,
   * and shutdown removes a lingering topic at once.
   */
  it("keeps its producer exactly while held or for lingerMs after, and recovers what a rejoiner missed", async () => {
    // A toggle subscribes a client not subscribed, and takes one that is away: every one changes something.
    const lingerOp = fc.oneof(
      { arbitrary: fc.record({ action: fc.constant("toggle" as const), client: fc.integer({ min: 0, max: 1 }) }), weight: 3 },
      { arbitrary: fc.record({ action: fc.constant("publish" as const) }), weight: 1 },
      { arbitrary: fc.record({ action: fc.constant("wait" as const), ms: fc.integer({ min: 1, max: LINGER }) }), weight: 2 },
    );
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(lingerOp, { minLength: 4, maxLength: 30 }), async (operations) => {
          const service = new RecordingService<BarSubscriptionRequest, Bar>();
          const route = new BarWsRouter({ route: "bars", service, lingerMs: LINGER });
          route.mount({ module: "linger", reportError: () => undefined });
          const clients = [counting("a"), counting("b")];
          const holders = new Set<number>();
          let now = 0;
          /** When the last holder left (undefined while held), and the stream's position then. */
          let leftAt: number | undefined;
          let left: { epoch: string; seq: number } | undefined;
          let seq = 0;
          for (const op of operations) {
            const running = holders.size > 0 || (leftAt !== undefined && now - leftAt < LINGER);
            if (op.action === "toggle" && !holders.has(op.client)) {
              const client = clients[op.client]!;
              const before = client.written;
              const creates = service.count("create");
              const response = await route.subscribe(client, { symbol: "AAPL" }, { since: left });
              if (running && holders.size === 0) {
                // A rejoin of the lingering topic: its stream, and what it published meanwhile.
                expect(response).toMatchObject({ status: "ok", epoch: left!.epoch, seq, recovered: true });
                expect(client.written - before).toBe(seq - left!.seq);
                expect(service.count("create")).toBe(creates);
              } else if (!running) {
                expect(service.count("create")).toBe(creates + 1);
                if (left !== undefined) expect(response).toMatchObject({ recovered: false, reason: "epoch", seq: 0 });
                seq = 0;
              }
              holders.add(op.client);
              leftAt = undefined;
              left = { epoch: response.epoch!, seq };
            } else if (op.action === "toggle" && holders.delete(op.client)) {
              route.release(clients[op.client]!);
              if (holders.size === 0) {
                leftAt = now;
                left = { epoch: left!.epoch, seq };
              }
            } else if (op.action === "publish" && running) {
              service.publish(AAPL, bar(seq + 1));
              await turn(); // the queue drains: the update takes its seq, held or lingering
              seq += 1;
            } else if (op.action === "wait") {
              vi.advanceTimersByTime(op.ms);
              now += op.ms;
            }
            const shouldRun = holders.size > 0 || (leftAt !== undefined && now - leftAt < LINGER);
            expect(service.live.has(AAPL), JSON.stringify({ op, now, leftAt })).toBe(shouldRun);
            expect(route.stats().lingering).toBe(shouldRun && holders.size === 0 ? 1 : 0);
          }
          await route.shutdown(100);
          const kinds = service.calls.map((call) => call.kind);
          expect(kinds).toEqual(kinds.map((_, index) => (index % 2 === 0 ? "create" : "remove")));
          expect(kinds.length % 2).toBe(0);
          expect(route.stats()).toMatchObject({ topics: 0, lingering: 0 });
        }),
        { numRuns: 500 },
      );
    } finally {
      vi.useRealTimers();
    }
  });
});
