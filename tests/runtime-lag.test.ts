/**
 * Lag policies with clients that fall behind and come back: a `ws` client
 * whose socket is paused (it answers lag probes only once it reads again)
 * beside one that keeps up, on a topic publishing ~10,000 msg/s. The lagging
 * one is detected, held back per its route's lagPolicy, and when it reads
 * again gets the newest update (conflate), everything it missed from the
 * history or the newest with a visible gap (skip), or is closed and let go
 * at once (close); the other one gets every update in order throughout.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { WsAppOptions } from "wsgen";
import { TestClient } from "./support/client.js";
import { RecordingService, routeClass } from "./support/fixtures.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

const Tick = z.object({ n: z.number(), pad: z.string() });
type Tick = z.infer<typeof Tick>;
const Feed = z.object({ name: z.string() });
type Feed = z.infer<typeof Feed>;
const TickWsRouter = routeClass(Feed, Tick, "Feed", "Tick");
const TOPIC = 'ticks:{"name":"t"}';
const pad = "x".repeat(1_000);

let running: RunningApp | undefined;
let publisher: NodeJS.Timeout | undefined;
afterEach(async () => {
  clearInterval(publisher);
  publisher = undefined;
  await running?.stop();
  running = undefined;
});

type RouteOptions = ConstructorParameters<typeof TickWsRouter>[0];

/** Seqs of the ticks.update frames a client received, in order. */
function seqs(client: TestClient): number[] {
  return client.frames.filter((frame) => frame.type === "ticks.update").map((frame) => frame.payload.seq as number);
}

/**
 * A server with one ticks route and `clients` subscribed clients, the last
 * of them paused (it reads nothing more, so it answers no lag probe, until
 * resumed), while 20 updates are published every 2 ms; `stop` ends the
 * publishing and resolves once the queue drained, with how many there were.
 */
async function publishing(clients: number, route: Omit<RouteOptions, "service" | "route">, app: Partial<WsAppOptions> = {}) {
  const service = new RecordingService<Feed, Tick>();
  running = await startApp({
    modules: [{ name: "feed", routes: [new TickWsRouter({ route: "ticks", service, validateUpdates: false, ...route })] }],
    heartbeatInterval: 0,
    ...app,
  });
  const stats = () => running!.app.stats().modules.feed!;
  const connected: TestClient[] = [];
  for (let i = 0; i < clients; i++) {
    const client = await TestClient.connect(running.wsUrl("feed"));
    await client.subscribe("ticks", { name: "t" });
    connected.push(client);
  }
  let published = 0;
  publisher = setInterval(() => {
    for (let i = 0; i < 20; i++) service.publish(TOPIC, { n: ++published, pad });
  }, 2);
  connected.at(-1)!.socket.pause();
  const stop = async (): Promise<number> => {
    clearInterval(publisher);
    await eventually(() => stats().routes.ticks!.queued === 0, 5_000, "the queue drained");
    return published;
  };
  return { stats, clients: connected, published: () => published, stop };
}

/** A client that keeps up and one that stopped reading, found lagging and kept behind for 2,000 more updates. */
async function withLaggingClient(route: Omit<RouteOptions, "service" | "route">, app: Partial<WsAppOptions> = {}) {
  const { stats, clients, published, stop } = await publishing(2, route, app);
  await eventually(() => stats().routes.ticks!.laggingSubscribers === 1, 10_000, "the paused client detected as lagging");
  const detectedAt = published();
  await eventually(() => published() >= detectedAt + 2_000, 10_000, "2,000 more updates");
  const [healthy, lagging] = clients as [TestClient, TestClient];
  return { stats, healthy, lagging, published: await stop() };
}

/** The healthy client got every update, 1..published, in order. */
async function expectWhole(client: TestClient, published: number): Promise<void> {
  await eventually(() => seqs(client).at(-1) === published, 10_000, "every update at the healthy client");
  expect(seqs(client)).toEqual(Array.from({ length: published }, (_, i) => i + 1));
}

/** Reads again; resolves with the seqs it gets, once the newest has come. */
async function resume(client: TestClient, published: number): Promise<number[]> {
  client.socket.resume();
  await eventually(() => seqs(client).at(-1) === published, 10_000, "the lagging client caught up to the newest update");
  const got = seqs(client);
  // In order and without a duplicate, whatever was skipped.
  for (let i = 1; i < got.length; i++) expect(got[i]!).toBeGreaterThan(got[i - 1]!);
  return got;
}

