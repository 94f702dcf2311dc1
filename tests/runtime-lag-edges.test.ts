/**
 * Lag detection at its edges (delivery-lag.ts, lag-policy.ts), each case
 * found by an adversarial review and held to the delivery contract
 * (docs/protocol.md "Delivery"): a resubscribe
 * while updates are held back, a client that answers only the latest ping,
 * a stall of the server's own event loop, and the slow consumer's close code.
 *
 * Most tests steer a client's lag exactly instead of flooding it: a `ws`
 * client with `autoPong: false` answers the server's pings only when the
 * test says, so it is lagging (its lag probe unanswered past `maxLagMs`)
 * exactly when the test wants, while it reads every frame at once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { WsAppOptions } from "wsgen";
import { TestClient, type Frame } from "./support/client.js";
import { RecordingService, routeClass } from "./support/fixtures.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

const Tick = z.object({ n: z.number() });
type Tick = z.infer<typeof Tick>;
const Feed = z.object({ name: z.string() });
type Feed = z.infer<typeof Feed>;
const TickWsRouter = routeClass(Feed, Tick, "Feed", "Tick");
type TickRouteOptions = Omit<ConstructorParameters<typeof TickWsRouter>[0], "service" | "route">;
const TOPIC = 'ticks:{"name":"t"}';
/** Lag probes' payloads start with "wsgL" (delivery-lag.ts); the heartbeat's pings are empty. */
const isProbe = (payload: Buffer): boolean => payload.length === 8 && payload.toString("latin1", 0, 4) === "wsgL";
const MAX_LAG_MS = 40;

let running: RunningApp | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A client that reads every frame at once but answers pings only when told; `log` is every frame, in arrival order. */
class SteeredClient {
  readonly log: Frame[] = [];
  readonly pings: Buffer[] = [];
  /** When true, every ping is answered as it arrives (a client that keeps up). */
  autoAnswer = false;

  private constructor(readonly client: TestClient) {
    client.socket.on("message", (data: Buffer) => this.log.push(JSON.parse(data.toString()) as Frame));
    client.socket.on("ping", (payload: Buffer) => {
      if (this.autoAnswer) client.socket.pong(payload);
      else this.pings.push(payload);
    });
  }

  static async connect(url: string): Promise<SteeredClient> {
    return new SteeredClient(await TestClient.connect(url, { autoPong: false }));
  }

  /** Answers every ping received so far, in order (what `ws` and browsers do). */
  answerAll(): void {
    for (const payload of this.pings.splice(0)) this.client.socket.pong(payload);
  }

  /** Seqs of the ticks.update frames received, in order. */
  seqs(): number[] {
    return this.log.filter((frame) => frame.type === "ticks.update").map((frame) => frame.payload.seq as number);
  }
}

/** Seqs of the ticks.update frames a TestClient received (those `next` did not take), in order. */
const seqsOf = (client: TestClient): number[] =>
  client.frames.filter((frame) => frame.type === "ticks.update").map((frame) => frame.payload.seq as number);

async function start(route: TickRouteOptions, app: Partial<WsAppOptions> = {}) {
  const service = new RecordingService<Feed, Tick>();
  running = await startApp({
    modules: [{ name: "feed", routes: [new TickWsRouter({ route: "ticks", service, validateUpdates: false, ...route })] }],
    heartbeatInterval: 0,
    maxLagMs: MAX_LAG_MS,
    ...app,
  });
  const stats = () => running!.app.stats().modules.feed!;
  let published = 0;
  const publish = (count = 1): number => {
    for (let i = 0; i < count; i++) service.publish(TOPIC, { n: ++published });
    return published;
  };
  return { service, stats, publish, url: running.wsUrl("feed") };
}

/**
 * A healthy client and a steered one on the topic; the steered one got
 * update 1 and then stopped answering probes, and updates 2..4 were held
 * back from it (it is lagging). The healthy one got 1..4.
 */
