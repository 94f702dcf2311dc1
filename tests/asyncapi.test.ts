/**
 * AsyncAPI 3.0.0 and 2.6.0 documents of a two-module app: valid per
 * @asyncapi/parser with zero errors, with model names as schema names, and
 * a merged document that keeps each module's channels and schemas apart;
 * served as JSON and in viewers; and model names found in review that once
 * produced invalid references.
 */
import { Parser } from "@asyncapi/parser";
import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { AsyncApiVersion } from "wsgen";
import { buildModuleAsyncApi } from "../packages/wsgen/src/runtime/asyncapi.js";
import { BarWsRouter, OrderWsRouter, RecordingService, routeClass } from "./support/fixtures.js";
import { TestClient } from "./support/client.js";
import { startApp, type RunningApp } from "./support/server.js";

/** A second model named `Bar`, with another shape, in another module: the merge must not mix them up. */
const BrokerBar = z.object({ account: z.string(), pnl: z.number().describe("Profit and loss") });
type BrokerBar = z.infer<typeof BrokerBar>;
const BrokerBarRequest = z.object({ account: z.string(), tags: z.array(z.string()).default([]) });
type BrokerBarRequest = z.infer<typeof BrokerBarRequest>;
const BrokerBarWsRouter = routeClass(BrokerBarRequest, BrokerBar, "BarSubscriptionRequest", "Bar");

let running: RunningApp;
beforeAll(async () => {
  // A plain node:http handler beside wsgen: its own routes keep working.
  const handler = createServer((request, response) => {
    response.writeHead(request.url === "/health" ? 200 : 404).end(request.url === "/health" ? "ok" : "");
  }).listeners("request")[0] as Parameters<typeof createServer>[1];
  running = await startApp(
    {
      modules: [
        {
          name: "datafeed",
          routes: [
            new BarWsRouter({
              route: "bars",
              service: new RecordingService(),
              description: "OHLC bars",
              latestValue: true,
              lingerMs: 5_000,
            }),
          ],
        },
        {
          name: "broker",
          title: "Broker WebSockets",
          version: "2.1.0",
          routes: [
            new OrderWsRouter({ route: "orders", service: new RecordingService() }),
            new BrokerBarWsRouter({ route: "bars", service: new RecordingService() }),
          ],
        },
      ],
    },
    handler,
  );
});
afterAll(() => running.stop());

const parser = new Parser();
async function errorsOf(document: unknown): Promise<string[]> {
  const { diagnostics } = await parser.parse(JSON.stringify(document));
  return diagnostics
    .filter((diagnostic) => Number(diagnostic.severity) === 0 /* DiagnosticSeverity.Error */)
    .map((diagnostic) => `${diagnostic.code}: ${diagnostic.message} at ${diagnostic.path.join("/")}`);
}

