/**
 * The wire protocol (docs/protocol.md) and bad-input table (docs/bad-input.md), row by row, over real
 * sockets on 127.0.0.1, and inputs found in review that once crashed the
 * process.
 */
import { connect as connectTcp } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { z } from "zod";
import { BarWsRouter, RecordingService, bar, routeClass, type Bar, type BarSubscriptionRequest } from "./support/fixtures.js";
import { TestClient } from "./support/client.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

let running: RunningApp;
let service: RecordingService<BarSubscriptionRequest, Bar>;
const errors: unknown[] = [];

beforeEach(async () => {
  service = new RecordingService();
  errors.length = 0;
  running = await startApp({
    modules: [{ name: "datafeed", routes: [new BarWsRouter({ route: "bars", service })] }],
    maxPayload: 1024,
    onError: (error) => errors.push(error),
  });
});
afterEach(() => running.stop());

const connect = (): Promise<TestClient> => TestClient.connect(running.wsUrl("datafeed"));

describe("operations", () => {
  it("subscribes with the parsed request as topic and context, echoing the id", async () => {
    const client = await connect();
    const reply = await client.subscribe("bars", { symbol: "AAPL", extra: "stripped" });
    expect(reply).toEqual({
      type: "bars.subscribe.response",
      id: reply.id,
      payload: {
        status: "ok",
        message: "subscribed",
        topic: 'bars:{"resolution":"1D","symbol":"AAPL"}',
        seq: 0,
        epoch: expect.any(String),
      },
    });
    expect(reply.id).toMatch(/^r\d+$/);
    expect(service.contexts.get('bars:{"resolution":"1D","symbol":"AAPL"}')).toEqual({
      route: "bars",
      topic: 'bars:{"resolution":"1D","symbol":"AAPL"}',
      request: { symbol: "AAPL", resolution: "1D" },
      user: null,
    });
  });

  it("delivers updates as {route}.update with {topic, payload, seq, epoch}, at the position after the response's", async () => {
    const client = await connect();
    const { payload } = await client.subscribe("bars", { symbol: "AAPL" });
    service.publish(payload.topic, bar(101));
    const update = await client.next((frame) => frame.type === "bars.update");
    expect(update).toEqual({ type: "bars.update", payload: { topic: payload.topic, payload: bar(101), seq: 1, epoch: payload.epoch } });
  });

  it("answers ping with pong, carrying the id", async () => {
    const client = await connect();
    expect(await client.request("ping")).toEqual({ type: "pong", id: "r1" });
  });

  it("omits the id from replies when the request had none", async () => {
    const client = await connect();
    client.send({ type: "bars.subscribe", payload: { symbol: "MSFT" } });
    const reply = await client.next((frame) => frame.type === "bars.subscribe.response");
    expect(reply).not.toHaveProperty("id");
  });
});

describe("bad input", () => {
  it("answers a frame that is not JSON with invalid_message and stays open", async () => {
    const client = await connect();
    client.send("{not json");
    const error = await client.next((frame) => frame.type === "error");
    expect(error.payload.code).toBe("invalid_message");
    expect(error.payload.message).toMatch(/not valid JSON/);
    expect(await client.request("ping")).toMatchObject({ type: "pong" });
  });

  it.each([["[1,2]"], ["42"], ['{"payload":{}}'], ['{"type":7}'], ['{"type":"ping","id":5}']])(
    "answers the non-envelope %s with invalid_message and stays open",
    async (text) => {
      const client = await connect();
      client.send(text);
      const error = await client.next((frame) => frame.type === "error");
      expect(error.payload.code).toBe("invalid_message");
      expect(await client.request("ping")).toMatchObject({ type: "pong" });
    },
  );

  it("answers an unknown type with unknown_operation, the id, and the known operations", async () => {
    const client = await connect();
    const reply = await client.request("bars.explode", {});
    expect(reply.type).toBe("error");
    expect(reply.payload.code).toBe("unknown_operation");
    expect(reply.payload.details.operations).toEqual(expect.arrayContaining(["bars.subscribe", "bars.unsubscribe", "ping"]));
    // Server-to-client operations are not accepted from clients either.
    expect((await client.request("bars.update", {})).payload.code).toBe("unknown_operation");
    expect(await client.request("ping")).toMatchObject({ type: "pong" });
  });

  it("answers a payload that fails the schema with status error, an empty topic and the zod issues", async () => {
    const client = await connect();
    const reply = await client.subscribe("bars", { symbol: 42 });
    expect(reply.type).toBe("bars.subscribe.response");
    expect(reply.payload).toMatchObject({ status: "error", topic: "" });
    expect(reply.payload.errors).toEqual([expect.objectContaining({ path: ["symbol"], code: "invalid_type" })]);
    const missing = await client.unsubscribe("bars", undefined);
    expect(missing.payload).toMatchObject({ status: "error", topic: "" });
    expect(service.calls).toEqual([]);
    expect(await client.request("ping")).toMatchObject({ type: "pong" });
  });

  it("refuses the subscription when createTopic throws, keeps nothing and stays open", async () => {
    service.createBehaviour = () => {
      throw new Error("upstream feed unavailable");
    };
    const client = await connect();
    const reply = await client.subscribe("bars", { symbol: "AAPL" });
    expect(reply.payload).toMatchObject({ status: "error", topic: 'bars:{"resolution":"1D","symbol":"AAPL"}' });
    expect(reply.payload.message).toMatch(/upstream feed unavailable/);
    expect(running.app.stats().modules.datafeed?.routes.bars).toMatchObject({ topics: 0, subscriptions: 0 });
    expect(errors).toHaveLength(1);
    // The service recovers: the next subscribe creates the topic again and sticks.
    service.createBehaviour = () => undefined;
    expect((await client.subscribe("bars", { symbol: "AAPL" })).payload.status).toBe("ok");
    expect(service.count("create")).toBe(2);
    expect(service.count("remove")).toBe(0);
  });

  it("answers unsubscribing a topic the client does not hold with an error and stays open", async () => {
    const client = await connect();
    const reply = await client.unsubscribe("bars", { symbol: "NOPE" });
    expect(reply.payload).toMatchObject({
      status: "error",
      message: "not subscribed to this topic",
      topic: 'bars:{"resolution":"1D","symbol":"NOPE"}',
    });
    expect(service.calls).toEqual([]);
    expect(await client.request("ping")).toMatchObject({ type: "pong" });
  });

  it("closes a binary frame with 1003 and releases the client's topics", async () => {
    const client = await connect();
    await client.subscribe("bars", { symbol: "AAPL" });
    client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await client.closed).code).toBe(1003);
    await eventually(() => service.count("remove") === 1, 2_000, "removeTopic");
  });

  it("closes a frame over maxPayload with 1009 and releases the client's topics", async () => {
    const client = await connect();
    await client.subscribe("bars", { symbol: "AAPL" });
    client.send({ type: "ping", payload: "x".repeat(2048) });
    expect((await client.closed).code).toBe(1009);
    await eventually(() => service.count("remove") === 1, 2_000, "removeTopic");
  });

  it("answers upgrades on unknown paths with 404", async () => {
    await expect(TestClient.connect(`ws://127.0.0.1:${running.port}/api/v1/nope/ws`)).rejects.toThrow(/HTTP 404/);
  });
});

