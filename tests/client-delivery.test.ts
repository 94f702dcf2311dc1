/**
 * The typed client's side of delivery (docs/runtime.md, "Delivery in the
 * typed client") over real sockets: a client whose connection drops gets
 * exactly what it missed after reconnecting (also while publishes race the
 * resubscribe, and after two drops in a row), is told `recovered` for each
 * resubscribe, gets a reset with the server's reason when the history
 * cannot cover the drop or the server restarted, and drops duplicates and
 * reports gaps that a (bare) server sends. A route's linger covers the drop
 * of a topic's only subscriber; its latest value reaches a late subscriber
 * at once, never after a newer update.
 */
import { describe, expect, it } from "vitest";
import { createClient, type Resubscription, type StreamEvent, type StreamReset } from "wsgen/client";
import { scriptedServer, ticksApp, type TicksApp } from "./support/delivery-servers.js";
import { eventually } from "./support/server.js";
import { cleanups, NodeWebSocket, ticksContract, useCleanups, type Tick } from "./support/typed-client.js";

useCleanups();

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, index) => from + index);

/** A typed client of `app` named `who` (its connections are the ones `app.drop(who)` cuts), reconnecting after 50 ms. */
function clientOf(app: { port: number }, who: string, onError: (error: Error) => void = () => undefined) {
  const client = createClient(`ws://127.0.0.1:${app.port}`, ticksContract, {
    WebSocket: NodeWebSocket,
    query: { who },
    backoff: { initial: 50, max: 50, jitter: 0 },
    onError,
  });
  cleanups.push(() => client.close());
  return client;
}

/**
 * A holder that keeps the topic live (unless `withHolder` is false: the mover is then its only subscriber), and a
 * mover subscribed to it whose connection the test drops; published 1..`before` first.
 */
async function moverAndHolder(app: TicksApp, before: number, withHolder = true) {
  const held: number[] = [];
  if (withHolder) await clientOf(app, "holder").ticks.ticks.subscribe({ name: "a" }, (tick) => held.push(tick.n));
  const errors: Error[] = [];
  const mover = clientOf(app, "mover", (error) => errors.push(error));
  const seen: number[] = [];
  const resets: StreamReset[] = [];
  const resubscriptions: Resubscription[] = [];
  const subscription = await mover.ticks.ticks.subscribe({ name: "a" }, (tick) => seen.push(tick.n), {
    onReset: (reset) => resets.push(reset),
    onResubscribe: (resubscription) => resubscriptions.push(resubscription),
  });
  for (let n = 1; n <= before; n++) app.publish(n);
  await eventually(() => seen.length === before && held.length === (withHolder ? before : 0), 3_000, "the updates before the drop");
  /** Drops the mover, publishes `missed` more (numbered on from `next`) while it is away, and waits until it is back. */
  const dropWhile = async (publishAway: () => void): Promise<void> => {
    app.drop("mover");
    await mover.connection("ticks").until("reconnecting");
    publishAway();
    await mover.connection("ticks").until("open");
  };
  return { mover, seen, held, resets, resubscriptions, errors, subscription, dropWhile };
}

