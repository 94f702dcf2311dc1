/**
 * The client's connection: reconnection with resubscription after the server
 * restarts on the same port, closing the client (which settles unsubscribes
 * and ends streams), and a stream ended by a resubscription refused after a
 * reconnect.
 */
import { describe, expect, it } from "vitest";
import { createClient, WsRequestError, type ConnectionState } from "wsgen/client";
import { createWsClient } from "../generated/client.js";
import type { Bar } from "../examples/trading/src/models/datafeed.js";
import { eventually } from "./support/server.js";
import { cleanups, NodeWebSocket, startExample, ticksContract, ticksServer, useCleanups } from "./support/typed-client.js";

useCleanups();

describe("typed client", () => {
  it("resubscribes by itself after the server restarts on the same port, to the same handler", async () => {
    const first = await startExample();
    const states: ConnectionState[] = [];
    const client = createWsClient(`ws://127.0.0.1:${first.port}`, {
      WebSocket: NodeWebSocket,
      backoff: { initial: 20, max: 200 },
      onStateChange: (state) => states.push(state),
    });
    cleanups.push(() => client.close());
    const bars: Bar[] = [];
    await client.datafeed.bars.subscribe({ symbol: "AAPL", resolution: "1D" }, (bar) => bars.push(bar));
    await eventually(() => bars.length > 0, 3_000, "bars before the restart");

    await first.app.close();
    await eventually(() => client.states().datafeed === "reconnecting", 3_000, "reconnecting");
    const second = await startExample(first.port);
    cleanups.push(() => second.app.close());
    await client.connection("datafeed").until("open");
    const before = bars.length;
    await eventually(() => bars.length > before + 2, 5_000, "bars after the restart");
    expect(second.app.datafeed.activeTopics).toBe(1);
    expect(states).toEqual(["open", "reconnecting", ...states.slice(2)]);
    expect(states.at(-1)).toBe("open");
  });
});

describe("ending and refusals", () => {
  it("settles unsubscribe and ends streams when the client is closed", async () => {
    const server = await ticksServer(0, false);
    cleanups.push(() => server.stop());
    const client = createClient(`ws://127.0.0.1:${server.port}`, ticksContract, { WebSocket: NodeWebSocket });
    const subscription = await client.ticks.ticks.subscribe({ name: "a" }, () => undefined);
    const seen: number[] = [];
    const loop = (async () => {
      for await (const tick of client.ticks.ticks.stream({ name: "b" })) seen.push(tick.n);
      return seen;
    })();
    await eventually(() => client.states().ticks === "open", 2_000, "open");
    // The stream's subscription is up: its snapshot tick has reached the loop.
    await eventually(() => seen.length > 0, 2_000, "the stream's first tick");
    client.close();
    await expect(subscription.unsubscribe()).resolves.toBeUndefined();
    await expect(loop).resolves.toEqual([1]);
    await expect(client.connection("ticks").until("open")).rejects.toThrow(/closed/);
  });

  it("ends a stream with the error when its resubscription is refused after a reconnect", async () => {
    const first = await ticksServer(0, false);
    const errors: Error[] = [];
    const client = createClient(`ws://127.0.0.1:${first.port}`, ticksContract, {
      WebSocket: NodeWebSocket,
      backoff: { initial: 20, max: 100 },
      onError: (error) => errors.push(error),
    });
    cleanups.push(() => client.close());
    const loop = (async () => {
      for await (const tick of client.ticks.ticks.stream({ name: "x" })) void tick;
    })().catch((error: unknown) => error);
    await eventually(() => client.states().ticks === "open", 2_000, "open");
    await first.stop();
    const second = await ticksServer(first.port, true);
    cleanups.push(() => second.stop());
    const thrown = await loop;
    expect(thrown).toBeInstanceOf(WsRequestError);
    expect(errors.map((error) => error.message)).toContainEqual(expect.stringMatching(/ticks are closed today/));
  });
});
