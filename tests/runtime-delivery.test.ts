/**
 * The delivery contract (docs/protocol.md, "Delivery") over real sockets:
 * stream positions on every update, replay after `since` on a resubscribe
 * (also while updates are being published, and twice in a row), no partial
 * replay when the history cannot cover it, the latest value on subscribe,
 * and a clear answer to a bad `since`.
 */
import { describe, expect, it } from "vitest";
import type { TopicUpdater, WsRouteService } from "wsgen";
import { RecordingService, bar, type Bar, type BarSubscriptionRequest } from "./support/fixtures.js";
import { log, range, seqs, settle, start, startWith, updates, useBarsApps, type BarOptions } from "./support/bars-delivery.js";
import { eventually } from "./support/server.js";

const AAPL = 'bars:{"resolution":"1D","symbol":"AAPL"}';
const MSFT = 'bars:{"resolution":"1D","symbol":"MSFT"}';
useBarsApps();

describe("stream positions", () => {
  it("number each topic's updates from 1 in one epoch, which the subscribe response states", async () => {
    const { connect, service } = await start();
    const client = await connect();
    const frames = log(client);
    const aapl = await client.subscribe("bars", { symbol: "AAPL" });
    const msft = await client.subscribe("bars", { symbol: "MSFT" });
    expect(aapl.payload).toMatchObject({ status: "ok", seq: 0, epoch: expect.any(String) });
    for (let close = 1; close <= 3; close++) service.publish(AAPL, bar(close));
    service.publish(MSFT, bar(9));
    await settle(client);
    const aaplUpdates = updates(frames).filter((frame) => frame.payload.topic === AAPL);
    expect(aaplUpdates.map((frame) => frame.payload.seq as number)).toEqual([1, 2, 3]);
    expect(new Set(aaplUpdates.map((frame) => frame.payload.epoch as string))).toEqual(new Set([aapl.payload.epoch]));
    expect(updates(frames).find((frame) => frame.payload.topic === MSFT)?.payload).toMatchObject({ seq: 1, epoch: msft.payload.epoch });
    // A later subscriber is told where the stream is.
    const other = await connect();
    expect((await other.subscribe("bars", { symbol: "AAPL" })).payload).toMatchObject({ seq: 3, epoch: aapl.payload.epoch });
  });

  it("start a new epoch in a new process (a server restart)", async () => {
    const epochs: string[] = [];
    for (let run = 0; run < 2; run++) {
      const { app, connect } = await start();
      const client = await connect();
      epochs.push((await client.subscribe("bars", { symbol: "AAPL" })).payload.epoch as string);
      await app.stop();
    }
    expect(epochs[0]).not.toBe(epochs[1]);
  });
});

