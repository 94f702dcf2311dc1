/**
 * Fan-out: an update reaches exactly its topic's holders, across routes and
 * modules; a drained batch becomes one write per holder, in order, held for
 * batchWindowMs on a busy route; and one update that cannot be serialized
 * does not take the rest of its drain down with it (route.ts #fanOut,
 * fan-out.ts, update-queue.ts drain).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  RecordingService,
  bar,
  routeClass,
  type Bar,
  type BarSubscriptionRequest,
  type OrderSubscriptionRequest,
  type PlacedOrder,
} from "./support/fixtures.js";
import { TestClient } from "./support/client.js";
import { startMarketApp } from "./support/market-app.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

const AAPL = 'bars:{"resolution":"1D","symbol":"AAPL"}';
const Room = z.object({ room: z.string() });

describe("fan-out", () => {
  let running: RunningApp;
  let bars: RecordingService<BarSubscriptionRequest, Bar>;
  let orders: RecordingService<OrderSubscriptionRequest, PlacedOrder>;
  const reported: unknown[] = [];
  beforeEach(async () => {
    ({ running, bars, orders } = await startMarketApp(reported));
  });
  afterEach(() => running.stop());
  const connect = (module = "datafeed"): Promise<TestClient> => TestClient.connect(running.wsUrl(module));
  const barStats = () => running.app.stats().modules.datafeed!.routes.bars!;

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

    // Each topic is its own stream: both first updates are seq 1.
    const epoch = expect.any(String) as string;
    expect((await aapl.next((f) => f.type === "bars.update")).payload).toEqual({ topic: AAPL, payload: bar(1), seq: 1, epoch });
    expect((await msft.next((f) => f.type === "bars.update")).payload).toEqual({ topic: msftTopic, payload: bar(2), seq: 1, epoch });
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

describe("batched fan-out over real sockets", () => {
  const Line = z.object({ seq: z.number(), text: z.string() });
  const LineWsRouter = routeClass(Room, Line, "Room", "Line");
  let running: RunningApp | undefined;
  afterEach(() => running?.stop());

  it("keeps each holder's order across interleaved topics and large updates, and reaches only holders", async () => {
    const service = new RecordingService<z.infer<typeof Room>, z.infer<typeof Line>>();
    const router = new LineWsRouter({ route: "lines", service });
    running = await startApp({ modules: [{ name: "chat", routes: [router] }] });
    const both = await TestClient.connect(running.wsUrl("chat"));
    const onlyB = await TestClient.connect(running.wsUrl("chat"));
    const a = (await both.subscribe("lines", { room: "a" })).payload.topic as string;
    const b = (await both.subscribe("lines", { room: "b" })).payload.topic as string;
    await onlyB.subscribe("lines", { room: "b" });

    // One synchronous burst: runs of a, then b, then a again, with a 70 KB line in the middle.
    const published: { topic: string; seq: number }[] = [];
    const publish = (topic: string, seq: number, text = `line ${seq}`): void => {
      published.push({ topic, seq });
      service.publish(topic, { seq, text });
    };
    for (let seq = 1; seq <= 3; seq++) publish(a, seq);
    publish(b, 4, "€".repeat(70_000));
    publish(b, 5);
    for (let seq = 6; seq <= 8; seq++) publish(a, seq);

    type LineUpdate = { topic: string; payload: { seq: number; text: string } };
    const updates = (client: TestClient): LineUpdate[] =>
      client.frames.filter((frame) => frame.type === "lines.update").map((frame) => frame.payload as LineUpdate);
    await eventually(() => updates(both).length === 8 && updates(onlyB).length === 2, 5_000, "every update");
    expect(updates(both).map((update) => [update.topic, update.payload.seq])).toEqual(published.map(({ topic, seq }) => [topic, seq]));
    expect(updates(onlyB).map((update) => update.payload.seq)).toEqual([4, 5]);
    expect(updates(onlyB)[0]!.payload.text).toBe("€".repeat(70_000));
    // The route counts frames, not writes; the endpoint agrees.
    expect(router.stats()).toMatchObject({ updatesPublished: 8, framesSent: 10 });
    // Responses and updates share the socket: a ping after the burst is answered after it.
    expect(await both.request("ping")).toMatchObject({ type: "pong" });
  });

  it("holds a busy route's updates for batchWindowMs and sends them together; a quiet route's first update goes at once", async () => {
    const service = new RecordingService<z.infer<typeof Room>, z.infer<typeof Line>>();
    running = await startApp({ modules: [{ name: "chat", routes: [new LineWsRouter({ route: "lines", service, batchWindowMs: 60 })] }] });
    const client = await TestClient.connect(running.wsUrl("chat"));
    const topic = (await client.subscribe("lines", { room: "a" })).payload.topic as string;
    const arrivals = new Map<number, number>();
    client.socket.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string; payload: { payload: { seq: number } } };
      if (frame.type === "lines.update") arrivals.set(frame.payload.payload.seq, performance.now());
    });
    const sentAt = performance.now();
    service.publish(topic, { seq: 1, text: "first" });
    await eventually(() => arrivals.has(1), 2_000, "the first update");
    service.publish(topic, { seq: 2, text: "held" });
    service.publish(topic, { seq: 3, text: "held" });
    await eventually(() => arrivals.has(3), 2_000, "the held updates");
    // Lower bounds only, with slack: a loaded machine delays timers, and libuv may fire one about 1 ms early.
    expect(arrivals.get(2)! - sentAt).toBeGreaterThanOrEqual(55);
    expect(arrivals.get(3)! - arrivals.get(2)!).toBeLessThan(55);
    expect([...arrivals.keys()]).toEqual([1, 2, 3]);
  });
});

describe("a drained batch", () => {
  let running: RunningApp | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it("still delivers the other updates when one update of the batch cannot be serialized", async () => {
    const Line = z.object({ seq: z.number(), extra: z.unknown().optional() });
    const LineWsRouter = routeClass(Room, Line, "Room", "Line");
    const service = new RecordingService<z.infer<typeof Room>, z.infer<typeof Line>>();
    const errors: unknown[] = [];
    running = await startApp({
      modules: [{ name: "chat", routes: [new LineWsRouter({ route: "lines", service })] }],
      onError: (error) => errors.push(error),
    });
    const client = await TestClient.connect(running.wsUrl("chat"));
    const a = (await client.subscribe("lines", { room: "a" })).payload.topic as string;
    const b = (await client.subscribe("lines", { room: "b" })).payload.topic as string;

    // One synchronous burst, so one drain: the BigInt makes JSON.stringify throw for seq 2 only.
    service.publish(a, { seq: 1 });
    service.publish(a, { seq: 2, extra: 1n });
    service.publish(b, { seq: 3 });
    service.publish(a, { seq: 4 });

    await eventually(() => errors.length > 0, 2_000, "the serialization error to be reported");
    const seqs = (): number[] =>
      client.frames
        .filter((frame) => frame.type === "lines.update")
        .map((frame) => (frame.payload as { payload: { seq: number } }).payload.seq);
    await eventually(() => seqs().length >= 3, 2_000, `updates 1, 3 and 4 (got ${JSON.stringify(seqs())})`);
    expect(seqs()).toEqual([1, 3, 4]);
    expect(String(errors[0])).toMatch(/could not be serialized/);
    expect(running.app.stats().modules.chat!.routes.lines).toMatchObject({ updatesPublished: 3, updatesInvalid: 1, framesSent: 3 });
  });
});
