/**
 * `/metrics` on the example, and the churn test: hundreds of clients
 * connect, subscribe to overlapping topics and drop abruptly (terminate, not
 * close) in parallel; afterwards nothing is left.
 */
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTradingApp, type TradingApp } from "../examples/trading/src/app.js";
import { TestClient } from "./support/client.js";
import { eventually } from "./support/server.js";

let app: TradingApp;
let base: string;
beforeAll(async () => {
  app = createTradingApp({ tickMs: 5, lingerMs: 0 }); // producers stop as the last subscriber leaves, so the churn test sees them go
  await new Promise<void>((resolve) => app.server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(() => app.close());

/**
 * `name{module="m"} value` lines of the exposition, as a number per module
 * (`name:m`); a second label's value is appended (`name:m:reason`, `name_bucket:m:+Inf`).
 */
async function scrape(): Promise<Record<string, number>> {
  const response = await fetch(`${base}/metrics`);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const values: Record<string, number> = {};
  for (const line of (await response.text()).split("\n")) {
    const match = /^(wsgen_[a-z_]+)\{module="([a-z]+)"(?:,[a-z]+="([^"]+)")?\} (\d+(?:\.\d+)?(?:e[-+]?\d+)?)$/.exec(line);
    if (match !== null) values[[match[1], match[2], match[3]].filter((part) => part !== undefined).join(":")] = Number(match[4]);
  }
  return values;
}

describe("/metrics", () => {
  it("counts recoveries, replayed updates and the history's bytes", async () => {
    const url = `${base.replace("http", "ws")}/api/v1/datafeed/ws`;
    const request = { symbol: "MSFT", resolution: "1D" };
    const keeper = await TestClient.connect(url); // holds the topic, so its stream goes on while the other is away
    const back = await TestClient.connect(url);
    try {
      await keeper.subscribe("bars", request);
      const leaver = await TestClient.connect(url);
      await leaver.subscribe("bars", request);
      const { seq, epoch } = (await leaver.next((frame) => frame.type === "bars.update")).payload as { seq: number; epoch: string };
      await leaver.close();
      await keeper.next((frame) => frame.type === "bars.update" && (frame.payload as { seq: number }).seq >= seq + 2);
      expect((await back.subscribeSince("bars", request, { epoch, seq })).payload).toMatchObject({ status: "ok", recovered: true });
      const values = await scrape();
      expect(values["wsgen_recoveries_total:datafeed"]).toBeGreaterThanOrEqual(1);
      expect(values["wsgen_updates_replayed_total:datafeed"]).toBeGreaterThanOrEqual(2);
      expect(values["wsgen_recoveries_failed_total:datafeed:epoch"]).toBe(0);
      expect(values["wsgen_replay_size_updates_count:datafeed"]).toBeGreaterThanOrEqual(1);
      expect(values["wsgen_history_bytes:datafeed"]).toBeGreaterThan(0);
      // A since from another stream: not recovered, counted by its reason.
      const other = { symbol: "NVDA", resolution: "1D" };
      expect((await back.subscribeSince("bars", other, { epoch: "gone", seq: 3 })).payload).toMatchObject({
        recovered: false,
        reason: "epoch",
      });
      expect((await scrape())["wsgen_recoveries_failed_total:datafeed:epoch"]).toBe(1);
    } finally {
      await Promise.all([keeper.close(), back.close()]);
      await eventually(() => app.ws.stats().modules.datafeed?.connections === 0);
    }
  });

  it("exposes the wsgen gauges and counters per module in Prometheus text format", async () => {
    const client = await TestClient.connect(`${base.replace("http", "ws")}/api/v1/datafeed/ws`);
    await client.subscribe("bars", { symbol: "AAPL", resolution: "1D" });
    await client.next((frame) => frame.type === "bars.update");
    client.send("not json");
    await client.next((frame) => frame.type === "error");
    const values = await scrape();
    expect(values["wsgen_connections:datafeed"]).toBe(1);
    expect(values["wsgen_topics:datafeed"]).toBe(1);
    expect(values["wsgen_subscriptions:datafeed"]).toBe(1);
    expect(values["wsgen_messages_sent_total:datafeed"]).toBeGreaterThanOrEqual(3);
    expect(values["wsgen_invalid_frames_total:datafeed"]).toBe(1);
    for (const name of [
      "wsgen_updates_dropped_total",
      "wsgen_slow_consumer_closes_total",
      "wsgen_connections",
      "wsgen_lagging_subscribers",
      "wsgen_lag_episodes_total",
      "wsgen_updates_conflated_total",
      "wsgen_updates_skipped_total",
      "wsgen_updates_caught_up_total",
      "wsgen_delivery_lag_seconds_count",
      "wsgen_delivery_lag_seconds_bucket:broker:+Inf",
    ]) {
      expect(values).toHaveProperty(name.includes(":") ? name : `${name}:broker`);
    }
    client.socket.terminate();
    await eventually(() => app.ws.stats().modules.datafeed!.connections === 0, 2_000, "client gone");
  });
});

describe("churn", () => {
  it("leaves zero connections, topics and subscriptions after hundreds of clients drop abruptly", async () => {
    const symbols = ["AAPL", "MSFT", "NVDA", "TSLA", "IBM"];
    const clients = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const module = i % 3 === 0 ? "broker" : "datafeed";
        const client = await TestClient.connect(`${base.replace("http", "ws")}/api/v1/${module}/ws`);
        if (module === "broker") {
          await client.subscribe("orders", { accountId: `ACC-${i % 7}` });
        } else {
          await client.subscribe("bars", { symbol: symbols[i % symbols.length], resolution: "1D" });
          await client.subscribe("quotes", { symbols: [symbols[i % symbols.length]!, symbols[(i + 1) % symbols.length]!] });
        }
        return client;
      }),
    );
    const during = await scrape();
    expect(during["wsgen_connections:datafeed"]! + during["wsgen_connections:broker"]!).toBe(300);
    expect(during["wsgen_topics:datafeed"]).toBe(10);
    expect(app.datafeed.activeTopics).toBe(10);
    // Everyone drops at once, without a close handshake.
    for (const client of clients) client.socket.terminate();
    await eventually(
      () => app.ws.stats().modules.datafeed!.connections + app.ws.stats().modules.broker!.connections === 0,
      10_000,
      "all connections gone",
    );
    const after = await scrape();
    for (const module of ["datafeed", "broker"]) {
      expect(after[`wsgen_connections:${module}`]).toBe(0);
      expect(after[`wsgen_topics:${module}`]).toBe(0);
      expect(after[`wsgen_subscriptions:${module}`]).toBe(0);
    }
    expect(app.datafeed.activeTopics).toBe(0);
    expect(app.broker.orders.size).toBe(0);
  }, 60_000);
});