async function withLaggingClient(route: TickRouteOptions) {
  const server = await start(route);
  const healthy = await TestClient.connect(server.url);
  await healthy.subscribe("ticks", { name: "t" });
  const lagging = await SteeredClient.connect(server.url);
  await lagging.client.subscribe("ticks", { name: "t" });
  lagging.answerAll(); // the probe that rode on the response
  await eventually(() => server.stats().deliveryLag.count >= 1, 2_000, "the first probe answered");
  await sleep(MAX_LAG_MS * 4 + 10); // past the probe interval (4 × maxLagMs after a fast pong), so update 1 carries the next probe
  server.publish();
  await eventually(() => lagging.seqs().length === 1 && lagging.pings.some(isProbe), 2_000, "update 1 and its probe");
  await sleep(MAX_LAG_MS * 2); // the probe unanswered past maxLagMs: lagging
  server.publish(3);
  await eventually(() => seqsOf(healthy).at(-1) === 4, 2_000, "1..4 at the healthy client");
  await eventually(() => server.stats().routes.ticks!.laggingSubscribers === 1, 2_000, "2..4 held back from the lagging one");
  expect(lagging.seqs()).toEqual([1]);
  return { ...server, healthy, lagging };
}

/** The ticks.update seqs that arrived after the frame `response` (by its id), in order. */
function seqsAfter(client: SteeredClient, id: string | undefined): number[] {
  const at = client.log.findIndex((frame) => frame.id === id && frame.type === "ticks.subscribe.response");
  expect(at).toBeGreaterThanOrEqual(0);
  return client.log
    .slice(at + 1)
    .filter((frame) => frame.type === "ticks.update")
    .map((frame) => frame.payload.seq as number);
}

describe("an 'already subscribed' resubscribe while updates are held back", () => {
  // protocol.md: an already-subscribed subscribe "is sent nothing: no replay, no latest value, since every
  // update was already written to it, before this response"; updates continue from the response's seq.
  it.each(["skip", "conflate"] as const)(
    "%s: no update at or before the response's seq follows the response (no since)",
    async (lagPolicy) => {
      const { lagging } = await withLaggingClient({ lagPolicy, historySize: 100 });
      const response = await lagging.client.subscribe("ticks", { name: "t" });
      expect(response.payload).toMatchObject({ status: "ok", message: "already subscribed", seq: 4 });
      lagging.answerAll(); // caught up: what was held back is flushed
      await sleep(100);
      expect(seqsAfter(lagging, response.id).filter((seq) => seq <= response.payload.seq)).toEqual([]);
    },
  );

  it("skip: a resubscribe with since is either recovered with the replay, or not recovered and sent nothing older", async () => {
    const { lagging } = await withLaggingClient({ lagPolicy: "skip", historySize: 100 });
    const epoch = lagging.log.find((frame) => frame.type === "ticks.update")!.payload.epoch as string;
    const id = "again";
    lagging.client.send({ type: "ticks.subscribe", payload: { name: "t" }, id, since: { epoch, seq: 1 } });
    await eventually(() => lagging.log.some((frame) => frame.id === id), 2_000, "the response");
    const response = lagging.log.find((frame) => frame.id === id)!;
    lagging.answerAll();
    await sleep(100);
    const after = seqsAfter(lagging, id);
    if (response.payload.recovered === true) expect(after.slice(0, 3)).toEqual([2, 3, 4]);
    else expect(after.filter((seq) => seq <= response.payload.seq)).toEqual([]);
  });
});

