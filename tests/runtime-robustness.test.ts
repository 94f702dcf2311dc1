/**
 * Inputs and interleavings found in review that once crashed the process,
 * leaked a subscription or hung close(): each stays fixed here.
 */
import { Parser } from "@asyncapi/parser";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { buildModuleAsyncApi } from "wsgen";
import { BarWsRouter, RecordingService, type Bar, type BarSubscriptionRequest, routeClass } from "./support/fixtures.js";
import { TestClient } from "./support/client.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

let running: RunningApp | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const Exploding = z.object({
  symbol: z.string().transform((symbol) => (symbol === "BOOM" ? (null as never as string).toString() : symbol)),
});
type Exploding = z.output<typeof Exploding>;
const ExplodingWsRouter = routeClass(Exploding, z.any(), "Exploding", "Bar");

describe("robustness", () => {
  it("answers a request line that is not a URL without crashing", async () => {
    running = await startApp({
      modules: [{ name: "datafeed", routers: [new BarWsRouter({ route: "bars", service: new RecordingService() })] }],
    });
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(running!.port, "127.0.0.1", () => socket.write("GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString()));
      socket.on("close", () => resolve(text));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 (400|404)/);
    const client = await TestClient.connect(running.wsUrl("datafeed"));
    expect(await client.request("ping")).toMatchObject({ type: "pong" });
  });

  it("answers a request schema that throws while parsing with internal_error and stays up", async () => {
    const errors: unknown[] = [];
    running = await startApp({
      modules: [{ name: "feed", routers: [new ExplodingWsRouter({ route: "boom", service: new RecordingService() })] }],
      onError: (error) => errors.push(error),
    });
    const client = await TestClient.connect(running.wsUrl("feed"));
    const reply = await client.subscribe("boom", { symbol: "BOOM" });
    expect(reply.type).toBe("error");
    expect(reply.payload.code).toBe("internal_error");
    expect(errors).toHaveLength(1);
    expect((await client.subscribe("boom", { symbol: "FINE" })).payload.status).toBe("ok");
  });

  it("does not let a subscribe queued behind a slow one take a topic after the socket closed", async () => {
    const service = new RecordingService<BarSubscriptionRequest, Bar>();
    service.createBehaviour = (topic) => (topic.includes("SLOW") ? new Promise((resolve) => setTimeout(resolve, 100)) : undefined);
    running = await startApp({ modules: [{ name: "datafeed", routers: [new BarWsRouter({ route: "bars", service })] }] });
    const client = await TestClient.connect(running.wsUrl("datafeed"));
    client.send({ type: "bars.subscribe", payload: { symbol: "SLOW" } });
    client.send({ type: "bars.subscribe", payload: { symbol: "FAST" } });
    await eventually(() => service.calls.length === 1, 2_000, "slow create started");
    client.socket.terminate();
    await eventually(() => service.count("remove") === 1, 2_000, "slow topic removed");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(service.calls.map((call) => `${call.kind} ${call.topic}`)).toEqual([
      'create bars:{"resolution":"1D","symbol":"SLOW"}',
      'remove bars:{"resolution":"1D","symbol":"SLOW"}',
    ]);
    expect(running.app.stats().modules.datafeed?.routes.bars).toMatchObject({ topics: 0, subscriptions: 0 });
  });

  it("finishes close() when an upgrade was still authenticating, and refuses that upgrade", async () => {
    running = await startApp({
      modules: [{ name: "datafeed", routers: [new BarWsRouter({ route: "bars", service: new RecordingService() })] }],
      authenticate: () => new Promise((resolve) => setTimeout(() => resolve({ user: "late" }), 50)),
    });
    const late = TestClient.connect(running.wsUrl("datafeed")).then(
      () => "opened",
      (error: Error) => error.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    await running.app.close();
    expect(await late).toMatch(/HTTP 503/);
  });
});

describe("AsyncAPI robustness", () => {
  const ErrorPayload = z.object({ reason: z.string() });
  const Leg = z.object({ side: z.enum(["buy", "sell"]) }).meta({ id: "Order Leg/v1" });
  const Order = z.object({ legs: z.array(Leg), note: z.string().default("") });

  const AlertWsRouter = routeClass(Order, ErrorPayload, "Order", "ErrorPayload");

  it("keeps a model named like a built-in component apart and references named sub-schemas validly", async () => {
    const route = new AlertWsRouter({ route: "alerts", service: new RecordingService() });
    for (const version of ["3.0.0", "2.6.0"] as const) {
      const document = buildModuleAsyncApi({ name: "alerts", path: "/api/v1/alerts/ws", routes: [route] }, { version });
      const { diagnostics } = await new Parser().parse(JSON.stringify(document));
      expect(diagnostics.filter((diagnostic) => Number(diagnostic.severity) === 0)).toEqual([]);
      const schemas = (document.components as { schemas: Record<string, any> }).schemas;
      expect(schemas.ErrorPayload.properties).toHaveProperty("reason");
      expect(schemas["wsgen.ErrorPayload"].properties).toHaveProperty("code");
      expect(Object.keys(schemas)).toContain("Order.Order_Leg_v1");
    }
  });
});
