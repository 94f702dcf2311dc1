/**
 * Reference counting, fan-out and the update queue, over real sockets.
 */
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Subscriber } from "wsgen";
import {
  BarWsRouter,
  OrderWsRouter,
  RecordingService,
  bar,
  type Bar,
  type BarSubscriptionRequest,
  type OrderSubscriptionRequest,
  type PlacedOrder,
} from "./support/fixtures.js";
import { TestClient } from "./support/client.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

const AAPL = 'bars:{"resolution":"1D","symbol":"AAPL"}';

let running: RunningApp;
let bars: RecordingService<BarSubscriptionRequest, Bar>;
let orders: RecordingService<OrderSubscriptionRequest, PlacedOrder>;
const reported: unknown[] = [];

beforeEach(async () => {
  reported.length = 0;
  bars = new RecordingService();
  orders = new RecordingService();
  running = await startApp({
    modules: [
      { name: "datafeed", routers: [new BarWsRouter({ route: "bars", service: bars, queueCapacity: 1000 })] },
      { name: "broker", routers: [new OrderWsRouter({ route: "orders", service: orders })] },
    ],
    onError: (error) => reported.push(error),
  });
});
afterEach(() => running.stop());

const connect = (module = "datafeed"): Promise<TestClient> => TestClient.connect(running.wsUrl(module));
const barStats = () => running.app.stats().modules.datafeed!.routes.bars!;

describe("reference counting", () => {
  it("calls createTopic once for two clients on one topic, and removeTopic once when both leave", async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    await Promise.all([a.subscribe("bars", { symbol: "AAPL" }), b.subscribe("bars", { symbol: "AAPL", resolution: "1D" })]);
    expect(bars.calls).toEqual([{ kind: "create", topic: AAPL }]);

    expect((await a.unsubscribe("bars", { symbol: "AAPL" })).payload.status).toBe("ok");
    expect(bars.count("remove")).toBe(0);
    expect((await b.unsubscribe("bars", { symbol: "AAPL" })).payload.status).toBe("ok");
    expect(bars.calls).toEqual([
      { kind: "create", topic: AAPL },
      { kind: "remove", topic: AAPL },
    ]);
  });

  it("keeps the topic when one of two disconnects, removes it once when the other does", async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    await a.subscribe("bars", { symbol: "AAPL" });
    await b.subscribe("bars", { symbol: "AAPL" });
    await a.close();
    await eventually(() => barStats().subscriptions === 1, 2_000, "a released");
    expect(bars.count("remove")).toBe(0);
    b.socket.terminate();
    await eventually(() => bars.count("remove") === 1, 2_000, "removeTopic");
    expect(barStats()).toMatchObject({ topics: 0, subscriptions: 0 });
  });

  it("counts a client subscribing twice once", async () => {
    const client = await connect();
    await client.subscribe("bars", { symbol: "AAPL" });
    const again = await client.subscribe("bars", { symbol: "AAPL" });
    expect(again.payload).toMatchObject({ status: "ok", message: "already subscribed", topic: AAPL });
    expect(barStats().subscriptions).toBe(1);
    await client.unsubscribe("bars", { symbol: "AAPL" });
    expect(bars.calls.map((call) => call.kind)).toEqual(["create", "remove"]);
    expect((await client.unsubscribe("bars", { symbol: "AAPL" })).payload.status).toBe("error");
  });

  it("waits for a slow createTopic once for everyone who subscribes meanwhile", async () => {
    let finish!: () => void;
    bars.createBehaviour = () => new Promise<void>((resolve) => (finish = resolve));
    const [a, b] = await Promise.all([connect(), connect()]);
    const replies = Promise.all([a.subscribe("bars", { symbol: "AAPL" }), b.subscribe("bars", { symbol: "AAPL" })]);
    await eventually(() => bars.calls.length === 1, 2_000, "createTopic");
    finish();
    const [ra, rb] = await replies;
    expect([ra.payload.status, rb.payload.status]).toEqual(["ok", "ok"]);
    expect(bars.count("create")).toBe(1);
  });

  it("removes a topic whose subscribers all left while createTopic was pending", async () => {
    let finish!: () => void;
    bars.createBehaviour = () => new Promise<void>((resolve) => (finish = resolve));
    const client = await connect();
    client.send({ type: "bars.subscribe", payload: { symbol: "AAPL" } });
    await eventually(() => bars.calls.length === 1, 2_000, "createTopic");
    client.socket.terminate();
    await eventually(() => barStats().subscriptions === 0, 2_000, "released");
    finish();
    await eventually(() => bars.count("remove") === 1, 2_000, "removeTopic after creation");
    expect(barStats().topics).toBe(0);
  });
});