describe("replay on resubscribe", () => {
  /** A holder that keeps the topic live, a client that drops, and updates published while it is away. */
  async function dropAndMiss(missed: number, options: BarOptions = {}) {
    const setup = await start(options);
    const holder = await setup.connect();
    await holder.subscribe("bars", { symbol: "AAPL" });
    const leaver = await setup.connect();
    const frames = log(leaver);
    await leaver.subscribe("bars", { symbol: "AAPL" });
    setup.service.publish(AAPL, bar(1));
    await settle(leaver);
    const held = updates(frames).at(-1)!.payload as { seq: number; epoch: string };
    await leaver.close();
    for (let close = 2; close < 2 + missed; close++) setup.service.publish(AAPL, bar(close));
    await settle(holder);
    return { ...setup, since: { epoch: held.epoch, seq: held.seq } };
  }

  it("replays exactly the missed updates, in order, before a newer one", async () => {
    const { connect, service, since } = await dropAndMiss(5);
    const back = await connect();
    const frames = log(back);
    const response = await back.subscribeSince("bars", { symbol: "AAPL" }, since);
    expect(response.payload).toMatchObject({ status: "ok", recovered: true, seq: 6, epoch: since.epoch });
    service.publish(AAPL, bar(100));
    await settle(back);
    expect(frames[0]).toMatchObject({ type: "bars.subscribe.response" });
    expect(seqs(frames)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(updates(frames).map((frame) => frame.payload.payload.close as number)).toEqual([2, 3, 4, 5, 6, 100]);
  });

  it("recovers with nothing to replay when nothing was published while the topic stayed held", async () => {
    const setup = await start();
    const { service } = setup;
    const keeper = await setup.connect(); // holds the topic, so its producer keeps running
    await keeper.subscribe("bars", { symbol: "AAPL" });
    const first = await setup.connect();
    await first.subscribe("bars", { symbol: "AAPL" });
    service.publish(AAPL, bar(1));
    const update = await first.next((frame) => frame.type === "bars.update");
    await first.close();
    const back = await setup.connect();
    const frames = log(back);
    const response = await back.subscribeSince("bars", { symbol: "AAPL" }, { epoch: update.payload.epoch, seq: 1 });
    expect(response.payload).toMatchObject({ status: "ok", recovered: true, seq: 1, epoch: update.payload.epoch });
    await settle(back);
    expect(updates(frames)).toEqual([]);
    service.publish(AAPL, bar(2));
    expect((await back.next((frame) => frame.type === "bars.update")).payload).toMatchObject({ seq: 2, epoch: update.payload.epoch });
    expect(service.count("remove", AAPL)).toBe(0);
  });

  it("does not claim recovery after the topic was removed meanwhile: its producer stopped, so the stream has a new epoch", async () => {
    const setup = await start();
    const { service } = setup;
    const first = await setup.connect();
    await first.subscribe("bars", { symbol: "AAPL" });
    service.publish(AAPL, bar(1));
    const update = await first.next((frame) => frame.type === "bars.update");
    await first.close();
    // The only subscriber left: removeTopic ran, and whatever the source did meanwhile was never published.
    await eventually(() => service.count("remove", AAPL) === 1);
    const back = await setup.connect();
    const frames = log(back);
    const response = await back.subscribeSince("bars", { symbol: "AAPL" }, { epoch: update.payload.epoch, seq: 1 });
    expect(response.payload).toMatchObject({ status: "ok", recovered: false, reason: "epoch", seq: 0 });
    expect(response.payload.epoch).not.toBe(update.payload.epoch);
    await settle(back);
    expect(updates(frames)).toEqual([]);
  });

  it("neither duplicates nor loses an update when publishing races the resubscribe, twice in a row", async () => {
    const { connect, service, since } = await dropAndMiss(3, { historySize: 10_000, historyMaxBytes: 10_000_000 });
    let publishing = true;
    let close = 1_000;
    const publish = (): void => {
      if (!publishing) return;
      for (let i = 0; i < 5; i++) service.publish(AAPL, bar(close++));
      setImmediate(publish);
    };
    publish();
    let held = since;
    for (let reconnect = 0; reconnect < 2; reconnect++) {
      const client = await connect();
      const frames = log(client);
      const response = await client.subscribeSince("bars", { symbol: "AAPL" }, held);
      expect(response.payload).toMatchObject({ recovered: true, epoch: held.epoch });
      await new Promise((resolve) => setTimeout(resolve, 30));
      await client.close();
      const got = seqs(frames);
      expect(got.length).toBeGreaterThan(0);
      expect(got).toEqual(range(held.seq + 1, held.seq + got.length));
      held = { epoch: held.epoch, seq: got.at(-1)! };
    }
    publishing = false;
  });

  it("replays nothing and says why when the history overflowed, expired, or is of another epoch", async () => {
    const trimmed = await dropAndMiss(6, { historySize: 4 });
    const afterOverflow = await trimmed.connect();
    const overflowFrames = log(afterOverflow);
    const overflow = await afterOverflow.subscribeSince("bars", { symbol: "AAPL" }, trimmed.since);
    expect(overflow.payload).toMatchObject({ status: "ok", recovered: false, reason: "trimmed", seq: 7 });
    trimmed.service.publish(AAPL, bar(50));
    await settle(afterOverflow);
    expect(seqs(overflowFrames)).toEqual([8]);

    const aged = await dropAndMiss(2, { historyTtlMs: 40 });
    await new Promise((resolve) => setTimeout(resolve, 80));
    const afterExpiry = await aged.connect();
    const expiryFrames = log(afterExpiry);
    const expired = await afterExpiry.subscribeSince("bars", { symbol: "AAPL" }, aged.since);
    expect(expired.payload).toMatchObject({ recovered: false, reason: "expired", seq: 3 });

    const otherEpoch = await afterExpiry.subscribeSince("bars", { symbol: "MSFT" }, { epoch: "gone.1", seq: 12 });
    expect(otherEpoch.payload).toMatchObject({ status: "ok", recovered: false, reason: "epoch", seq: 0 });
    const ahead = await (await aged.connect()).subscribeSince("bars", { symbol: "AAPL" }, { epoch: aged.since.epoch, seq: 99 });
    expect(ahead.payload).toMatchObject({ recovered: false, reason: "ahead" });
    await settle(afterExpiry);
    expect(updates(expiryFrames)).toEqual([]);
  });

  it("answers a bad since with invalid_since, takes no topic, and stays open", async () => {
    const { connect, service } = await start();
    const client = await connect();
    for (const since of [null, "3", { epoch: "e" }, { epoch: "e", seq: -1 }, { epoch: 5, seq: 1 }]) {
      const response = await client.subscribeSince("bars", { symbol: "AAPL" }, since);
      expect(response.payload, JSON.stringify(since)).toMatchObject({ status: "error", code: "invalid_since", topic: AAPL });
      expect(response.payload.message).toMatch(/invalid "since"/);
    }
    expect(service.count("create")).toBe(0);
    expect(await client.request("ping")).toMatchObject({ type: "pong" });
  });
});

describe("latest value on subscribe", () => {
  it("sends a quiet topic's latest update right after the response, at the response's seq", async () => {
    const { connect, service } = await start({ latestValue: true });
    const publisher = await connect();
    await publisher.subscribe("bars", { symbol: "AAPL" });
    for (let close = 1; close <= 3; close++) service.publish(AAPL, bar(close));
    await settle(publisher);
    const late = await connect();
    const frames = log(late);
    const response = await late.subscribe("bars", { symbol: "AAPL" });
    await settle(late);
    expect(frames.map((frame) => frame.type)).toEqual(["bars.subscribe.response", "bars.update", "pong"]);
    expect(response.payload).toMatchObject({ seq: 3 });
    expect(frames[1]!.payload).toMatchObject({ seq: 3, epoch: response.payload.epoch, payload: bar(3) });
  });

  it("forgets it when the last subscriber left: the producer stopped, so the value may be stale; a new subscriber gets what createTopic publishes", async () => {
    const quiet = await start({ latestValue: true });
    const first = await quiet.connect();
    await first.subscribe("bars", { symbol: "AAPL" });
    quiet.service.publish(AAPL, bar(7));
    await first.next((frame) => frame.type === "bars.update");
    await first.close();
    await eventually(() => quiet.service.count("remove") === 1);
    const again = await quiet.connect();
    const frames = log(again);
    const response = await again.subscribe("bars", { symbol: "AAPL" });
    await settle(again);
    expect(response.payload).toMatchObject({ status: "ok", seq: 0 });
    expect(updates(frames)).toEqual([]);
  });
});

describe("subscribing while createTopic runs", () => {
  it("gets what was published during createTopic after its response, in order, never before it", async () => {
    /** Publishes twice, waits long enough for a fan-out to run, publishes again, then admits. */
    const service: WsRouteService<BarSubscriptionRequest, Bar> = {
      async createTopic(_topic: string, update: TopicUpdater<Bar>) {
        update(bar(1));
        update(bar(2));
        await new Promise((resolve) => setTimeout(resolve, 30));
        update(bar(3));
      },
      removeTopic: () => undefined,
    };
    const { connect } = await startWith({ historySize: 0 }, service);
    const watcher = await connect();
    const watcherFrames = log(watcher);
    await watcher.subscribe("bars", { symbol: "AAPL" });
    await settle(watcher);
    // Without history the two fanned out while it waited are gone: the start moves past them, without a gap.
    expect(watcherFrames[0]).toMatchObject({ type: "bars.subscribe.response", payload: { seq: 2 } });
    expect(seqs(watcherFrames)).toEqual([3]);

    const kept = await startWith({}, service);
    const client = await kept.connect();
    const frames = log(client);
    await client.subscribe("bars", { symbol: "MSFT" });
    await settle(client);
    expect(frames[0]).toMatchObject({ type: "bars.subscribe.response", payload: { seq: 0 } });
    expect(seqs(frames)).toEqual([1, 2, 3]);
  });
});

describe("updates the queue drops (queueCapacity)", () => {
  it("leave a gap for a valid update only, so subscribers are never told of one that could not have been sent", async () => {
    const { connect, service } = await start({ queueCapacity: 1 });
    const client = await connect();
    const frames = log(client);
    expect((await client.subscribe("bars", { symbol: "AAPL" })).payload.seq).toBe(0);
    service.publish(AAPL, { close: "not a number" } as unknown as Bar); // would fail validation: never sendable
    service.publish(AAPL, bar(1)); // overflows the queue, dropping the invalid one: no seq for it
    await settle(client);
    service.publish(AAPL, bar(2));
    service.publish(AAPL, bar(3)); // drops bar(2), which would have been sent: its seq is the gap
    await settle(client);
    expect(seqs(frames)).toEqual([1, 3]);
  });

  it("take no seq of a re-created topic's stream for an update of its ended generation", async () => {
    // The window keeps bar(2) queued across the removal and the re-creation (an idle queue drains at once).
    const { connect, service } = await start({ queueCapacity: 1, batchWindowMs: 1_000 });
    const first = await connect();
    await first.subscribe("bars", { symbol: "AAPL" });
    service.publish(AAPL, bar(1));
    await first.next((frame) => frame.type === "bars.update");
    service.publish(AAPL, bar(2)); // queued for the first generation
    await first.close();
    await eventually(() => service.count("remove", AAPL) === 1);
    const second = await connect();
    const frames = log(second);
    await second.subscribe("bars", { symbol: "AAPL" });
    service.publish(AAPL, bar(3)); // the second generation's first update drops bar(2)
    await eventually(() => updates(frames).length === 1);
    expect(updates(frames)).toMatchObject([{ payload: { seq: 1, payload: { close: 3 } } }]);
  });
});

describe("resubscribing on a connection already live on the topic", () => {
  it("replays nothing and re-sends no latest value: fan-out wrote it every update, so since is recovered", async () => {
    const { connect, service } = await start({ latestValue: true });
    const client = await connect();
    const frames = log(client);
    await client.subscribe("bars", { symbol: "AAPL" });
    service.publish(AAPL, bar(1));
    const first = await client.next((frame) => frame.type === "bars.update");
    service.publish(AAPL, bar(2));
    service.publish(AAPL, bar(3));
    await settle(client);
    // The client's since (seq 1) may have been current when it sent it, 2 and 3 in flight: they precede the response.
    const again = await client.subscribeSince("bars", { symbol: "AAPL" }, { epoch: first.payload.epoch, seq: 1 });
    expect(again.payload).toMatchObject({ status: "ok", message: "already subscribed", recovered: true, seq: 3 });
    const plain = await client.subscribe("bars", { symbol: "AAPL" });
    expect(plain.payload).toMatchObject({ status: "ok", message: "already subscribed", seq: 3 });
    await settle(client);
    expect(seqs(frames)).toEqual([1, 2, 3]);
  });

  it("does not recover a since from before what the connection was sent: those updates can no longer come first", async () => {
    const { connect, service } = await start();
    const keeper = await connect();
    await keeper.subscribe("bars", { symbol: "AAPL" });
    service.publish(AAPL, bar(1));
    const first = await keeper.next((frame) => frame.type === "bars.update");
    service.publish(AAPL, bar(2));
    await settle(keeper);
    const client = await connect();
    const frames = log(client);
    expect((await client.subscribe("bars", { symbol: "AAPL" })).payload.seq).toBe(2); // sent what follows seq 2
    const since = { epoch: first.payload.epoch, seq: 0 };
    const again = await client.subscribeSince("bars", { symbol: "AAPL" }, since);
    expect(again.payload).toMatchObject({ status: "ok", recovered: false, reason: "trimmed", seq: 2 });
    const other = await client.subscribeSince("bars", { symbol: "AAPL" }, { epoch: "another", seq: 2 });
    expect(other.payload).toMatchObject({ recovered: false, reason: "epoch" });
    await settle(client);
    expect(seqs(frames)).toEqual([]);
  });
});

describe("a replay the connection cannot take", () => {
  it("is not sent at all: recovered false, too_large, while one that fits is replayed and the client stays open", async () => {
    // 100 bars of ~220 bytes do not fit an 8 KiB high-water mark; 2 do. Under "close", a replay cut by it would close the client.
    const { connect, service } = await startWith({ historySize: 100 }, new RecordingService<BarSubscriptionRequest, Bar>(), {
      highWaterMark: 8_192,
    });
    const keeper = await connect();
    const aapl = (await keeper.subscribe("bars", { symbol: "AAPL" })).payload.epoch as string;
    const msft = (await keeper.subscribe("bars", { symbol: "MSFT" })).payload.epoch as string;
    for (let burst = 0; burst < 10; burst++) {
      for (let close = 1; close <= 10; close++) service.publish(AAPL, bar(burst * 10 + close));
      await settle(keeper); // in bursts, so the keeper itself never nears the mark
    }
    service.publish(MSFT, bar(1));
    service.publish(MSFT, bar(2));
    await settle(keeper);
    const back = await connect();
    const frames = log(back);
    let closed: number | undefined;
    back.socket.on("close", (code: number) => (closed = code));
    const big = await back.subscribeSince("bars", { symbol: "AAPL" }, { epoch: aapl, seq: 0 });
    const small = await back.subscribeSince("bars", { symbol: "MSFT" }, { epoch: msft, seq: 0 });
    expect(big.payload).toMatchObject({ status: "ok", recovered: false, reason: "too_large", seq: 100 });
    expect(small.payload).toMatchObject({ status: "ok", recovered: true, seq: 2 });
    service.publish(AAPL, bar(101));
    await settle(back);
    expect(updates(frames).map((frame) => [frame.payload.topic as string, frame.payload.seq as number])).toEqual([
      [MSFT, 1],
      [MSFT, 2],
      [AAPL, 101],
    ]);
    expect(closed).toBeUndefined();
  });
});
