/**
 * Per-connection limits: the subscription cap answers status "error" and
 * keeps the connection; the frame-rate limit closes with 1008; both counted.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TokenBucket } from "../packages/wsgen/src/runtime/token-bucket.js";
import { BarWsRouter, RecordingService, type Bar, type BarSubscriptionRequest } from "./support/fixtures.js";
import { TestClient } from "./support/client.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

let running: RunningApp | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe("subscription limit", () => {
  it("refuses a subscription past maxSubscriptionsPerConnection with an error response and keeps the connection", async () => {
    const service = new RecordingService<BarSubscriptionRequest, Bar>();
    running = await startApp({
      modules: [{ name: "datafeed", routes: [new BarWsRouter({ route: "bars", service })] }],
      maxSubscriptionsPerConnection: 2,
    });
    const client = await TestClient.connect(running.wsUrl("datafeed"));
    expect((await client.subscribe("bars", { symbol: "A" })).payload.status).toBe("ok");
    expect((await client.subscribe("bars", { symbol: "B" })).payload.status).toBe("ok");
    const third = await client.subscribe("bars", { symbol: "C" });
    expect(third.payload).toMatchObject({ status: "error", topic: 'bars:{"resolution":"1D","symbol":"C"}' });
    expect(third.payload.message).toMatch(/subscription limit reached: at most 2 per connection/);
    // Renewing a held subscription is not a new one; freeing one makes room.
    expect((await client.subscribe("bars", { symbol: "A" })).payload.status).toBe("ok");
    await client.unsubscribe("bars", { symbol: "A" });
    expect((await client.subscribe("bars", { symbol: "C" })).payload.status).toBe("ok");
    expect(service.count("create", 'bars:{"resolution":"1D","symbol":"C"}')).toBe(1);
    expect(running.app.stats().modules.datafeed?.subscriptionsRefused).toBe(1);
    // Another connection has its own allowance.
    const other = await TestClient.connect(running.wsUrl("datafeed"));
    expect((await other.subscribe("bars", { symbol: "Z" })).payload.status).toBe("ok");
  });

  it("defaults to 100 per connection", async () => {
    running = await startApp({
      modules: [{ name: "datafeed", routes: [new BarWsRouter({ route: "bars", service: new RecordingService() })] }],
    });
    const client = await TestClient.connect(running.wsUrl("datafeed"));
    const replies = await Promise.all(Array.from({ length: 101 }, (_, i) => client.subscribe("bars", { symbol: `S${i}` })));
    expect(replies.filter((reply) => reply.payload.status === "ok")).toHaveLength(100);
    expect(replies[100]!.payload.status).toBe("error");
  });
});

describe("frame-rate limit", () => {
  it("closes a connection that sends faster than the token bucket allows with 1008, and leaves others alone", async () => {
    const service = new RecordingService<BarSubscriptionRequest, Bar>();
    running = await startApp({
      modules: [{ name: "datafeed", routes: [new BarWsRouter({ route: "bars", service })] }],
      rateLimit: { perSecond: 10, burst: 20 },
    });
    const flooder = await TestClient.connect(running.wsUrl("datafeed"));
    const calm = await TestClient.connect(running.wsUrl("datafeed"));
    await flooder.subscribe("bars", { symbol: "AAPL" });
    for (let i = 0; i < 50; i++) flooder.send({ type: "ping" });
    expect(await flooder.closed).toEqual({ code: 1008, reason: "rate limit exceeded" });
    expect(await calm.request("ping")).toMatchObject({ type: "pong" });
    expect(running.app.stats().modules.datafeed?.rateLimitCloses).toBe(1);
    // Its subscription is released like on any other close.
    await eventually(() => running!.app.stats().modules.datafeed!.routes.bars!.topics === 0, 2_000, "released");
    expect(service.count("remove")).toBe(1);
  });

  it("refills over time", () => {
    let now = 0;
    const bucket = new TokenBucket({ perSecond: 2, burst: 2 }, () => now);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
    now = 500;
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now = 10_000;
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
  });
});

describe("operations waiting for an answer", () => {
  // Subscribes run one at a time per connection; behind an authorize that hangs, every later frame would be held
  // with its payload: 1,500 frames of 16 KiB are 24 MB for one connection. maxQueuedOperations bounds it.
  it("closes a connection with 1008 once more than maxQueuedOperations wait behind a hanging authorize", async () => {
    let asked = 0;
    const route = new BarWsRouter({
      route: "bars",
      service: new RecordingService(),
      authorize: () => {
        asked += 1;
        return new Promise<boolean>(() => undefined);
      },
    });
    running = await startApp({ modules: [{ name: "datafeed", routes: [route] }] });
    const client = await TestClient.connect(running.wsUrl("datafeed"));
    const pad = "x".repeat(16 * 1024);
    for (let i = 0; i < 1_500; i++) client.send({ type: "bars.subscribe", id: `s${i}`, payload: { symbol: "A", pad } });
    expect(await client.closed).toEqual({ code: 1008, reason: "too many operations waiting for an answer" });
    expect(asked).toBe(1);
    expect(running.app.stats().modules.datafeed?.queueLimitCloses).toBe(1);
  }, 20_000);
});