describe("lagPolicy", () => {
  it("conflate: a lagging client gets the newest update when it reads again, the seq gap shows what it skipped", async () => {
    const { stats, healthy, lagging, published } = await withLaggingClient({ lagPolicy: "conflate" });
    await expectWhole(healthy, published);
    const got = await resume(lagging, published);
    expect(got.length).toBeLessThan(published);
    expect(stats().lagEpisodes).toBeGreaterThanOrEqual(1);
    expect(stats().routes.ticks!.updatesConflated).toBeGreaterThan(0);
    expect(stats().routes.ticks!.laggingSubscribers).toBe(0);
  });

  it("skip: a lagging client gets everything it missed from the history when it reads again, with no gap", async () => {
    const { stats, healthy, lagging, published } = await withLaggingClient(
      { lagPolicy: "skip", historySize: 100_000, historyMaxBytes: 256 * 1024 * 1024 },
      // Room for the whole catch-up in its send buffer, which bounds it.
      { highWaterMark: 256 * 1024 * 1024 },
    );
    await expectWhole(healthy, published);
    const got = await resume(lagging, published);
    expect(got).toEqual(Array.from({ length: published }, (_, i) => i + 1));
    expect(stats().routes.ticks!.updatesCaughtUp).toBeGreaterThan(0);
    expect(stats().routes.ticks!.updatesSkipped).toBe(0);
  });

  it("skip: past the history, it gets the newest update and the gap shows", async () => {
    const { stats, healthy, lagging, published } = await withLaggingClient({ lagPolicy: "skip", historySize: 100 });
    await expectWhole(healthy, published);
    const got = await resume(lagging, published);
    expect(got.length).toBeLessThan(published);
    expect(stats().routes.ticks!.updatesSkipped).toBeGreaterThan(0);
  });

  it("close: a lagging client is closed with 1013 and let go at once, not after the close timeout", async () => {
    const { stats, clients, stop } = await publishing(2, { lagPolicy: "close" }, { closeTimeout: 60_000 });
    const [healthy, lagging] = clients as [TestClient, TestClient];
    // Gone from the server's count while the client has still not read a byte: nothing waits for its handshake.
    await eventually(() => stats().connections === 1, 10_000, "the lagging client let go");
    expect(stats().slowConsumerCloses).toBe(1);
    await expectWhole(healthy, await stop());
    lagging.socket.resume();
    // The close frame reaches it when its kernel buffer had room for it; else the socket just ends.
    const { code } = await lagging.closed;
    expect([1013, 1006]).toContain(code);
  });

  it("measures each connection's lag from its probes' pongs (wsgen_delivery_lag_seconds)", async () => {
    const { stats, lagging, published } = await withLaggingClient({ lagPolicy: "conflate" });
    const before = stats().deliveryLag;
    expect(before.count).toBeGreaterThan(0);
    await resume(lagging, published);
    // The paused client's probe came back once it read again, at least maxLagMs (250 ms) after it was sent.
    await eventually(() => stats().deliveryLag.count > before.count, 5_000, "the paused client's probe answered");
    const after = stats().deliveryLag;
    const overQuarterSecond = after.count - after.cumulative[after.bounds.indexOf(0.25)]!;
    expect(overQuarterSecond).toBeGreaterThanOrEqual(1);
  });

  it("sends no probe with maxLagMs 0, and then holds no client back (the high-water mark alone bounds it)", async () => {
    const {
      stats,
      clients,
      published: count,
      stop,
    } = await publishing(1, { lagPolicy: "conflate" }, { maxLagMs: 0, highWaterMark: 64 * 1024 * 1024 });
    const [paused] = clients as [TestClient];
    await eventually(() => count() >= 4_000, 10_000, "4,000 updates");
    const published = await stop();
    expect(stats().routes.ticks!.laggingSubscribers).toBe(0);
    const got = await resume(paused, published);
    expect(got).toEqual(Array.from({ length: published }, (_, i) => i + 1));
    expect(stats().deliveryLag.count).toBe(0);
    expect(stats().lagEpisodes).toBe(0);
  });
});
