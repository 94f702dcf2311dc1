/**
 * The typed client on Node against the running example: typed subscribe and
 * streams, shared topics, refused requests with their issues, updates that
 * beat the subscribe response, and reconnection with resubscription after
 * the server restarts on the same port.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { z } from "zod";
import { createClient, WsClient, WsRequestError, type ClientOptions, type ConnectionState, type WebSocketConstructor } from "wsgen/client";
import { createWsApp, LiveTopics } from "wsgen";
import { createWsClient } from "../generated/client.js";
import { createTradingApp, type TradingApp } from "../examples/trading/src/app.js";
import type { Bar } from "../examples/trading/src/models/datafeed.js";
import { eventually, startApp } from "./support/server.js";
import { routeClass } from "./support/fixtures.js";

const NodeWebSocket = WebSocket as unknown as WebSocketConstructor;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const Tick = z.object({ n: z.number() });
type Tick = z.infer<typeof Tick>;
const TickRequest = z.object({ name: z.string() });
type TickRequest = z.infer<typeof TickRequest>;
const TickWsRouter = routeClass(TickRequest, Tick, "TickRequest", "Tick");

/** The example on `port` (0: any) with a typed client connected to it; both are cleaned up after the test. */
async function exampleWithClient(
  options: Partial<ClientOptions> = {},
): Promise<{ app: TradingApp; port: number; client: ReturnType<typeof createWsClient> }> {
  const { app, port } = await startExample();
  cleanups.push(() => app.close());
  const client = createWsClient(`ws://127.0.0.1:${port}`, { WebSocket: NodeWebSocket, ...options });
  cleanups.push(() => client.close());
  return { app, port, client };
}

async function startExample(port = 0): Promise<{ app: TradingApp; port: number }> {
  const app = createTradingApp({ tickMs: 10 });
  await new Promise<void>((resolve) => app.server.listen(port, "127.0.0.1", resolve));
  return { app, port: (app.server.address() as AddressInfo).port };
}

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

  it("shares one server subscription between two local handlers", async () => {
    const { app, client } = await exampleWithClient();
    let a = 0;
    let b = 0;
    const first = await client.datafeed.bars.subscribe({ symbol: "IBM", resolution: "5" }, () => (a += 1));
    const second = await client.datafeed.bars.subscribe({ symbol: "IBM", resolution: "5" }, () => (b += 1));
    expect(app.ws.stats().modules.datafeed!.routes.bars!.subscriptions).toBe(1);
    await eventually(() => a > 1 && b > 1, 3_000, "both handlers");
    await first.unsubscribe();
    const seen = b;
    await eventually(() => b > seen + 1, 3_000, "second handler keeps receiving");
    expect(app.datafeed.activeTopics).toBe(1);
    await second.unsubscribe();
    await eventually(() => app.datafeed.activeTopics === 0, 2_000, "last handler removed the topic");
  });

  it("rejects an invalid request with the zod issues, checked by the client and by the server", async () => {
    const { port, client } = await exampleWithClient();
    const local = await client.datafeed.bars.subscribe({ symbol: "", resolution: "1D" }, () => undefined).catch((error: unknown) => error);
    expect(local).toBeInstanceOf(WsRequestError);
    expect((local as WsRequestError).issues).toEqual([expect.objectContaining({ path: ["symbol"], code: "too_small" })]);
    // Without a schema on the client, the server's answer carries the issues.
    const raw = new WsClient(`ws://127.0.0.1:${port}/api/v1/datafeed/ws`, { WebSocket: NodeWebSocket });
    cleanups.push(() => raw.close());
    const remote = await raw.subscribe("bars", { symbol: 42 }, () => undefined).catch((error: unknown) => error);
    expect(remote).toBeInstanceOf(WsRequestError);
    expect((remote as WsRequestError).issues.map((issue) => issue.path)).toEqual(expect.arrayContaining([["symbol"], ["resolution"]]));
  });

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

describe("update ordering", () => {
  it("delivers updates that arrive before the subscribe response", async () => {
    // The service sends a snapshot, then takes a while to finish createTopic.
    const service = new LiveTopics<TickRequest, Tick>({
      onCreate: async ({ update }) => {
        update({ n: 1 });
        await new Promise((resolve) => setTimeout(resolve, 50));
      },
    });
    const running = await startApp({ modules: [{ name: "ticks", routers: [new TickWsRouter({ route: "ticks", service })] }] });
    cleanups.push(() => running.stop());
    const client = new WsClient(running.wsUrl("ticks"), { WebSocket: NodeWebSocket });
    cleanups.push(() => client.close());
    const received: number[] = [];
    await client.subscribe("ticks", { name: "x" }, (tick: Tick) => received.push(tick.n), { requestSchema: TickRequest, dataSchema: Tick });
    // When subscribe resolves, the snapshot that came before the response was already delivered.
    expect(received).toEqual([1]);
  });
});

describe("ending and refusals", () => {
  const contract = { ticks: { ticks: { route: "ticks", request: TickRequest, data: Tick } } } as const;

  /** A ticks server on `port` whose createTopic succeeds, or refuses every topic. */
  async function ticksServer(port: number, refuse: boolean): Promise<{ port: number; stop: () => Promise<void> }> {
    const service = new LiveTopics<TickRequest, Tick>({
      onCreate: ({ update }) => {
        if (refuse) throw new Error("ticks are closed today");
        update({ n: 1 });
      },
    });
    const server = createServer();
    const app = createWsApp({ modules: [{ name: "ticks", routers: [new TickWsRouter({ route: "ticks", service })] }] }).attach(server);
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return {
      port: (server.address() as AddressInfo).port,
      stop: async () => {
        await app.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  it("settles unsubscribe and ends streams when the client is closed", async () => {
    const server = await ticksServer(0, false);
    cleanups.push(() => server.stop());
    const client = createClient(`ws://127.0.0.1:${server.port}`, contract, { WebSocket: NodeWebSocket });
    const subscription = await client.ticks.ticks.subscribe({ name: "a" }, () => undefined);
    const loop = (async () => {
      const seen: number[] = [];
      for await (const tick of client.ticks.ticks.stream({ name: "b" })) seen.push(tick.n);
      return seen;
    })();
    await eventually(() => client.states().ticks === "open", 2_000, "open");
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.close();
    await expect(subscription.unsubscribe()).resolves.toBeUndefined();
    await expect(loop).resolves.toEqual([1]);
    await expect(client.connection("ticks").until("open")).rejects.toThrow(/closed/);
  });

  it("throws a refused subscription out of the stream's loop, with nothing unhandled", async () => {
    const server = await ticksServer(0, true);
    cleanups.push(() => server.stop());
    const client = createClient(`ws://127.0.0.1:${server.port}`, contract, { WebSocket: NodeWebSocket });
    cleanups.push(() => client.close());
    const thrown = await (async () => {
      for await (const tick of client.ticks.ticks.stream({ name: "x" })) void tick;
    })().catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(WsRequestError);
    expect((thrown as Error).message).toMatch(/ticks are closed today/);
  });

  it("ends a stream with the error when its resubscription is refused after a reconnect", async () => {
    const first = await ticksServer(0, false);
    const errors: Error[] = [];
    const client = createClient(`ws://127.0.0.1:${first.port}`, contract, {
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