describe("a lag probe whose pong never comes", () => {
  // RFC 6455 5.5.3: an endpoint that has not yet answered earlier pings "MAY elect to send a Pong frame
  // for only the most recently processed Ping frame". If that is the heartbeat's ping, the probe stays
  // outstanding forever: no new probe is sent while one is (delivery-lag.ts probeFrame), so the client
  // never counts as caught up and is sent no update again, although it reads everything at once.
  it("a client that answers only the latest ping (as RFC 6455 allows) still gets updates once it keeps up", async () => {
    const server = await start({ lagPolicy: "conflate" }, { heartbeatInterval: 50 });
    const client = await TestClient.connect(server.url, { autoPong: false });
    // Answers every ping at once, except one probe: the heartbeat's ping came before it got round to that
    // one, so it answers only the heartbeat's (the most recent), as RFC 6455 lets it. Reads everything at once.
    let heldProbe: Buffer | undefined;
    let coalesce = false;
    client.socket.on("ping", (payload: Buffer) => {
      if (coalesce && heldProbe === undefined && isProbe(payload)) heldProbe = payload;
      else {
        if (heldProbe !== undefined && !isProbe(payload)) coalesce = false;
        client.socket.pong(payload);
      }
    });
    await client.subscribe("ticks", { name: "t" });
    await sleep(MAX_LAG_MS * 4 + 10);
    coalesce = true;
    const publisher = setInterval(() => server.publish(), 5);
    try {
      await eventually(() => heldProbe !== undefined && !coalesce, 2_000, "a probe answered only through the heartbeat's ping");
      await sleep(1_000);
      const newest = server.publish();
      await eventually(() => seqsOf(client).at(-1)! >= newest, 3_000, "a client that keeps up gets the newest update");
    } finally {
      clearInterval(publisher);
    }
  });
});

describe("a stall of the server's own event loop", () => {
  // The probe's age is measured when fan-out runs, but its pong may be sitting unread in the server's
  // socket: after the event loop was blocked (GC, a long synchronous task in an I/O callback), the
  // drain scheduled with setImmediate runs before the next I/O poll reads the pongs, so every connection
  // with a probe outstanding during the stall counts as lagging, though it answered at once. With
  // lagPolicy close that disconnects it; with conflate it loses updates (a gap it did not cause).
  it.each(["close", "conflate"] as const)(
    "lagPolicy %s: a client that answered its probe at once is not held back because the server was busy",
    async (lagPolicy) => {
      const server = await start({ lagPolicy }, { maxLagMs: 50 });
      const client = await TestClient.connect(server.url);
      await client.subscribe("ticks", { name: "t" });
      await eventually(() => server.stats().deliveryLag.count >= 1, 2_000, "the response's probe answered");
      await sleep(210); // past the probe interval (4 × maxLagMs after a fast pong)
      let stalled = false;
      client.socket.on("ping", (payload: Buffer) => {
        // ws has already written the pong. Now the process is busy for 120 ms (the server's loop with
        // it, as in a GC pause), then publishes: the pong is in the server's socket, not read yet.
        if (stalled || !isProbe(payload)) return;
        stalled = true;
        const until = performance.now() + 120;
        while (performance.now() < until);
        server.publish(3);
      });
      server.publish(); // update 1 carries the probe
      await eventually(() => stalled, 2_000, "the probe received");
      await sleep(200);
      expect(server.stats().slowConsumerCloses).toBe(0);
      expect(seqsOf(client)).toEqual([1, 2, 3, 4]);
      expect(server.stats().lagEpisodes).toBe(0);
    },
  );
});

describe("the slow consumer's close code", () => {
  // protocol.md's close codes: 1013 "slow consumer" when the send buffer passed highWaterMark. Past the
  // mark, Node's own write buffer holds data by definition, so the close frame sits behind it there, and
  // the terminate() that now follows close() at once (connection.ts closeSlowConsumer) discards it: the
  // client can never see 1013 (or its reason), only 1006, even when it reads again a moment later.
  // Before this change (HEAD~1) the same test gets 1013.
  it("a client closed for passing the high-water mark sees 1013 once it reads again", async () => {
    const server = await start({}, { maxLagMs: 0, highWaterMark: 64 * 1024, slowConsumer: "close", closeTimeout: 10_000 });
    const client = await TestClient.connect(server.url);
    await client.subscribe("ticks", { name: "t" });
    client.socket.pause();
    const publisher = setInterval(() => server.publish(200), 2);
    try {
      await eventually(() => server.stats().slowConsumerCloses === 1, 10_000, "the slow consumer closed");
    } finally {
      clearInterval(publisher);
    }
    client.socket.resume();
    expect((await client.closed).code).toBe(1013);
  });
});