describe("authentication and origins", () => {
  let guarded: RunningApp<{ name: string }>;
  beforeEach(async () => {
    guarded = await startApp<{ name: string }>({
      modules: [{ name: "datafeed", routes: [new BarWsRouter({ route: "bars", service: new RecordingService() })] }],
      allowedOrigins: ["https://app.example"],
      authenticate: async (request) => {
        await Promise.resolve();
        return request.headers.authorization === "Bearer secret" ? { name: "ada" } : undefined;
      },
    });
  });
  afterEach(() => guarded.stop());

  it("answers 401 at the upgrade without valid credentials", async () => {
    await expect(TestClient.connect(guarded.wsUrl("datafeed"))).rejects.toThrow(/HTTP 401/);
    await expect(TestClient.connect(guarded.wsUrl("datafeed"), { headers: { authorization: "Bearer wrong" } })).rejects.toThrow(/HTTP 401/);
    expect(guarded.app.stats().modules.datafeed?.connections).toBe(0);
  });

  it("accepts valid credentials and exposes the user on the connection", async () => {
    const client = await TestClient.connect(guarded.wsUrl("datafeed"), { headers: { authorization: "Bearer secret" } });
    expect(await client.request("ping")).toMatchObject({ type: "pong" });
  });

  it("answers 403 to an origin that is not allowed, and accepts an allowed one", async () => {
    const headers = { authorization: "Bearer secret" };
    await expect(TestClient.connect(guarded.wsUrl("datafeed"), { headers, origin: "https://evil.example" })).rejects.toThrow(/HTTP 403/);
    const client = await TestClient.connect(guarded.wsUrl("datafeed"), { headers, origin: "https://app.example" });
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
  });
});

const Exploding = z.object({
  symbol: z.string().transform((symbol) => (symbol === "BOOM" ? (null as never as string).toString() : symbol)),
});
type Exploding = z.output<typeof Exploding>;
const ExplodingWsRouter = routeClass(Exploding, z.any(), "Exploding", "Bar");

describe("robustness", () => {
  let robust: RunningApp | undefined;
  afterEach(async () => {
    await robust?.stop();
    robust = undefined;
  });

  it("answers a request line that is not a URL without crashing", async () => {
    robust = await startApp({
      modules: [{ name: "datafeed", routes: [new BarWsRouter({ route: "bars", service: new RecordingService() })] }],
    });
    const reply = await new Promise<string>((resolve) => {
      const socket = connectTcp(robust!.port, "127.0.0.1", () => socket.write("GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString()));
      socket.on("close", () => resolve(text));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 (400|404)/);
    const client = await TestClient.connect(robust.wsUrl("datafeed"));
    expect(await client.request("ping")).toMatchObject({ type: "pong" });
  });

  it("answers a request schema that throws while parsing with internal_error and stays up", async () => {
    const errors: unknown[] = [];
    robust = await startApp({
      modules: [{ name: "feed", routes: [new ExplodingWsRouter({ route: "boom", service: new RecordingService() })] }],
      onError: (error) => errors.push(error),
    });
    const client = await TestClient.connect(robust.wsUrl("feed"));
    const reply = await client.subscribe("boom", { symbol: "BOOM" });
    expect(reply.type).toBe("error");
    expect(reply.payload.code).toBe("internal_error");
    expect(errors).toHaveLength(1);
    expect((await client.subscribe("boom", { symbol: "FINE" })).payload.status).toBe("ok");
  });
});
