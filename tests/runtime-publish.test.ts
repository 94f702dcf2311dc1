/**
 * Publishing from outside any socket handler, by request: `route.publish`
 * and `LiveTopics.publishTo` reach the one topic a request names (built as a
 * subscribe's is: parsed, defaults applied), answer whether anybody
 * subscribes to it, and refuse a bad request or bad data with a code.
 */
import { afterEach, describe, expect, it } from "vitest";
import { LiveTopics } from "wsgen";
import { TestClient } from "./support/client.js";
import { Bar, BarSubscriptionRequest, BarWsRouter, bar } from "./support/fixtures.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

let running: RunningApp | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function withBars(options: { lingerMs?: number } = {}) {
  const service = new LiveTopics<BarSubscriptionRequest, Bar>();
  const route = new BarWsRouter({ route: "bars", service, ...options });
  running = await startApp({ modules: [{ name: "datafeed", routes: [route] }], heartbeatInterval: 0 });
  const client = await TestClient.connect(running.wsUrl("datafeed"));
  return { service, route, client };
}

const updates = (client: TestClient): number[] =>
  client.frames.filter((frame) => frame.type === "bars.update").map((frame) => frame.payload.payload.close as number);

describe("route.publish", () => {
  it("reaches the subscribers of the topic a request names, its defaults applied, and no other", async () => {
    const { route, client } = await withBars();
    await client.subscribe("bars", { symbol: "AAPL" }); // resolution defaults to 1D
    const other = await TestClient.connect(running!.wsUrl("datafeed"));
    await other.subscribe("bars", { symbol: "MSFT" });
    // The request as a caller writes it, without the default: the same topic.
    expect(await route.publish({ symbol: "AAPL" } as BarSubscriptionRequest, bar(1))).toEqual({ status: "accepted" });
    expect(await route.publish({ symbol: "AAPL", resolution: "1D" }, bar(2))).toEqual({ status: "accepted" });
    await eventually(() => updates(client).length === 2, 2_000, "both updates");
    expect(updates(client)).toEqual([1, 2]);
    expect(updates(other)).toEqual([]);
  });

  it("answers not_live for a topic nobody subscribes to, and keeps nothing for it", async () => {
    const { route, client } = await withBars();
    expect(await route.publish({ symbol: "NVDA", resolution: "1D" }, bar(1))).toEqual({ status: "not_live" });
    await client.subscribe("bars", { symbol: "NVDA" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(updates(client)).toEqual([]);
  });

  it("accepts while the topic lingers after its last subscriber left, so one who comes back recovers it", async () => {
    const { route, client } = await withBars({ lingerMs: 5_000 });
    const response = await client.subscribe("bars", { symbol: "IBM" });
    const { epoch } = response.payload as { epoch: string };
    await client.unsubscribe("bars", { symbol: "IBM" });
    expect(await route.publish({ symbol: "IBM", resolution: "1D" }, bar(7))).toEqual({ status: "accepted" });
    await eventually(() => running!.app.stats().modules.datafeed!.routes.bars!.updatesPublished === 1, 2_000, "recorded");
    const back = await client.subscribeSince("bars", { symbol: "IBM" }, { epoch, seq: 0 });
    expect(back.payload).toMatchObject({ status: "ok", recovered: true });
    await eventually(() => updates(client).length === 1, 2_000, "the replayed update");
    expect(updates(client)).toEqual([7]);
  });

  it("refuses a request that names no topic (ERR_INVALID_REQUEST) and data that is not the model (ERR_INVALID_UPDATE)", async () => {
    const { route } = await withBars();
    await expect(route.publish({ symbol: "" } as BarSubscriptionRequest, bar(1))).rejects.toMatchObject({ code: "ERR_INVALID_REQUEST" });
    await expect(route.publish({ symbol: "AAPL", resolution: "1D" }, { close: "high" } as unknown as Bar)).rejects.toMatchObject({
      code: "ERR_INVALID_UPDATE",
    });
  });
});

describe("LiveTopics.publishTo", () => {
  it("publishes through the route it was given", async () => {
    const { service, client } = await withBars();
    await client.subscribe("bars", { symbol: "TSLA" });
    expect(await service.publishTo({ symbol: "TSLA", resolution: "1D" }, bar(3))).toEqual({ status: "accepted" });
    await eventually(() => updates(client).length === 1, 2_000, "the update");
  });

  it("refuses with ERR_NOT_BOUND before it was given to a router, and when it serves several routes", async () => {
    const service = new LiveTopics<BarSubscriptionRequest, Bar>();
    await expect(service.publishTo({ symbol: "AAPL", resolution: "1D" }, bar(1))).rejects.toMatchObject({ code: "ERR_NOT_BOUND" });
    new BarWsRouter({ route: "bars", service });
    new BarWsRouter({ route: "bars", service });
    await expect(service.publishTo({ symbol: "AAPL", resolution: "1D" }, bar(1))).rejects.toMatchObject({
      code: "ERR_NOT_BOUND",
      message: expect.stringContaining("several routes"),
    });
  });
});
