/**
 * Requests bounded before validation, on a route whose schema accepts any
 * shape (`z.unknown()`): too deep or too many keys is `invalid_request`,
 * reported once per connection however often it is sent, and within an
 * app-wide budget however often a client reconnects; the topic builder
 * takes any depth the limits allow. And a rate-limit trip answers the frames
 * admitted before it, then closes with 1008.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { canonicalJson } from "../packages/wsgen/src/protocol/topic.js";
import { requestShapeProblem } from "../packages/wsgen/src/runtime/request-shape.js";
import { maskedTextFrame, rawConnect } from "./support/raw-client.js";
import { BarWsRouter, RecordingService, routeClass } from "./support/fixtures.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

const OpenRequest = z.object({ filter: z.unknown() });
const OpenWsRouter = routeClass(OpenRequest, z.object({ n: z.number() }), "OpenRequest", "Numbered");
const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

let running: RunningApp | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe("request shape", () => {
  it("answers a request nested 10,000 deep with invalid_request and one log line for the connection", async () => {
    const reported: unknown[] = [];
    running = await startApp({
      modules: [{ name: "open", routes: [new OpenWsRouter({ route: "open", service: new RecordingService() })] }],
      onError: (error) => reported.push(error),
    });
    // Written by hand: JSON.stringify itself recurses.
    const deep = `{"type":"open.subscribe","payload":{"filter":${"[".repeat(10_000)}1${"]".repeat(10_000)}}}`;
    expect(deep.length).toBeLessThan(64 * 1024);
    const client = await rawConnect(running.port, "/api/v1/open/ws");
    for (let i = 0; i < 20; i++) client.sendText(deep);
    await eventually(() => (client.received().match(/invalid_request/g) ?? []).length === 20);
    expect(client.received()).toContain("request nests deeper than 32 levels");
    expect(client.received()).not.toContain("internal_error");
    expect(reported).toHaveLength(1);
    const stats = running.app.stats().modules.open!;
    expect([stats.routes.open!.requestsOverShapeLimits, stats.connectionErrors, stats.errorsNotLogged]).toEqual([20, 20, 19]);
    client.socket.destroy();
  });

  // One line per connection is still a flood when one client reconnects in a loop: client-caused errors share an
  // app-wide budget, and what it held back is said in one summary.
  it("reports client-caused errors of many connections within clientErrorReportsPerMinute, then one summary", async () => {
    const reported: { code?: string; message: string }[] = [];
    running = await startApp({
      modules: [{ name: "open", routes: [new OpenWsRouter({ route: "open", service: new RecordingService() })] }],
      clientErrorReportsPerMinute: 3,
      onError: (error) => reported.push(error as { code?: string; message: string }),
    });
    const deep = `{"type":"open.subscribe","payload":{"filter":${"[".repeat(100)}1${"]".repeat(100)}}}`;
    for (let i = 0; i < 30; i++) {
      const client = await rawConnect(running.port, "/api/v1/open/ws");
      client.sendText(deep);
      await eventually(() => client.received().includes("invalid_request"));
      client.socket.destroy();
    }
    expect(reported.map((error) => error.code)).toEqual(["ERR_REQUEST_SHAPE", "ERR_REQUEST_SHAPE", "ERR_REQUEST_SHAPE"]);
    expect(running.app.stats().modules.open).toMatchObject({ connectionErrors: 30, errorsNotLogged: 27 });
    // The summary comes a minute later, or when the app closes.
    await running.stop();
    running = undefined;
    expect(reported.slice(3)).toMatchObject([
      { code: "ERR_CLIENT_ERRORS_SUPPRESSED", message: expect.stringMatching(/^27 error\(s\) caused by clients/) },
    ]);
  });

  it("refuses more keys than maxRequestKeys and passes what is within both limits", async () => {
    running = await startApp({
      modules: [{ name: "open", routes: [new OpenWsRouter({ route: "open", service: new RecordingService() })] }],
      maxRequestKeys: 50,
      maxRequestDepth: 4,
    });
    const client = await rawConnect(running.port, "/api/v1/open/ws");
    const wide = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i]));
    client.sendText(JSON.stringify({ type: "open.subscribe", id: "wide", payload: { filter: wide } }));
    client.sendText(JSON.stringify({ type: "open.subscribe", id: "fits", payload: { filter: nested(3) } }));
    await eventually(() => client.received().includes('"id":"fits"'));
    expect(client.received()).toMatch(/more than 50 keys and array items/);
    expect(client.received()).toMatch(/"status":"ok"[^}]*"topic":"open:\{\\"filter\\":\[\[\[1\]\]\]\}"/);
    client.socket.destroy();
  });

  it("measures depth and keys without recursion", () => {
    const limits = { maxRequestDepth: 32, maxRequestKeys: 1000 };
    expect(requestShapeProblem(nested(32), limits)).toBeUndefined();
    expect(requestShapeProblem(nested(33), limits)).toMatch(/deeper than 32/);
    expect(requestShapeProblem(nested(1_000_000), limits)).toMatch(/deeper than 32/);
    expect(requestShapeProblem({ a: {}, b: [] }, limits)).toBeUndefined();
    expect(canonicalJson(nested(200_000))).toHaveLength(200_001 * 2 - 1);
  });
});

describe("a rate-limit close", () => {
  const start = async () => {
    running = await startApp({
      modules: [{ name: "datafeed", routes: [new BarWsRouter({ route: "bars", service: new RecordingService() })] }],
      rateLimit: { perSecond: 1, burst: 100 },
    });
    return rawConnect(running.port, "/api/v1/datafeed/ws");
  };
  const subscribes = (count: number): string[] =>
    Array.from({ length: count }, (_, i) => JSON.stringify({ type: "bars.subscribe", id: `s${i}`, payload: { symbol: `S${i}` } }));
  const replies = (text: string): number => (text.match(/"type":"bars\.subscribe\.response"/g) ?? []).length;

  it("answers 100 frames sent in one write, and stays open", async () => {
    const client = await start();
    client.socket.write(Buffer.concat(subscribes(100).map((text) => maskedTextFrame(text))));
    await eventually(() => replies(client.received()) === 100);
    expect(client.socket.readyState).toBe("open");
    client.socket.destroy();
  });

  it("answers the first 100 of 101 frames sent in one write, then closes with 1008", async () => {
    const client = await start();
    client.socket.write(Buffer.concat(subscribes(101).map((text) => maskedTextFrame(text))));
    // The close frame: opcode 8, then the code 1008 (0x03f0) and the reason; this client never answers it.
    await eventually(() => client.received().includes("\x03\xf0rate limit exceeded"));
    const text = client.received();
    expect(replies(text)).toBe(100);
    expect(text).not.toContain('"id":"s100"');
    expect(text.indexOf("\x88")).toBeGreaterThan(text.lastIndexOf("bars.subscribe.response"));
    expect(running!.app.stats().modules.datafeed!.rateLimitCloses).toBe(1);
    client.socket.destroy();
  });
});