/** Every `$ref` string in a JSON value. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => (key === "$ref" && typeof inner === "string" ? [inner] : refsIn(inner)));
}

async function fetchJson(path: string): Promise<Record<string, any>> {
  const response = await fetch(running.httpUrl(path));
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/application\/json/);
  return (await response.json()) as Record<string, any>;
}

describe.each<AsyncApiVersion>(["3.0.0", "2.6.0"])("AsyncAPI %s", (version) => {
  const query = version === "3.0.0" ? "" : "?version=2.6.0";

  it("validates each module's served document with zero errors", async () => {
    for (const module of ["datafeed", "broker"]) {
      const document = await fetchJson(`/api/v1/${module}/ws/asyncapi.json${query}`);
      expect(document.asyncapi).toBe(version);
      expect(await errorsOf(document)).toEqual([]);
    }
  });

  it("validates the merged document with zero errors", async () => {
    const document = await fetchJson(`/api/v1/ws/asyncapi.json${query}`);
    expect(document.asyncapi).toBe(version);
    expect(await errorsOf(document)).toEqual([]);
  });

  it("names schemas after the models", async () => {
    const document = await fetchJson(`/api/v1/broker/ws/asyncapi.json${query}`);
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(["OrderSubscriptionRequest", "PlacedOrder", "BarSubscriptionRequest", "Bar"]),
    );
    expect(document.components.schemas.Bar.properties.pnl).toEqual({ type: "number", description: "Profit and loss" });
    // Requests are documented as clients send them: defaulted fields are optional.
    expect(document.components.schemas.BarSubscriptionRequest.required).toEqual(["account"]);
  });

  it("keeps each module's channels under its own address and its messages on its own schemas", async () => {
    const document = await fetchJson(`/api/v1/ws/asyncapi.json${query}`);
    const channels = document.channels as Record<string, any>;
    if (version === "3.0.0") {
      expect(Object.fromEntries(Object.entries(channels).map(([key, channel]) => [key, channel.address]))).toEqual({
        datafeed: "/api/v1/datafeed/ws",
        broker: "/api/v1/broker/ws",
      });
    } else {
      expect(Object.keys(channels).sort()).toEqual(["/api/v1/broker/ws", "/api/v1/datafeed/ws"]);
    }
    const { messages, schemas } = document.components as Record<string, Record<string, unknown>>;
    expect(schemas!["datafeed.Bar"]).not.toEqual(schemas!["broker.Bar"]);
    for (const module of ["datafeed", "broker"]) {
      const own = Object.entries(messages!).filter(([key]) => key.startsWith(`${module}.`));
      expect(own.length).toBeGreaterThan(0);
      for (const [, message] of own) {
        for (const pointer of refsIn(message)) expect(pointer).toMatch(new RegExp(`^#/components/schemas/${module}\\.`));
      }
    }
    for (const [key, channel] of Object.entries(channels)) {
      const module = version === "3.0.0" ? key : key.split("/")[3];
      for (const pointer of refsIn(channel)) expect(pointer).toMatch(new RegExp(`^#/components/messages/${module}\\.`));
    }
  });
});

describe("AsyncAPI operations (3.0.0)", () => {
  it("expresses subscribe and unsubscribe as receive operations with a reply, and update as send", async () => {
    const document = await fetchJson("/api/v1/datafeed/ws/asyncapi.json");
    const operations = document.operations as Record<string, any>;
    expect(Object.keys(operations)).toEqual(["bars.subscribe", "bars.unsubscribe", "bars.update", "ping", "error"]);
    expect(operations["bars.subscribe"]).toMatchObject({
      action: "receive",
      channel: { $ref: "#/channels/datafeed" },
      messages: [{ $ref: "#/channels/datafeed/messages/bars.subscribe" }],
      reply: { messages: [{ $ref: "#/channels/datafeed/messages/bars.subscribe.response" }] },
    });
    expect(operations["bars.update"]).toMatchObject({ action: "send" });
    const parsed = await parser.parse(JSON.stringify(document));
    const subscribe = parsed.document!.operations().get("bars.subscribe")!;
    expect(
      subscribe
        .reply()
        ?.messages()
        .all()
        .map((message) => message.name()),
    ).toEqual(["bars.subscribe.response"]);
  });
});

describe("AsyncAPI delivery contract", () => {
  it("documents seq, epoch, since, recovered/reason and each route's history, linger and latest-value policy", async () => {
    for (const query of ["", "?version=2.6.0"]) {
      const document = await fetchJson(`/api/v1/datafeed/ws/asyncapi.json${query}`);
      const { messages, schemas } = document.components as Record<string, Record<string, any>>;
      expect(schemas!["bars.Update"]).toMatchObject({ required: ["topic", "payload", "seq", "epoch"] });
      expect(messages!["bars.subscribe"].payload.properties.since).toMatchObject({
        required: ["epoch", "seq"],
        properties: { seq: { type: "integer" }, epoch: { type: "string" } },
      });
      expect(schemas!["wsgen.SubscriptionResponse"].properties).toMatchObject({
        seq: { type: "integer" },
        epoch: { type: "string" },
        recovered: { type: "boolean" },
        reason: { enum: ["epoch", "trimmed", "expired", "ahead", "too_large"] },
      });
      expect(await errorsOf(document)).toEqual([]);
    }
    const operations = (await fetchJson("/api/v1/datafeed/ws/asyncapi.json")).operations as Record<string, { description: string }>;
    const update = operations["bars.update"]!.description;
    expect(update).toMatch(/^OHLC bars\n\nDelivery: each topic is one stream in total order/);
    expect(update).toMatch(/History: the last 100 updates per topic, at most 65536 bytes, each for 120000 ms/);
    expect(update).toMatch(/Linger: a topic's producer and stream stay alive for 5000 ms after its last subscriber leaves/);
    expect(update).toMatch(/Latest value: a new subscriber gets the topic's latest update/);
    const broker = (await fetchJson("/api/v1/broker/ws/asyncapi.json")).operations as Record<string, { description: string }>;
    expect(broker["orders.update"]!.description).toMatch(/Latest value: not sent/);
    expect(broker["orders.update"]!.description).toMatch(/Linger: none; .* recovery needs another subscriber holding the topic meanwhile/);
  });
});

describe("serving", () => {
  it("serves the basic HTML viewer per module and for the merged document", async () => {
    for (const [path, names] of [
      ["/api/v1/datafeed/ws/asyncapi", ["bars.subscribe", "bars.update", "BarSubscriptionRequest"]],
      ["/api/v1/ws/asyncapi", ["datafeed.bars.subscribe", "broker.orders.unsubscribe", "broker.PlacedOrder"]],
    ] as const) {
      const response = await fetch(running.httpUrl(`${path}?viewer=basic`));
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/text\/html/);
      const html = await response.text();
      expect(html).toContain("<h2>Operations</h2>");
      for (const name of names) expect(html).toContain(name);
    }
  });

  it("serves the AsyncAPI React viewer with its assets from the installed package", async () => {
    const page = await (await fetch(running.httpUrl("/api/v1/broker/ws/asyncapi"))).text();
    expect(page).toContain('<script src="/api/v1/ws/asyncapi/assets/standalone.js"></script>');
    expect(page).toContain("AsyncApiStandalone.render(");
    const script = await fetch(running.httpUrl("/api/v1/ws/asyncapi/assets/standalone.js"));
    expect([script.status, script.headers.get("content-type")]).toEqual([200, "text/javascript; charset=utf-8"]);
    expect((await script.text()).length).toBeGreaterThan(1_000_000);
    const css = await fetch(running.httpUrl("/api/v1/ws/asyncapi/assets/default.min.css"));
    expect([css.status, css.headers.get("content-type")]).toEqual([200, "text/css; charset=utf-8"]);
  });

  it("answers an unknown AsyncAPI version with 400 and other methods with 405", async () => {
    const bad = await fetch(running.httpUrl("/api/v1/ws/asyncapi.json?version=1.2.0"));
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/3\.0\.0, 2\.6\.0/);
    expect((await fetch(running.httpUrl("/api/v1/ws/asyncapi.json"), { method: "POST" })).status).toBe(405);
  });

  it("leaves other requests to the server's own handler", async () => {
    const health = await fetch(running.httpUrl("/health"));
    expect([health.status, await health.text()]).toEqual([200, "ok"]);
    expect((await fetch(running.httpUrl("/api/v1/nope/ws/asyncapi.json"))).status).toBe(404);
  });
});

describe("AsyncAPI robustness", () => {
  it("answers 500 and reports through onError when a document cannot be built, and keeps serving", async () => {
    // A schema whose JSON Schema cannot be built: a lazy one that throws when the document asks for its shape.
    const broken = z.lazy((): z.ZodType<unknown> => {
      throw new Error("the model's module failed to load");
    });
    const LegacyWsRouter = routeClass(broken, z.object({ v: z.number() }), "Legacy", "Data");
    const reported: unknown[] = [];
    const legacy = await startApp({
      modules: [{ name: "legacy", routes: [new LegacyWsRouter({ route: "legacy", service: new RecordingService() })] }],
      onError: (error) => reported.push(error),
    });
    try {
      const failed = await fetch(legacy.httpUrl("/api/v1/legacy/ws/asyncapi.json"));
      expect(failed.status).toBe(500);
      expect(await failed.text()).toContain("could not be built");
      expect(reported).toHaveLength(1);
      // The process and the app are still up: the endpoint still answers.
      const client = await TestClient.connect(legacy.wsUrl("legacy"));
      expect((await client.request("ping")).type).toBe("pong");
      await client.close();
    } finally {
      await legacy.stop();
    }
  });

  const ErrorPayload = z.object({ reason: z.string() });
  const Leg = z.object({ side: z.enum(["buy", "sell"]) }).meta({ id: "Order Leg/v1" });
  const Order = z.object({ legs: z.array(Leg), note: z.string().default("") });

  const AlertWsRouter = routeClass(Order, ErrorPayload, "Order", "ErrorPayload");

  it("gives every shape of a model name its own component, however often the name recurs", () => {
    const FooA = z.object({ a: z.string() });
    const FooB = z.object({ b: z.number() });
    // Request Foo = {a}, data Foo = {b}; then data Foo = {a}, whose output form differs from its input form.
    const First = routeClass(FooA, FooB, "Foo", "Foo");
    const Second = routeClass(FooB, FooA, "Bar", "Foo");
    const routes = [
      new First({ route: "first", service: new RecordingService() }),
      new Second({ route: "second", service: new RecordingService() }),
    ];
    const document = buildModuleAsyncApi({ name: "m", routes }, { version: "3.0.0" }) as {
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    const { schemas } = document.components;
    const payloadOf = (route: string): { properties?: Record<string, unknown> } => {
      const ref = (schemas[`${route}.Update`]!.properties!.payload as { $ref: string }).$ref;
      return schemas[decodeURIComponent(ref.split("/").pop()!).replace(/~1/g, "/").replace(/~0/g, "~")]!;
    };
    expect(Object.keys(payloadOf("first").properties ?? {})).toEqual(["b"]);
    expect(Object.keys(payloadOf("second").properties ?? {})).toEqual(["a"]);
  });

  it("keeps a model named like a built-in component apart and references named sub-schemas validly", async () => {
    const route = new AlertWsRouter({ route: "alerts", service: new RecordingService() });
    for (const version of ["3.0.0", "2.6.0"] as const) {
      const document = buildModuleAsyncApi({ name: "alerts", routes: [route] }, { version });
      const { diagnostics } = await new Parser().parse(JSON.stringify(document));
      expect(diagnostics.filter((diagnostic) => Number(diagnostic.severity) === 0)).toEqual([]);
      const schemas = (document.components as { schemas: Record<string, any> }).schemas;
      expect(schemas.ErrorPayload.properties).toHaveProperty("reason");
      expect(schemas["wsgen.ErrorPayload"].properties).toHaveProperty("code");
      expect(Object.keys(schemas)).toContain("Order.Order_Leg_v1");
    }
  });
});

describe("security schemes", () => {
  const schemes = {
    bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
    cookie: { type: "httpApiKey", name: "token", in: "cookie" },
  } as const;

  it.each(["3.0.0", "2.6.0"] as const)("lists each module's schemes on its operations in valid %s documents", async (version) => {
    const secured = await startApp({
      modules: [
        { name: "broker", securitySchemes: schemes, routes: [new OrderWsRouter({ route: "orders", service: new RecordingService() })] },
        { name: "datafeed", routes: [new BarWsRouter({ route: "bars", service: new RecordingService() })] },
      ],
      asyncapi: { securitySchemes: { apiKey: { type: "httpApiKey", name: "token", in: "query" } } },
    });
    try {
      const broker = secured.app.asyncapi("broker", { version }) as { components: { securitySchemes: object } };
      expect(await errorsOf(broker)).toEqual([]);
      expect(broker.components.securitySchemes).toEqual(schemes);
      const merged = secured.app.asyncapi(undefined, { version }) as { components: { securitySchemes: object } };
      expect(await errorsOf(merged)).toEqual([]);
      // Each module keeps its own: the module's schemes, or the app's when it names none.
      expect(Object.keys(merged.components.securitySchemes).sort()).toEqual(["broker.bearer", "broker.cookie", "datafeed.apiKey"]);
      const text = JSON.stringify(merged);
      if (version === "3.0.0") expect(text).toContain('"security":[{"$ref":"#/components/securitySchemes/datafeed.apiKey"}]');
      else expect(text).toContain('"security":[{"broker.bearer":[]},{"broker.cookie":[]}]');
    } finally {
      await secured.stop();
    }
  });
});