describe("fan-out", () => {
  it("sends an update only to that topic's subscribers, across routes and modules", async () => {
    const [aapl, msft, both, broker] = await Promise.all([connect(), connect(), connect(), connect("broker")]);
    await aapl.subscribe("bars", { symbol: "AAPL" });
    await msft.subscribe("bars", { symbol: "MSFT" });
    await both.subscribe("bars", { symbol: "AAPL" });
    await both.subscribe("bars", { symbol: "MSFT" });
    await broker.subscribe("orders", { accountId: "A1" });

    bars.publish(AAPL, bar(1));
    const msftTopic = 'bars:{"resolution":"1D","symbol":"MSFT"}';
    bars.publish(msftTopic, bar(2));
    orders.publish('orders:{"accountId":"A1"}', { id: "o1", symbol: "AAPL", qty: 5 });

    expect((await aapl.next((f) => f.type === "bars.update")).payload).toEqual({ topic: AAPL, payload: bar(1) });
    expect((await msft.next((f) => f.type === "bars.update")).payload).toEqual({ topic: msftTopic, payload: bar(2) });
    const first = await both.next((f) => f.type === "bars.update");
    const second = await both.next((f) => f.type === "bars.update");
    expect([first.payload.topic, second.payload.topic]).toEqual([AAPL, msftTopic]);
    expect((await broker.next((f) => f.type === "orders.update")).payload.payload).toEqual({ id: "o1", symbol: "AAPL", qty: 5 });

    // A round trip after the updates proves nothing else was queued for anyone.
    for (const client of [aapl, msft, both, broker]) await client.request("ping");
    expect(aapl.frames.filter((f) => f.type.endsWith(".update"))).toEqual([]);
    expect(msft.frames.filter((f) => f.type.endsWith(".update"))).toEqual([]);
    expect(barStats()).toMatchObject({ updatesPublished: 2, framesSent: 4 });
  });

  it("drops an update that fails the data schema, reports it, and keeps the topic", async () => {
    const client = await connect();
    await client.subscribe("bars", { symbol: "AAPL" });
    bars.publish(AAPL, { close: "not a bar" } as unknown as Bar);
    bars.publish(AAPL, bar(3));
    expect((await client.next((f) => f.type === "bars.update")).payload.payload).toEqual(bar(3));
    expect(barStats().updatesInvalid).toBe(1);
    expect(reported).toEqual([expect.objectContaining({ code: "ERR_INVALID_UPDATE" })]);
  });

  it("ignores updates for a topic after it was removed, without stalling", async () => {
    const client = await connect();
    await client.subscribe("bars", { symbol: "AAPL" });
    const stale = bars.live.get(AAPL)!;
    await client.unsubscribe("bars", { symbol: "AAPL" });
    expect(() => stale(bar(9))).not.toThrow();
    await client.subscribe("bars", { symbol: "AAPL" });
    stale(bar(10)); // the old generation's updater stays silent
    bars.publish(AAPL, bar(11));
    expect((await client.next((f) => f.type === "bars.update")).payload.payload).toEqual(bar(11));
    await client.request("ping");
    expect(client.frames.filter((f) => f.type === "bars.update")).toEqual([]);
  });
});