describe("typed client: replay after a reconnect", () => {
  it.each([
    ["while another subscriber holds the topic", {}, true],
    ["as the topic's only subscriber, when the route's lingerMs covers the drop", { lingerMs: 2_000 }, false],
  ] as const)(
    "gets exactly the N updates published while it was away, in order, and is told recovered: %s",
    async (_, options, withHolder) => {
      const app = await ticksApp(0, options);
      const { seen, resets, resubscriptions, subscription, dropWhile } = await moverAndHolder(app, 3, withHolder);
      const epoch = subscription.position?.epoch;
      expect(subscription.position).toEqual({ epoch: expect.any(String), seq: 3 });
      await dropWhile(() => range(4, 10).forEach((n) => app.publish(n)));
      await eventually(() => seen.length >= 10, 3_000, "the replay");
      app.publish(11);
      await eventually(() => seen.length >= 11, 3_000, "a live update after the replay");
      expect(seen).toEqual(range(1, 11));
      expect(resubscriptions).toEqual([
        { topic: subscription.topic, recovered: true, reason: undefined, since: { epoch, seq: 3 }, position: { epoch, seq: 10 } },
      ]);
      expect(resets).toEqual([]);
      expect(subscription.position).toEqual({ epoch, seq: 11 });
    },
  );

  it("misses none and repeats none when publishes race the resubscribe, and after two drops in a row", async () => {
    const app = await ticksApp(0, { historySize: 1_000 });
    const { seen, held, resets, resubscriptions, dropWhile } = await moverAndHolder(app, 2);
    let n = 2;
    const publisher = setInterval(() => app.publish(++n), 1);
    cleanups.push(() => clearInterval(publisher));
    await dropWhile(() => undefined);
    // Again as soon as the first resubscribe is answered: its replay may still be arriving.
    await eventually(() => resubscriptions.length === 1, 3_000, "the first resubscribe's answer");
    await dropWhile(() => undefined);
    await eventually(() => resubscriptions.length === 2, 3_000, "the second resubscribe's answer");
    await new Promise((resolve) => setTimeout(resolve, 30));
    clearInterval(publisher);
    await eventually(() => seen.length === n && held.length === n, 5_000, `all ${n} updates`);
    expect(seen).toEqual(range(1, n));
    expect(held).toEqual(range(1, n));
    expect(resubscriptions.map((resubscription) => resubscription.recovered)).toEqual([true, true]);
    expect(resets).toEqual([]);
  });

  it("is told recovered with nothing replayed when nothing was published while it was away", async () => {
    const app = await ticksApp();
    const { seen, resets, resubscriptions, dropWhile } = await moverAndHolder(app, 2);
    await dropWhile(() => undefined);
    await eventually(() => resubscriptions.length === 1, 3_000, "the resubscribe's answer");
    expect(resubscriptions[0]).toMatchObject({ recovered: true, since: { seq: 2 }, position: { seq: 2 } });
    app.publish(3);
    await eventually(() => seen.length === 3, 3_000, "the next live update");
    expect(seen).toEqual([1, 2, 3]);
    expect(resets).toEqual([]);
  });
});

describe("typed client: a topic without a linger", () => {
  it("is a reset (reason epoch) after its only subscriber's socket dropped: the topic was removed with it", async () => {
    const app = await ticksApp();
    const { resets, resubscriptions, dropWhile } = await moverAndHolder(app, 3, false);
    await dropWhile(() => undefined);
    await eventually(() => resets.length === 1, 3_000, "the reset");
    expect(resubscriptions).toMatchObject([{ recovered: false, reason: "epoch" }]);
  });
});

