/**
 * Options of an app and of a route: defaults from one literal each, and one
 * error for every bad value (`WsgenError`, `ERR_INVALID_OPTION`, naming the
 * option), thrown at construction.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createWsApp, WsgenError, WsRoute, type WsAppOptions } from "wsgen";
import { APP_DEFAULTS } from "../packages/wsgen/src/runtime/app-options.js";
import { BarWsRouter, RecordingService } from "./support/fixtures.js";
import { startApp } from "./support/server.js";

const modules: WsAppOptions["modules"] = [];

/** The error `createWsApp` throws for `options`, or undefined. */
function refusal(options: Record<string, unknown>): WsgenError | undefined {
  try {
    createWsApp({ modules, ...options });
    return undefined;
  } catch (error) {
    return error as WsgenError;
  }
}

describe("app options", () => {
  it.each([
    ["heartbeatInterval", -1],
    ["heartbeatInterval", Number.NaN],
    ["maxConnectionLifespan", 30 * 24 * 3_600_000], // past Node's longest timer: it would fire at once
    ["closeTimeout", Number.POSITIVE_INFINITY],
    ["maxPayload", -5],
    ["maxSubscriptionsPerConnection", "10"],
    ["highWaterMark", Number.POSITIVE_INFINITY],
    ["slowConsumer", "bogus"],
    ["rateLimit", { perSecond: 0, burst: 10 }],
    ["onError", "console"],
    ["authenticate", 42],
    ["allowedOrigins", "https://app.example"], // a string would let any of its substrings through
    ["allowedOrigins", [42]],
    ["asyncapi", "3.0.0"],
  ])("refuses %s = %s with ERR_INVALID_OPTION naming it", (name, value) => {
    const error = refusal({ [name]: value });
    expect(error).toBeInstanceOf(WsgenError);
    expect(error?.code).toBe("ERR_INVALID_OPTION");
    expect(error?.message).toContain(`Option ${name} must be`);
  });

  it("refuses an AsyncAPI version it cannot serve", () => {
    expect(refusal({ asyncapi: { version: "9.9.9" } })?.message).toBe("Option asyncapi.version must be 3.0.0 or 2.6.0, got 9.9.9.");
  });

  it("takes the default for an option given as undefined or null", async () => {
    expect(refusal({ heartbeatInterval: undefined, slowConsumer: null, onError: null, rateLimit: null })).toBeUndefined();
    // asyncapi: null means the default documents, which are still served.
    const running = await startApp({ modules: [{ name: "datafeed", routes: [] }], asyncapi: null } as unknown as WsAppOptions);
    try {
      const response = await fetch(running.httpUrl("/api/v1/datafeed/ws/asyncapi.json"));
      expect(response.status).toBe(200);
      expect(((await response.json()) as { asyncapi: string }).asyncapi).toBe("3.0.0");
    } finally {
      await running.stop();
    }
  });

  it("has one defaults literal, whose values pass its own checks", () => {
    expect(refusal({ ...APP_DEFAULTS })).toBeUndefined();
  });
});

describe("route options", () => {
  it.each([
    ["queueCapacity", 0, "a positive integer"],
    ["queueCapacity", 1.5, "a positive integer"],
    ["batchWindowMs", -1, "a number from 0 to 1000"],
    ["batchWindowMs", 1_001, "a number from 0 to 1000"],
    ["historySize", -1, "an integer of at least 0"],
    ["historySize", 2.5, "an integer of at least 0"],
    ["historyMaxBytes", 0, "a positive integer"],
    ["historyTtlMs", 0, "a number from 1 to 2147483647"],
    ["lingerMs", -1, "a number from 0 to 2147483647"],
    ["lingerMs", 2_147_483_648, "a number from 0 to 2147483647"],
    ["lingerMs", Number.NaN, "a number from 0 to 2147483647"],
  ])("refuses %s = %s with ERR_INVALID_OPTION", (name, value, expected) => {
    let error: unknown;
    try {
      new BarWsRouter({ route: "bars", service: new RecordingService(), [name]: value });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(WsgenError);
    expect((error as WsgenError).code).toBe("ERR_INVALID_OPTION");
    expect((error as WsgenError).message).toBe(`Option ${name} must be ${expected}, got ${value}.`);
  });

  it.each([
    ["service", undefined, "an object with createTopic and removeTopic methods"],
    ["service", { createTopic: () => undefined }, "an object with createTopic and removeTopic methods"],
    ["validateUpdates", "no", "true or false"],
    ["latestValue", 1, "true or false"],
    ["lingerMs", "5", "a number from 0 to 2147483647"],
  ])("refuses %s = %j with ERR_INVALID_OPTION", (name, value, expected) => {
    const options = { route: "bars", service: new RecordingService(), [name]: value } as ConstructorParameters<typeof BarWsRouter>[0];
    expect(() => new BarWsRouter(options)).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_OPTION", message: expect.stringContaining(`Option ${name} must be ${expected}`) }),
    );
  });

  it("refuses a schema that is not zod 4 with ERR_ZOD_VERSION, naming the route, the role and the model", () => {
    // What a zod 3 schema looks like to the runtime: `_def` and `safeParse`, but no zod 4 `_zod`.
    const zod3Schema = { _def: { typeName: "ZodObject" }, safeParse: () => ({ success: true, data: {} }) } as unknown as z.ZodType<object>;
    const route = () =>
      new WsRoute({
        route: "bars",
        service: new RecordingService(),
        request: zod3Schema,
        data: z.object({}),
        requestName: "BarRequest",
        dataName: "Bar",
      });
    expect(route).toThrow(
      expect.objectContaining({
        code: "ERR_ZOD_VERSION",
        message: expect.stringMatching(
          /^Route "bars": the request schema BarRequest is not a zod 4 schema \(it looks like a zod 3 schema\)\. wsgen needs zod 4: npm install zod@\^4/,
        ),
      }),
    );
  });
});