describe("update queue", () => {
  it("drops the oldest updates on overflow, counts them, and never throws into the service", async () => {
    const client = await connect();
    await client.subscribe("bars", { symbol: "AAPL" });
    const update = bars.live.get(AAPL)!;
    expect(() => {
      for (let i = 1; i <= 1500; i++) update(bar(i));
    }).not.toThrow();
    expect(barStats().updatesDropped).toBe(500);
    const last = await client.next((f) => f.type === "bars.update" && f.payload.payload.close === 1500);
    expect(last).toBeDefined();
    await client.request("ping");
    const received = [bar(1500).close];
    expect(client.frames.filter((f) => f.type === "bars.update").length + received.length).toBe(1000);
    expect(client.frames.find((f) => f.type === "bars.update")?.payload.payload.close).toBe(501);
  });
});

describe("invariants under random operation sequences", () => {
  /** An in-memory subscriber: the route only needs an id and a frame sink. */
  const fakeSubscriber = (id: string): Subscriber => ({ id, writeFrames: () => 0 });

  const operation = fc.record({
    client: fc.integer({ min: 0, max: 3 }),
    action: fc.constantFrom("subscribe", "unsubscribe", "disconnect" as const),
    symbol: fc.constantFrom("AAPL", "MSFT", "TSLA"),
    createFails: fc.boolean(),
    createDelay: fc.constantFrom(0, 0, 1),
  });

  it("1,000 random subscribe/unsubscribe/disconnect sequences end with zero topics and balanced create/remove", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 30 }), async (operations) => {
        const service = new RecordingService<BarSubscriptionRequest, Bar>();
        const route = new BarWsRouter({ route: "bars", service });
        route.mount({ module: "fuzz", reportError: () => undefined });
        let fails = false;
        service.createBehaviour = async () => {
          const failing = fails;
          await new Promise((resolve) => setImmediate(resolve));
          if (failing) throw new Error("refused");
        };
        let subscribers = [0, 1, 2, 3].map((i) => fakeSubscriber(`c${i}`));
        const pending: Promise<unknown>[] = [];
        for (const op of operations) {
          fails = op.createFails && op.symbol === "TSLA";
          const subscriber = subscribers[op.client]!;
          if (op.action === "subscribe") pending.push(route.subscribe(subscriber, { symbol: op.symbol }));
          else if (op.action === "unsubscribe") route.unsubscribe(subscriber, { symbol: op.symbol });
          else {
            route.release(subscriber);
            subscribers = subscribers.map((s, i) => (i === op.client ? fakeSubscriber(`c${i}'`) : s));
          }
          if (op.createDelay > 0) await new Promise((resolve) => setImmediate(resolve));
        }
        await Promise.all(pending);
        for (const subscriber of subscribers) route.release(subscriber);
        // Let pending creations settle and the removals they trigger run.
        for (let i = 0; i < 4; i++) await new Promise((resolve) => setImmediate(resolve));
        expect(route.stats()).toMatchObject({ topics: 0, subscriptions: 0 });
        // Every successful create is matched by exactly one remove, per topic, in alternation.
        const live = new Set<string>();
        for (const call of service.calls) {
          if (call.kind === "create") {
            expect(live.has(call.topic)).toBe(false);
            live.add(call.topic);
          } else {
            // A failed create is closed by its failure, a live one by exactly one remove.
            expect(live.delete(call.topic)).toBe(true);
          }
        }
        expect(live.size).toBe(0);
        expect(service.live.size).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });

  it("random sequences over real sockets release everything when clients leave", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 12 }), async (operations) => {
        const clients = await Promise.all([connect(), connect(), connect()]);
        for (const op of operations) {
          const client = clients[op.client % clients.length]!;
          if (client.socket.readyState !== client.socket.OPEN) continue;
          if (op.action === "disconnect") client.socket.terminate();
          else await client.request(`bars.${op.action}`, { symbol: op.symbol });
        }
        for (const client of clients) client.socket.terminate();
        await eventually(() => running.app.stats().modules.datafeed!.connections === 0 && barStats().topics === 0, 2_000, "all released");
        await eventually(() => bars.count("create") === bars.count("remove") + bars.count("failed"), 2_000, "balanced create/remove");
      }),
      { numRuns: 100 },
    );
  });
});