describe("typed client: the latest value (latestValue: true)", () => {
  it("is sent at once to a subscriber of a topic that last changed a while ago, and never before a newer one when updates race", async () => {
    const app = await ticksApp(0, { latestValue: true });
    const held: number[] = [];
    await clientOf(app, "holder").ticks.ticks.subscribe({ name: "a" }, (tick) => held.push(tick.n));
    for (let n = 1; n <= 5; n++) app.publish(n);
    await eventually(() => held.length === 5, 3_000, "the holder's updates");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const seen: number[] = [];
    const subscription = await clientOf(app, "late").ticks.ticks.subscribe({ name: "a" }, (tick) => seen.push(tick.n));
    expect(subscription.position).toEqual({ epoch: expect.any(String), seq: 5 });
    // Right behind the response, not at the next publish: nothing is published now.
    await eventually(() => seen.length === 1, 500, "the latest value");
    expect(seen).toEqual([5]);

    let n = 5;
    const publisher = setInterval(() => app.publish(++n), 1);
    cleanups.push(() => clearInterval(publisher));
    const racers = await Promise.all(
      range(1, 5).map(async (racer) => {
        const got: number[] = [];
        await new Promise((resolve) => setTimeout(resolve, racer * 7));
        await clientOf(app, `racer${racer}`).ticks.ticks.subscribe({ name: "a" }, (tick) => got.push(tick.n));
        return got;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    clearInterval(publisher);
    await eventually(() => racers.every((got) => got.at(-1) === n), 3_000, "every racer at the last update");
    // Each starts at the latest value or the update after its response, then every newer one, in order: never an older one.
    for (const got of racers) expect(got).toEqual(range(got[0]!, n));
  });
});

describe("typed client: resets", () => {
  it("reports a history overflow with the server's reason, replays nothing, and continues from the new position", async () => {
    const app = await ticksApp(0, { historySize: 3 });
    const { seen, resets, resubscriptions, subscription, dropWhile } = await moverAndHolder(app, 2);
    const epoch = subscription.position?.epoch;
    await dropWhile(() => range(3, 8).forEach((n) => app.publish(n)));
    await eventually(() => resets.length === 1, 3_000, "the reset");
    expect(resubscriptions).toMatchObject([{ recovered: false, reason: "trimmed" }]);
    expect(resets).toEqual([{ topic: subscription.topic, reason: "trimmed", from: { epoch, seq: 2 }, to: { epoch, seq: 8 }, missed: 6 }]);
    app.publish(9);
    await eventually(() => seen.length === 3, 3_000, "the next live update");
    expect(seen).toEqual([1, 2, 9]);
  });

  it("reports a replay too large for the connection's buffer (too_large) as a reset, with nothing replayed", async () => {
    // 100 ticks of ~100 bytes missed, against a 4 KiB high-water mark: the server sends none of them.
    const app = await ticksApp(0, {}, { highWaterMark: 4_096 });
    const { seen, resets, resubscriptions, subscription, dropWhile } = await moverAndHolder(app, 2);
    const epoch = subscription.position?.epoch;
    await dropWhile(() => range(3, 102).forEach((n) => app.publish(n)));
    await eventually(() => resets.length === 1, 3_000, "the reset");
    expect(resubscriptions).toMatchObject([{ recovered: false, reason: "too_large" }]);
    expect(resets).toEqual([
      { topic: subscription.topic, reason: "too_large", from: { epoch, seq: 2 }, to: { epoch, seq: 102 }, missed: 100 },
    ]);
    app.publish(103);
    await eventually(() => seen.length === 3, 3_000, "the next live update");
    expect(seen).toEqual([1, 2, 103]);
  });

  it("reports a server restart (a new epoch) as a reset, and data continues in the new epoch", async () => {
    const first = await ticksApp();
    const { mover, seen, resets, subscription } = await moverAndHolder(first, 2);
    const before = subscription.position;
    await first.stop();
    await mover.connection("ticks").until("reconnecting");
    const second = await ticksApp(first.port);
    // The holder of the first app is gone: this one keeps the new topic live.
    const holder = clientOf(second, "holder");
    await holder.ticks.ticks.subscribe({ name: "a" }, () => undefined);
    await eventually(() => resets.length === 1, 5_000, "the reset");
    const [reset] = resets;
    expect(reset).toMatchObject({ reason: "epoch", from: before, to: { seq: 0 }, missed: undefined });
    expect(reset?.to.epoch).not.toBe(before?.epoch);
    second.publish(100);
    await eventually(() => seen.length === 3, 3_000, "an update of the new epoch");
    expect(seen).toEqual([1, 2, 100]);
    expect(subscription.position).toEqual({ epoch: reset?.to.epoch, seq: 1 });
  });
});

describe("typed client: what a server should never send", () => {
  it("drops a duplicate seq without delivering it", async () => {
    const server = await scriptedServer([1, 2, 2, 1, 3]);
    const client = createClient(server.url, ticksContract, { WebSocket: NodeWebSocket });
    cleanups.push(() => client.close());
    const seen: number[] = [];
    const resets: StreamReset[] = [];
    await client.ticks.ticks.subscribe({ name: "a" }, (tick) => seen.push(tick.n), { onReset: (reset) => resets.push(reset) });
    await eventually(() => seen.includes(3), 3_000, "the last update");
    expect(seen).toEqual([1, 2, 3]);
    expect(resets).toEqual([]);
  });

  it("reports a gap before the update after it, to a handler and in events()", async () => {
    const server = await scriptedServer([1, 2, 5, 6]);
    const client = createClient(server.url, ticksContract, { WebSocket: NodeWebSocket });
    cleanups.push(() => client.close());
    const items: StreamEvent<Tick>[] = [];
    for await (const item of client.ticks.ticks.events({ name: "a" })) {
      items.push(item);
      if (item.kind === "data" && item.data.n === 6) break;
    }
    const topic = 'ticks:{"name":"a"}';
    expect(items).toEqual([
      { kind: "data", data: { n: 1 } },
      { kind: "data", data: { n: 2 } },
      { kind: "reset", reset: { topic, reason: "gap", from: { epoch: "e1", seq: 2 }, to: { epoch: "e1", seq: 5 }, missed: 2 } },
      { kind: "data", data: { n: 5 } },
      { kind: "data", data: { n: 6 } },
    ]);
    // stream() yields the data alone; its onReset hears of the gap.
    const resets: StreamReset[] = [];
    const data: number[] = [];
    for await (const tick of client.ticks.ticks.stream({ name: "b" }, { onReset: (reset) => resets.push(reset) })) {
      data.push(tick.n);
      if (tick.n === 6) break;
    }
    expect(data).toEqual([1, 2, 5, 6]);
    expect(resets).toMatchObject([{ reason: "gap", missed: 2 }]);
  });
});
