/**
 * Type-level tests of the generated client bindings. `npm test` type-checks
 * this file (tsc --noEmit): every `@ts-expect-error` line must really be an
 * error, or the check fails. The runtime part only asserts the shapes exist.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import type { Subscription, TypedClient } from "wsgen/client";
import { wsContract, type WsContract } from "../generated/client.js";
import type { Bar, Quote } from "../examples/trading/src/models/datafeed.js";
import type { PlacedOrder } from "../examples/trading/src/models/broker.js";

declare const client: TypedClient<WsContract>;

function typeChecks(): void {
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
    expect(typeChecks).toBeTypeOf("function");
    expect(Object.keys(wsContract)).toEqual(["broker", "datafeed"]);
    expect(Object.keys(wsContract.datafeed)).toEqual(["bars", "quotes"]);
  });
});
