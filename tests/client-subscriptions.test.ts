/**
 * Subscriptions of the client: one server subscription shared by local
 * handlers, updates that beat the subscribe response, and a refused
 * subscription thrown out of a stream's loop; a request that is not
 * JSON data refused before it is sent.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createClient, WsClient, WsRequestError } from "wsgen/client";
import { LiveTopics } from "wsgen";
import { eventually, startApp } from "./support/server.js";
import {
  cleanups,
  exampleWithClient,
  NodeWebSocket,
  Tick,
  TickRequest,
  TickWsRouter,
  ticksContract,
  ticksServer,
  useCleanups,
} from "./support/typed-client.js";

useCleanups();

describe("typed client", () => {
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
    const running = await startApp({ modules: [{ name: "ticks", routes: [new TickWsRouter({ route: "ticks", service })] }] });
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
  it("throws a refused subscription out of the stream's loop, with nothing unhandled", async () => {
    const server = await ticksServer(0, true);
    cleanups.push(() => server.stop());
    const client = createClient(`ws://127.0.0.1:${server.port}`, ticksContract, { WebSocket: NodeWebSocket });
    cleanups.push(() => client.close());
    const thrown = await (async () => {
      for await (const tick of client.ticks.ticks.stream({ name: "x" })) void tick;
    })().catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(WsRequestError);
    expect((thrown as Error).message).toMatch(/ticks are closed today/);
  });
});

describe("a request that is not JSON data", () => {
  // The client builds topics with the server's one builder: a schema whose output a topic cannot name is refused
  // locally, the same way the server would refuse it, and nothing is sent.
  it("rejects with WsRequestError before sending anything", async () => {
    const running = await startApp({
      modules: [{ name: "ticks", routes: [new TickWsRouter({ route: "ticks", service: new LiveTopics<TickRequest, Tick>({}) })] }],
    });
    cleanups.push(() => running.stop());
    const client = new WsClient(running.wsUrl("ticks"), { WebSocket: NodeWebSocket });
    cleanups.push(() => client.close());
    const SetRequest = z.object({ names: z.array(z.string()).transform((names) => new Set(names)) });
    const thrown = await client
      .subscribe("ticks", { names: ["x"] }, () => undefined, { requestSchema: SetRequest })
      .catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(WsRequestError);
    expect((thrown as Error).message).toMatch(/ticks\.subscribe: invalid request: the request holds a Set at names/);
    expect(running.app.stats().modules.ticks!.routes.ticks!.subscriptions).toBe(0);
  });
});
