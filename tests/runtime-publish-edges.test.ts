/**
 * route.publish and LiveTopics.publishTo at their edges, each found by an
 * adversarial review: a topic whose subscribers left while it was being
 * created, a closed app, a schema that transforms its request, data JSON
 * cannot serialize, the shape counter, a service's own `bind`, and a
 * LiveTopics reused across an app restart.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { LiveTopics } from "wsgen";
import { TestClient } from "./support/client.js";
import { Bar, BarSubscriptionRequest, BarWsRouter, RecordingService, bar, routeClass } from "./support/fixtures.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

let running: RunningApp | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const tick = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

describe("route.publish", () => {
  it("answers not_live for a topic whose createTopic is still running but whose only subscriber already left", async () => {
    const service = new RecordingService<BarSubscriptionRequest, Bar>();
    let release!: () => void;
    service.createBehaviour = () => new Promise<void>((resolve) => (release = resolve));
    const route = new BarWsRouter({ route: "bars", service });
    running = await startApp({ modules: [{ name: "datafeed", routes: [route] }], heartbeatInterval: 0 });
    const client = await TestClient.connect(running.wsUrl("datafeed"));
    void client.subscribe("bars", { symbol: "AAPL" }).catch(() => undefined);
    await eventually(() => service.calls.length === 1, 2_000, "createTopic");
    void client.close();
    await eventually(() => running!.app.stats().modules.datafeed!.routes.bars!.subscriptions === 0, 2_000, "the subscriber gone");
    // Nobody subscribes any more: the docs say not_live ("nothing is kept").
    const result = await route.publish({ symbol: "AAPL", resolution: "1D" }, bar(1));
    release();
    expect(result).toEqual({ status: "not_live" });
  });

  it("does not answer accepted after app.close() for a topic whose createTopic outlived the close timeout", async () => {
    const service = new RecordingService<BarSubscriptionRequest, Bar>();
    let release!: () => void;
    service.createBehaviour = () => new Promise<void>((resolve) => (release = resolve));
    const route = new BarWsRouter({ route: "bars", service });
    running = await startApp({ modules: [{ name: "datafeed", routes: [route] }], heartbeatInterval: 0, closeTimeout: 20 });
    const client = await TestClient.connect(running.wsUrl("datafeed"));
    void client.subscribe("bars", { symbol: "AAPL" }).catch(() => undefined);
    await eventually(() => service.calls.length === 1, 2_000, "createTopic");
    await running.app.close();
    // The route is shut down and its update queue closed: the update can go nowhere.
    const result = await route.publish({ symbol: "AAPL", resolution: "1D" }, bar(1));
    release();
    expect(result).toEqual({ status: "not_live" });
  });

  it("accepts the request a service was handed in createTopic (the Req type) for a request schema with a transform", async () => {
    const Request = z.object({ ids: z.string().transform((s) => s.split(",")) });
    type Request = z.output<typeof Request>;
    const Route = routeClass(Request, Bar, "IdsRequest", "Bar");
    const service = new RecordingService<Request, Bar>();
    const route = new Route({ route: "baskets", service });
    running = await startApp({ modules: [{ name: "datafeed", routes: [route] }], heartbeatInterval: 0 });
    const client = await TestClient.connect(running.wsUrl("datafeed"));
    await client.subscribe("baskets", { ids: "a,b" });
    const request = [...service.contexts.values()][0]!.request; // { ids: ["a", "b"] }, typed Request
    await expect(route.publish(request, bar(1))).resolves.toEqual({ status: "accepted" });
  });

  it("answers its caller, never onError, for data that cannot be serialized (docs/bad-input.md)", async () => {
    const Data = z.object({ value: z.unknown() });
    const Route = routeClass(BarSubscriptionRequest, Data, "BarSubscriptionRequest", "Anything");
    const service = new LiveTopics<BarSubscriptionRequest, z.output<typeof Data>>();
    const route = new Route({ route: "things", service });
    const errors: unknown[] = [];
    running = await startApp({
      modules: [{ name: "datafeed", routes: [route] }],
      heartbeatInterval: 0,
      onError: (error) => errors.push(error),
    });
    const client = await TestClient.connect(running.wsUrl("datafeed"));
    await client.subscribe("things", { symbol: "AAPL" });
    const answer = await route.publish({ symbol: "AAPL", resolution: "1D" }, { value: 1n }).then(
      (result) => result,
      (error: unknown) => error,
    );
    await tick();
    // Accepted, then dropped at fan-out and passed to onError instead.
    expect(errors).toEqual([]);
    expect(answer).toMatchObject({ code: "ERR_INVALID_UPDATE" });
  });

  it("does not count a server-side publish over the shape limits as a client's request (requestsOverShapeLimits)", async () => {
    const service = new LiveTopics<BarSubscriptionRequest, Bar>();
    const route = new BarWsRouter({ route: "bars", service });
    running = await startApp({ modules: [{ name: "datafeed", routes: [route] }], heartbeatInterval: 0 });
    let deep: Record<string, unknown> = { symbol: "AAPL" };
    for (let i = 0; i < 40; i++) deep = { nested: deep, symbol: "AAPL" };
    await expect(route.publish(deep as BarSubscriptionRequest, bar(1))).rejects.toMatchObject({ code: "ERR_INVALID_REQUEST" });
    expect(running.app.stats().modules.datafeed!.routes.bars!.requestsOverShapeLimits).toBe(0);
  });
});

describe("bindRoute / LiveTopics.publishTo", () => {
  it("does not call a service's own, unrelated bind method", () => {
    class Feed extends RecordingService<BarSubscriptionRequest, Bar> {
      readonly bound: unknown[] = [];
      /** Binds the feed's UDP socket to a port: nothing to do with wsgen. */
      bind(port: unknown): void {
        if (typeof port !== "number") throw new TypeError("port must be a number");
        this.bound.push(port);
      }
    }
    const feed = new Feed();
    // A service with a method of its own named bind: wsgen calls only bindRoute.
    expect(() => new BarWsRouter({ route: "bars", service: feed })).not.toThrow();
  });

  it("publishes through the new router after the app that had the old one closed (same LiveTopics)", async () => {
    const service = new LiveTopics<BarSubscriptionRequest, Bar>();
    const first = await startApp({
      modules: [{ name: "datafeed", routes: [new BarWsRouter({ route: "bars", service })] }],
      heartbeatInterval: 0,
    });
    await first.stop();
    running = await startApp({
      modules: [{ name: "datafeed", routes: [new BarWsRouter({ route: "bars", service })] }],
      heartbeatInterval: 0,
    });
    const client = await TestClient.connect(running.wsUrl("datafeed"));
    await client.subscribe("bars", { symbol: "AAPL" });
    await expect(service.publishTo({ symbol: "AAPL", resolution: "1D" }, bar(1))).resolves.toEqual({ status: "accepted" });
  });
});
