/**
 * Type-level tests of the generated client bindings. `npm test` type-checks
 * this file (tsc --noEmit): every `@ts-expect-error` line must really be an
 * error, or the check fails. The runtime part checks that the contract's
 * schemas refuse, when the client runs, what the types refuse at compile time.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import WebSocket from "ws";
import type { ClientOptions, ConnectionState, Subscription, TokenContext, TypedClient, WsHandshakeError } from "wsgen/client";
import { createWsClient, wsContract, type WsContract } from "../generated/client.js";
import type { Bar, Quote } from "../examples/trading/src/models/datafeed.js";
import type { PlacedOrder } from "../examples/trading/src/models/broker.js";

declare const client: TypedClient<WsContract>;

function typeChecks(): void {
  // The README's snippet, as written: `ws`'s WebSocket (Node 20) and the browser's are accepted without casts.
  const fromNode = createWsClient("ws://127.0.0.1:8000", { WebSocket, onStateChange: (state) => void state });
  void fromNode;
  const browser: ClientOptions = { WebSocket: globalThis.WebSocket };
  void browser;
  // @ts-expect-error: a constructor of something that is no WebSocket is refused
  const notASocket: ClientOptions = { WebSocket: Map };
  void notASocket;
  // Credentials: a token, or a function (sync or async) told whether the last token was refused; headers (Node) and query.
  const withCredentials = createWsClient("ws://127.0.0.1:8000", {
    WebSocket,
    token: ({ refused }) => Promise.resolve(refused ? "fresh" : "cached"),
    tokenIn: "header",
    headers: { "x-client": "tests" },
    query: { app: "tests" },
    onStateChange: (state, refusal) => {
      expectTypeOf(state).toEqualTypeOf<ConnectionState>();
      expectTypeOf(refusal).toEqualTypeOf<WsHandshakeError | undefined>();
      expectTypeOf(refusal?.status).toEqualTypeOf<number | undefined>();
    },
  });
  withCredentials.reconnect();
  expectTypeOf(withCredentials.connection("datafeed").refusal).toEqualTypeOf<WsHandshakeError | undefined>();
  const tokenFunction = (context: TokenContext): string => (context.refused ? "fresh" : "cached");
  const browserCredentials: ClientOptions = { WebSocket: globalThis.WebSocket, token: tokenFunction, tokenIn: "query" };
  void browserCredentials;
  // @ts-expect-error: a token is a string or a function returning one
  const numericToken: ClientOptions = { token: 42 };
  void numericToken;
  // @ts-expect-error: a token function returns a string (or a promise of one)
  const numericTokenFunction: ClientOptions = { token: () => Promise.resolve(42) };
  void numericTokenFunction;
  // @ts-expect-error: the token goes in the header or in the query (a cookie needs no option)
  const cookieToken: ClientOptions = { tokenIn: "cookie" };
  void cookieToken;
  // @ts-expect-error: header values are strings
  const numericHeader: ClientOptions = { headers: { "x-retries": 1 } };
  void numericHeader;
  expectTypeOf<ConnectionState>().toEqualTypeOf<"connecting" | "open" | "reconnecting" | "refused" | "closed">();
  // Requests are typed from the request schemas.
  void client.datafeed.bars.subscribe({ symbol: "AAPL", resolution: "1D" }, (bar) => {
    expectTypeOf(bar).toEqualTypeOf<Bar>();
    const close: number = bar.close;
    void close;
    // @ts-expect-error: a Bar has no `price`
    void bar.price;
    // @ts-expect-error: `close` is a number, not a string
    const wrong: string = bar.close;
    void wrong;
  });
  // @ts-expect-error: `sym` is not a field of the bars request
  void client.datafeed.bars.subscribe({ sym: "AAPL", resolution: "1D" }, () => undefined);
  // @ts-expect-error: `resolution` is required
  void client.datafeed.bars.subscribe({ symbol: "AAPL" }, () => undefined);
  // @ts-expect-error: `symbols` must be an array of strings
  void client.datafeed.quotes.subscribe({ symbols: "AAPL" }, () => undefined);
  // @ts-expect-error: there is no `trades` route on the datafeed module
  void client.datafeed.trades;
  // @ts-expect-error: orders carry PlacedOrder updates, not Quotes
  void client.broker.orders.subscribe({ accountId: "A" }, (order: Quote) => order);
  void client.broker.orders.subscribe({ accountId: "A" }, (order) => expectTypeOf(order).toEqualTypeOf<PlacedOrder>());
  // `symbol` is optional on executions.
  void client.broker.executions.subscribe({ accountId: "A" }, () => undefined);
  expectTypeOf<Awaited<ReturnType<typeof client.datafeed.bars.subscribe>>>().toEqualTypeOf<Subscription>();
  async function loop(): Promise<void> {
    for await (const quote of client.datafeed.quotes.stream({ symbols: ["A"] })) expectTypeOf(quote).toEqualTypeOf<Quote>();
  }
  void loop;
}

describe("generated client types", () => {
  it("are checked by tsc (see the @ts-expect-error lines)", () => {
    void typeChecks; // never called: `client` exists only for tsc
    // What tsc accepts and refuses above, the schemas behind the types accept and refuse at run time.
    expect(wsContract.datafeed.bars.request.safeParse({ symbol: "AAPL", resolution: "1D" }).success).toBe(true);
    expect(wsContract.datafeed.bars.request.safeParse({ symbol: "AAPL" }).success).toBe(false);
    expect(wsContract.datafeed.quotes.request.safeParse({ symbols: "AAPL" }).success).toBe(false);
    expect(wsContract.broker.executions.request.safeParse({ accountId: "A" }).success).toBe(true);
    expect(wsContract.datafeed.bars.route).toBe("bars");
    expect(Object.keys(wsContract)).toEqual(["broker", "datafeed"]);
    expect(Object.keys(wsContract.datafeed)).toEqual(["bars", "quotes"]);
  });
});
