/**
 * Connection lifecycle rules: heartbeat, lifespan, slow consumers, and
 * graceful close of the whole app.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  BarWsRouter,
  OrderWsRouter,
  RecordingService,
  type Bar,
  type BarSubscriptionRequest,
  type OrderSubscriptionRequest,
  type PlacedOrder,
  routeClass,
} from "./support/fixtures.js";
import { TestClient } from "./support/client.js";
import { rawConnect } from "./support/raw-client.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

let running: RunningApp | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe("heartbeat", () => {
  it("terminates a client that stops answering pings and keeps a silent one that pongs", async () => {
    running = await startApp({
      modules: [{ name: "datafeed", routers: [new BarWsRouter({ route: "bars", service: new RecordingService() })] }],
      heartbeatInterval: 40,
    });
    const silentButPonging = await TestClient.connect(running.wsUrl("datafeed"));
    const deaf = await TestClient.connect(running.wsUrl("datafeed"), { autoPong: false });
    let pings = 0;
    silentButPonging.socket.on("ping", () => (pings += 1));

    const { code } = await deaf.closed;
    expect(code).toBe(1006); // terminated, no close handshake
    expect(running.app.stats().modules.datafeed?.heartbeatTerminations).toBe(1);
    // The ponging client outlives several more heartbeats without sending a frame.
    const seen = pings;
    await eventually(() => pings >= seen + 4, 3_000, "more pings");
    expect(silentButPonging.socket.readyState).toBe(silentButPonging.socket.OPEN);
    expect(running.app.stats().modules.datafeed?.connections).toBe(1);
  });
});

describe("max connection lifespan", () => {
  it("closes a connection older than maxConnectionLifespan with 4000 and releases its topics", async () => {
    const service = new RecordingService<BarSubscriptionRequest, Bar>();
    running = await startApp({
      modules: [{ name: "datafeed", routers: [new BarWsRouter({ route: "bars", service })] }],
      maxConnectionLifespan: 150,
    });
    const client = await TestClient.connect(running.wsUrl("datafeed"));
    await client.subscribe("bars", { symbol: "AAPL" });
    expect(await client.closed).toEqual({ code: 4000, reason: "max connection lifespan" });
    await eventually(() => service.count("remove") === 1, 2_000, "removeTopic");
  });
});

describe("close()", () => {
  it("closes every client with 1001 and calls removeTopic for every live topic, once", async () => {
    const bars = new RecordingService<BarSubscriptionRequest, Bar>();
    const orders = new RecordingService<OrderSubscriptionRequest, PlacedOrder>();
    running = await startApp({
      modules: [
        { name: "datafeed", routers: [new BarWsRouter({ route: "bars", service: bars })] },
        { name: "broker", routers: [new OrderWsRouter({ route: "orders", service: orders })] },
      ],
    });
    const a = await TestClient.connect(running.wsUrl("datafeed"));
    const b = await TestClient.connect(running.wsUrl("broker"));
    await a.subscribe("bars", { symbol: "AAPL" });
    await a.subscribe("bars", { symbol: "MSFT" });
    await b.subscribe("orders", { accountId: "A1" });

    await running.app.close();
    expect((await a.closed).code).toBe(1001);
    expect((await b.closed).code).toBe(1001);
    expect(bars.count("remove")).toBe(2);
    expect(orders.count("remove")).toBe(1);
    expect(bars.live.size + orders.live.size).toBe(0);
    // The server is handed back as it was: no wsgen listener left on it.
    expect(running.server.listenerCount("upgrade")).toBe(0);
    expect(running.server.listenerCount("request")).toBe(0);
  });
});

const Blob = z.object({ seq: z.number(), blob: z.string() });
type Blob = z.infer<typeof Blob>;
const BlobRequest = z.object({ name: z.string() });
type BlobRequest = z.infer<typeof BlobRequest>;
const BlobWsRouter = routeClass(BlobRequest, Blob, "BlobRequest", "Blob");

describe("slow consumers", () => {
  async function floodWithOneStalledClient(policy: "close" | "drop") {
    const service = new RecordingService<BlobRequest, Blob>();
    running = await startApp({
      modules: [{ name: "feed", routers: [new BlobWsRouter({ route: "blobs", service, validateUpdates: false })] }],
      highWaterMark: 256 * 1024,
      slowConsumer: policy,
    });
    const healthy = await TestClient.connect(running.wsUrl("feed"));
    await healthy.subscribe("blobs", { name: "x" });
    const stalled = await rawConnect(running.port, "/api/v1/feed/ws");
    stalled.sendText(JSON.stringify({ type: "blobs.subscribe", payload: { name: "x" } }));
    await eventually(() => running!.app.stats().modules.feed!.routes.blobs!.subscriptions === 2, 2_000, "stalled subscribed");
    stalled.socket.pause(); // never read again: the kernel buffers fill, then ws's.

    const stats = () => running!.app.stats().modules.feed!;
    const blob = "x".repeat(32 * 1024);
    let seq = 0;
    let received = 0;
    healthy.socket.on("message", () => (received += 1));
    // Publish in bursts, letting the healthy client keep up, until the policy triggers.
    await eventually(
      () => {
        for (let i = 0; i < 20; i++) service.publish('blobs:{"name":"x"}', { seq: ++seq, blob });
        return policy === "close" ? stats().slowConsumerCloses > 0 : stats().framesDropped > 0;
      },
      10_000,
      `slow consumer ${policy}`,
    );
    await eventually(() => received >= seq, 5_000, "healthy client received everything");
    return { stats: stats(), healthy, stalled, seq, received };
  }

  it("closes a client whose send buffer passes the high-water mark with 1013, counted, while others keep receiving", async () => {
    const { stats, received, seq, stalled } = await floodWithOneStalledClient("close");
    expect(stats.slowConsumerCloses).toBe(1);
    expect(received).toBe(seq);
    stalled.socket.destroy();
    await eventually(() => running!.app.stats().modules.feed!.connections === 1, 6_000, "slow consumer gone");
  });

  it("drops frames for a slow client instead, by option, keeping it connected", async () => {
    const { stats, received, seq, stalled } = await floodWithOneStalledClient("drop");
    expect(stats.framesDropped).toBeGreaterThan(0);
    expect(stats.slowConsumerCloses).toBe(0);
    expect(stats.connections).toBe(2);
    expect(received).toBe(seq);
    stalled.socket.destroy();
  });
});
