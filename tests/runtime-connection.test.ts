/**
 * Connection lifecycle rules: heartbeat, lifespan, and graceful close of the
 * whole app (also while an upgrade is still authenticating). Slow consumers
 * are in runtime-slow-consumer.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  BarWsRouter,
  OrderWsRouter,
  RecordingService,
  type Bar,
  type BarSubscriptionRequest,
  type OrderSubscriptionRequest,
  type PlacedOrder,
} from "./support/fixtures.js";
import { TestClient } from "./support/client.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

let running: RunningApp | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe("heartbeat", () => {
  it("terminates a client that stops answering pings and keeps a silent one that pongs", async () => {
    running = await startApp({
      modules: [{ name: "datafeed", routes: [new BarWsRouter({ route: "bars", service: new RecordingService() })] }],
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
      modules: [{ name: "datafeed", routes: [new BarWsRouter({ route: "bars", service })] }],
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
        { name: "datafeed", routes: [new BarWsRouter({ route: "bars", service: bars })] },
        { name: "broker", routes: [new OrderWsRouter({ route: "orders", service: orders })] },
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

  it("finishes close() when an upgrade was still authenticating, and refuses that upgrade", async () => {
    let authenticating!: () => void;
    const authStarted = new Promise<void>((resolve) => (authenticating = resolve));
    running = await startApp({
      modules: [{ name: "datafeed", routes: [new BarWsRouter({ route: "bars", service: new RecordingService() })] }],
      authenticate: () => {
        authenticating();
        return new Promise((resolve) => setTimeout(() => resolve({ user: "late" }), 50));
      },
    });
    const late = TestClient.connect(running.wsUrl("datafeed")).then(
      () => "opened",
      (error: Error) => error.message,
    );
    // close() starts while authenticate is pending: right after it was called, well inside its 50 ms.
    await authStarted;
    await running.app.close();
    expect(await late).toMatch(/HTTP 503/);
  });
});
