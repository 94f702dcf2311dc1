/**
 * The typed client on Node against the running example: typed subscribe and
 * streams, and requests refused with their zod issues, by the client and by
 * the server; and module names the client keeps for its own members.
 */
import { describe, expect, it } from "vitest";
import { createClient, WsClient, WsRequestError } from "wsgen/client";
import { RESERVED_MODULE_NAMES } from "wsgen/internal";
import type { Bar } from "../examples/trading/src/models/datafeed.js";
import { eventually } from "./support/server.js";
import { cleanups, exampleWithClient, NodeWebSocket, ticksContract, useCleanups } from "./support/typed-client.js";
import { endpointPath } from "../packages/wsgen/src/protocol/paths.js";

useCleanups();

describe("typed client", () => {
  it("subscribes with typed requests and receives typed updates", async () => {
    const { app, client } = await exampleWithClient();
    const bars: Bar[] = [];
    const subscription = await client.datafeed.bars.subscribe({ symbol: "AAPL", resolution: "1D" }, (bar) => bars.push(bar));
    expect(subscription.topic).toBe('bars:{"resolution":"1D","symbol":"AAPL"}');
    await eventually(() => bars.length >= 2, 3_000, "bars");
    expect(Object.keys(bars[0]!).sort()).toEqual(["close", "high", "low", "open", "time", "volume"]);
    await subscription.unsubscribe();
    await eventually(() => app.datafeed.activeTopics === 0, 2_000, "topic removed");
  });

  it("streams with for await, and leaving the loop unsubscribes", async () => {
    const { app, client } = await exampleWithClient();
    const symbols: string[] = [];
    for await (const quote of client.datafeed.quotes.stream({ symbols: ["MSFT", "NVDA"] })) {
      symbols.push(quote.symbol);
      if (symbols.length === 4) break;
    }
    expect(new Set(symbols)).toEqual(new Set(["MSFT", "NVDA"]));
    await eventually(() => app.datafeed.activeTopics === 0, 2_000, "stream ended its subscription");
  });

  it("rejects an invalid request with the zod issues, checked by the client and by the server", async () => {
    const { port, client } = await exampleWithClient();
    const local = await client.datafeed.bars.subscribe({ symbol: "", resolution: "1D" }, () => undefined).catch((error: unknown) => error);
    expect(local).toBeInstanceOf(WsRequestError);
    expect((local as WsRequestError).issues).toEqual([expect.objectContaining({ path: ["symbol"], code: "too_small" })]);
    // Without a schema on the client, the server's answer carries the issues.
    const raw = new WsClient(`ws://127.0.0.1:${port}${endpointPath("datafeed")}`, { WebSocket: NodeWebSocket });
    cleanups.push(() => raw.close());
    const remote = await raw.subscribe("bars", { symbol: 42 }, () => undefined).catch((error: unknown) => error);
    expect(remote).toBeInstanceOf(WsRequestError);
    expect((remote as WsRequestError).issues.map((issue) => issue.path)).toEqual(expect.arrayContaining([["symbol"], ["resolution"]]));
  });
});

describe("typed client: a module name never hides the client's own members", () => {
  it("keeps connection, states, reconnect and close, the names wsgen/internal gives the generator", () => {
    expect([...RESERVED_MODULE_NAMES].sort()).toEqual(["close", "connection", "reconnect", "states"]);
    const client = createClient("ws://127.0.0.1:9", ticksContract, { WebSocket: NodeWebSocket });
    cleanups.push(() => client.close());
    for (const name of RESERVED_MODULE_NAMES) expect(typeof client[name]).toBe("function");
  });

  for (const module of RESERVED_MODULE_NAMES) {
    it(`refuses a contract with a module named "${module}" up front, naming it and the rule`, () => {
      const contract = { [module]: ticksContract.ticks, other: ticksContract.ticks };
      const create = (): unknown => createClient("ws://127.0.0.1:9", contract, { WebSocket: NodeWebSocket });
      expect(create).toThrow(
        `Option contract must be without modules named connection, states, reconnect, close (the typed client's own members), got a module named "${module}".`,
      );
      expect(create).toThrow(expect.objectContaining({ name: "WsgenError", code: "ERR_INVALID_OPTION" }));
    });
  }
});
