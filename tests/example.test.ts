/**
 * The trading example end to end over real sockets: bars with the exact
 * topic string, orders placed over HTTP arriving on orders.update, shared
 * topics, and cleanup on disconnect.
 */
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bar, Quote } from "../examples/trading/src/models/datafeed.js";
import { Execution, PlacedOrder, Position } from "../examples/trading/src/models/broker.js";
import { createTradingApp, type TradingApp } from "../examples/trading/src/app.js";
import { TestClient } from "./support/client.js";
import { eventually } from "./support/server.js";

let app: TradingApp;
let base: string;
const ws = (module: string): string => `${base.replace("http", "ws")}/api/v1/${module}/ws`;

beforeAll(async () => {
  app = createTradingApp({ tickMs: 20, lingerMs: 0 }); // producers stop as the last subscriber leaves, as the lifecycle tests check
  await new Promise<void>((resolve) => app.server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(() => app.close());

const postOrder = (body: unknown) =>
  fetch(`${base}/api/v1/broker/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("datafeed", () => {
  it('streams bars on the exact topic bars:{"resolution":"1D","symbol":"AAPL"}', async () => {
    const client = await TestClient.connect(ws("datafeed"));
    const reply = await client.subscribe("bars", { symbol: "AAPL", resolution: "1D" });
    expect(reply.payload).toEqual({
      status: "ok",
      message: "subscribed",
      topic: 'bars:{"resolution":"1D","symbol":"AAPL"}',
      seq: expect.any(Number),
      epoch: expect.any(String),
    });
    const update = await client.next((frame) => frame.type === "bars.update");
    expect(update.payload.topic).toBe('bars:{"resolution":"1D","symbol":"AAPL"}');
    const bar = Bar.parse(update.payload.payload);
    expect(bar.high).toBeGreaterThanOrEqual(Math.max(bar.open, bar.close));
    expect(bar.low).toBeLessThanOrEqual(Math.min(bar.open, bar.close));
    expect(Math.abs(bar.time - Date.now())).toBeLessThan(5_000);
    await client.close();
  });

  it("streams quotes round robin over the requested symbols", async () => {
    const client = await TestClient.connect(ws("datafeed"));
    await client.subscribe("quotes", { symbols: ["MSFT", "NVDA"] });
    const first = Quote.parse((await client.next((frame) => frame.type === "quotes.update")).payload.payload);
    const second = Quote.parse((await client.next((frame) => frame.type === "quotes.update")).payload.payload);
    expect([first.symbol, second.symbol].sort()).toEqual(["MSFT", "NVDA"]);
    expect(first.bid).toBeLessThan(first.ask);
    await client.close();
  });

  it("runs one producer for two clients sharing a topic, and stops it when both disconnect", async () => {
    const [a, b] = await Promise.all([TestClient.connect(ws("datafeed")), TestClient.connect(ws("datafeed"))]);
    await a.subscribe("bars", { symbol: "TSLA", resolution: "5" });
    await b.subscribe("bars", { symbol: "TSLA", resolution: "5" });
    expect(app.datafeed.bars.size).toBe(1);
    const [fromA, fromB] = await Promise.all([
      a.next((frame) => frame.type === "bars.update"),
      b.next((frame) => frame.type === "bars.update"),
    ]);
    expect(fromA.payload.topic).toBe(fromB.payload.topic);
    a.socket.terminate();
    await eventually(() => app.ws.stats().modules.datafeed!.routes.bars!.subscriptions === 1, 2_000, "a released");
    expect(app.datafeed.activeTopics).toBe(1);
    await b.close();
    await eventually(() => app.datafeed.activeTopics === 0, 2_000, "producer stopped");
    expect(app.datafeed.bars.size).toBe(0);
  });
});

describe("broker", () => {
  it("publishes an order placed over HTTP to orders.update: working, then filled, with execution and position", async () => {
    const client = await TestClient.connect(ws("broker"));
    await client.subscribe("orders", { accountId: "ACC-1" });
    await client.subscribe("executions", { accountId: "ACC-1", symbol: "AAPL" });
    await client.subscribe("positions", { accountId: "ACC-1" });
    const response = await postOrder({ accountId: "ACC-1", symbol: "AAPL", side: "buy", type: "market", qty: 10 });
    expect(response.status).toBe(201);
    const placed = PlacedOrder.parse(await response.json());
    expect(placed).toMatchObject({ accountId: "ACC-1", status: "working", filledQty: 0 });

    const working = await client.next((frame) => frame.type === "orders.update" && frame.payload.payload.status === "working");
    expect(working.payload).toEqual({ topic: 'orders:{"accountId":"ACC-1"}', payload: placed, seq: 1, epoch: expect.any(String) });
    const filled = PlacedOrder.parse(
      (await client.next((frame) => frame.type === "orders.update" && frame.payload.payload.status === "filled")).payload.payload,
    );
    expect(filled).toMatchObject({ id: placed.id, filledQty: 10 });
    const execution = Execution.parse((await client.next((frame) => frame.type === "executions.update")).payload.payload);
    expect(execution).toMatchObject({ orderId: placed.id, qty: 10, price: filled.avgPrice });
    const position = Position.parse((await client.next((frame) => frame.type === "positions.update")).payload.payload);
    expect(position).toMatchObject({ accountId: "ACC-1", symbol: "AAPL", qty: 10, avgPrice: filled.avgPrice });

    const listed = (await (await fetch(`${base}/api/v1/broker/orders?accountId=ACC-1`)).json()) as PlacedOrder[];
    expect(listed.find((order) => order.id === placed.id)?.status).toBe("filled");
    await client.close();
  });

  it("sends an execution to the account's executions and to those of its symbol, not of another symbol", async () => {
    const [all, mine, other] = await Promise.all([0, 1, 2].map(() => TestClient.connect(ws("broker"))));
    await all!.subscribe("executions", { accountId: "ACC-5" });
    await mine!.subscribe("executions", { accountId: "ACC-5", symbol: "AMZN" });
    await other!.subscribe("executions", { accountId: "ACC-5", symbol: "META" });
    const { id } = (await (
      await postOrder({ accountId: "ACC-5", symbol: "AMZN", side: "buy", type: "market", qty: 3 })
    ).json()) as PlacedOrder;
    const [toAll, toMine] = await Promise.all([all!, mine!].map((client) => client.next((frame) => frame.type === "executions.update")));
    expect(toAll!.payload).toMatchObject({ topic: 'executions:{"accountId":"ACC-5"}', payload: { orderId: id, symbol: "AMZN" } });
    expect(toMine!.payload).toMatchObject({ topic: 'executions:{"accountId":"ACC-5","symbol":"AMZN"}', payload: toAll!.payload.payload });
    // A META fill afterwards is the first thing the META subscriber gets: the AMZN one never came.
    const meta = (await (
      await postOrder({ accountId: "ACC-5", symbol: "META", side: "sell", type: "market", qty: 1 })
    ).json()) as PlacedOrder;
    expect((await other!.next((frame) => frame.type === "executions.update")).payload.payload.orderId).toBe(meta.id);
    await Promise.all([all!, mine!, other!].map((client) => client.close()));
  });

  it("does not send one account's orders to another account's subscribers", async () => {
    const other = await TestClient.connect(ws("broker"));
    await other.subscribe("orders", { accountId: "ACC-2" });
    await postOrder({ accountId: "ACC-3", symbol: "IBM", side: "sell", type: "market", qty: 1 });
    const mine = await postOrder({ accountId: "ACC-2", symbol: "IBM", side: "sell", type: "market", qty: 2 });
    const { id } = (await mine.json()) as PlacedOrder;
    const first = await other.next((frame) => frame.type === "orders.update");
    expect(first.payload.payload.id).toBe(id);
    await other.close();
  });

  it("keeps a limit order working until canceled", async () => {
    const price = app.market.price("KO");
    const response = await postOrder({
      accountId: "ACC-4",
      symbol: "KO",
      side: "buy",
      type: "limit",
      qty: 1,
      limitPrice: round2(price / 10),
    });
    const order = (await response.json()) as PlacedOrder;
    const canceled = await fetch(`${base}/api/v1/broker/orders/${order.id}`, { method: "DELETE" });
    expect(canceled.status).toBe(200);
    expect(((await canceled.json()) as PlacedOrder).status).toBe("canceled");
    expect((await fetch(`${base}/api/v1/broker/orders/${order.id}`, { method: "DELETE" })).status).toBe(409);
  });

  it("answers an invalid order with 400 and the zod issues", async () => {
    const response = await postOrder({ accountId: "ACC-1", symbol: "AAPL", side: "hold", type: "limit", qty: -1 });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; issues: { path: string[] }[] };
    expect(body.error).toBe("invalid order");
    expect(body.issues.map((issue) => issue.path.join("."))).toEqual(expect.arrayContaining(["side", "qty"]));
    const notJson = await fetch(`${base}/api/v1/broker/orders`, { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
  });
});

const round2 = (value: number): number => Math.round(value * 100) / 100;

describe("with a JWT secret and development tokens off (NODE_ENV=production)", () => {
  it("sets no cookie on the demo page and needs a token everywhere", async () => {
    const secured = createTradingApp({ tickMs: 20, jwtSecret: "production-secret", devTokens: false });
    await new Promise<void>((resolve) => secured.server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(secured.server.address() as AddressInfo).port}`;
    try {
      const page = await fetch(`${url}/`);
      expect([page.status, page.headers.get("set-cookie")]).toEqual([200, null]);
      await expect(TestClient.connect(`${url.replace("http", "ws")}/api/v1/datafeed/ws`)).rejects.toThrow(/HTTP 401/);
      expect((await fetch(`${url}/api/v1/broker/orders?accountId=ACC-1`)).status).toBe(401);
    } finally {
      await secured.close();
    }
  });
});
