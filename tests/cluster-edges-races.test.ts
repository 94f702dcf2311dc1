/**
 * Adversarial races of the Redis broker (issue 13), several apps in one test
 * process on one real redis-server (tests/support/cluster-apps.ts): a reset
 * racing a feed's resync, a subscribe while the producer retires or hands
 * over, a takeover whose createTopic fails, a producer without local
 * subscribers, join/leave churn across three apps, and the in-memory
 * delivery rules (linger, latest value, createTopic's own updates, since,
 * big and odd payloads) over the Redis mirror.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type WsRoute } from "wsgen";
import { redisBroker, type RedisBroker } from "wsgen/redis";
import { TestClient } from "./support/client.js";
import {
  Cluster,
  REQUEST,
  clientId,
  connectRecorded,
  epochRuns,
  framesOf,
  nodeOf,
  subscribed,
  subscriptionProblems,
  updates,
  type ClusterApp,
} from "./support/cluster-apps.js";
import { startDelayProxy } from "./support/delay-proxy.js";
import WebSocket from "ws";
import { Bar, BarSubscriptionRequest, BarWsRouter, RecordingService, bar, routeClass } from "./support/fixtures.js";
import { startRedisServer, type RedisServer } from "./support/redis-server.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

let redis: RedisServer;
let cluster: Cluster;
/** Apps a test started itself (routes other than bars), stopped after it. */
const others: { running: RunningApp; broker: RedisBroker }[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await cluster.stop();
  for (const { running, broker } of others.splice(0)) {
    await running.stop().catch(() => undefined);
    await broker.close();
  }
  const admin = await redis.admin();
  await admin.flushAll();
});
const freshCluster = (): Cluster => (cluster = new Cluster(redis));
freshCluster();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An app serving one route of a test's own on its own broker. */
async function startOther(route: WsRoute<any, any>): Promise<RunningApp> {
  const broker = await redisBroker({ url: redis.url, leaseMs: 600, tickMs: 100, log: () => undefined });
  const running = await startApp({
    modules: [{ name: "datafeed", routes: [route] }],
    heartbeatInterval: 0,
    broker,
    onError: () => undefined,
  });
  others.push({ running, broker });
  return running;
}

/** The lease's state in Redis (`st`: creating | live | retiring), or undefined when none is held. */
async function leaseState(): Promise<string | undefined> {
  const admin = await redis.admin();
  const [key] = await admin.sendCommand<string[]>(["KEYS", "*:l"]);
  return key === undefined ? undefined : ((await admin.sendCommand<string | null>(["HGET", key, "st"])) ?? undefined);
}

describe("resync, takeover, retire and handover races", () => {
  it("a takeover while a feed resyncs: old-epoch updates buffered before the reset never follow the new epoch's, none is sent twice", async () => {
    const cluster = freshCluster();
    const proxy = await startDelayProxy(redis.port);
    try {
      const a = await cluster.start("a", { publishEveryMs: 5 });
      const c = await cluster.start("c", { publishEveryMs: 5 });
      const b = await cluster.start("b", { broker: { url: `redis://127.0.0.1:${proxy.port}` } });
      await subscribed(a);
      await subscribed(c);
      const cb = await subscribed(b);
      await eventually(() => updates(cb).length >= 10, 3_000, "updates flowing to b");
      const admin = await redis.admin();
      // b's scripts (its sync among them) reach Redis 1.5 s late; its pub/sub connection is not slowed.
      proxy.delay("commands", 1_500);
      await admin.sendCommand(["CLIENT", "KILL", "ID", await clientId(admin, `${nodeOf(b)}:pubsub`)]);
      await eventually(
        () => b.broker.stats().reconnects >= 1 && b.broker.stats().connections.pubsub === "ready",
        1_000,
        "b's pub/sub back",
      );
      await sleep(50); // a's updates reach b's resyncing feed and are buffered
      await a.broker.close(); // a stalls: c takes the lapsed lease, a new epoch (x:reset) while b's sync is on its way
      await eventually(() => c.created.length === 1, 2_000, "c took over");
      proxy.delay("commands", 0);
      const firstEpoch = updates(cb)[0]!.epoch;
      await eventually(() => updates(cb).filter((u) => u.epoch !== firstEpoch).length >= 20, 5_000, "the new epoch at b");
      expect(subscriptionProblems(framesOf(cb)), epochRuns(updates(cb)).join(" ")).toEqual([]);
    } finally {
      await cluster.stop();
      await proxy.close();
    }
  });

  it("a subscribe on another process while the producer retires (st=retiring) is answered, and createTopic/removeTopic alternate", async () => {
    const cluster = freshCluster();
    const a = await cluster.start("a", { onRemove: async () => void (await sleep(300)) });
    const b = await cluster.start("b");
    const ca = await subscribed(a);
    await ca.close();
    const deadline = Date.now() + 2_000;
    while ((await leaseState()) !== "retiring" && Date.now() < deadline) await sleep(5);
    expect(await leaseState()).toBe("retiring");
    const client = await TestClient.connect(b.running.wsUrl("datafeed"));
    const response = await client.subscribe("bars", { symbol: "AAPL" });
    expect(response.payload).toMatchObject({ status: "ok" });
    expect(cluster.log).toEqual(["+a", "-a", "+b"]);
    expect(await b.route.publish(REQUEST, bar(1))).toEqual({ status: "accepted" });
  });

  it("route.publish while subscribers hold the topic throughout a handover is never answered not_live", async () => {
    const cluster = freshCluster();
    const proxy = await startDelayProxy(redis.port);
    try {
      const a = await cluster.start("a", { publishEveryMs: 20 });
      // b takes the topic over; its scripts reach Redis 200 ms late (a far or busy process).
      const b = await cluster.start("b", { publishEveryMs: 20, broker: { url: `redis://127.0.0.1:${proxy.port}` } });
      const c = await cluster.start("c");
      await subscribed(a);
      const cb = await subscribed(b);
      proxy.delay("commands", 200);
      const answers: string[] = [];
      let publishing = true;
      const loop = (async () => {
        for (let i = 1000; publishing; i++) {
          answers.push((await c.route.publish(REQUEST, bar(i))).status);
          await sleep(2);
        }
      })();
      await sleep(50);
      await a.running.stop(); // hands the topic over: b holds it, and c publishes to it all along
      await eventually(() => b.created.length === 1, 3_000, "the handover");
      publishing = false;
      await loop;
      expect(subscriptionProblems(framesOf(cb))).toEqual([]);
      expect(
        answers.filter((status) => status !== "accepted"),
        `${answers.length} publishes from c`,
      ).toEqual([]);
    } finally {
      await cluster.stop();
      await proxy.close();
    }
  });

  it("a takeover whose createTopic fails is reported (onError), not retried silently at every tick", async () => {
    const cluster = freshCluster();
    const a = await cluster.start("a");
    const b = await cluster.start("b", {
      onCreate: () => {
        throw new Error("upstream down");
      },
    });
    await subscribed(a);
    const cb = await subscribed(b);
    await a.broker.close(); // a stalls: b takes the lapsed lease, and its createTopic fails
    await eventually(() => b.created.length >= 1, 2_000, "b's takeover");
    await sleep(1_000);
    const attempts = b.created.length;
    expect(
      b.errors.map((error) => (error as { code?: string }).code),
      `after ${attempts} createTopic attempts in ~1 s, b's subscriber (${JSON.stringify(cb.frames.at(-1)?.type)}) left as it was`,
    ).toContain("ERR_SERVICE_FAILED");
  });
});

describe("a producer without local subscribers", () => {
  it("route.publish with the request createTopic was handed (a schema that transforms it) on the producing process", async () => {
    const Request = z.object({ ids: z.string().transform((s) => s.split(",")) });
    type Request = z.output<typeof Request>;
    const Route = routeClass(Request, Bar, "IdsRequest", "Bar");
    const serviceA = new RecordingService<Request, Bar>();
    const routeA = new Route({ route: "baskets", service: serviceA });
    const a = await startOther(routeA);
    const b = await startOther(new Route({ route: "baskets", service: new RecordingService<Request, Bar>() }));
    const ca = await TestClient.connect(a.wsUrl("datafeed"));
    expect((await ca.subscribe("baskets", { ids: "a,b" })).payload).toMatchObject({ status: "ok" });
    const cb = await TestClient.connect(b.wsUrl("datafeed"));
    expect((await cb.subscribe("baskets", { ids: "a,b" })).payload).toMatchObject({ status: "ok" });
    await ca.close(); // a keeps producing for b's subscriber
    await sleep(100);
    expect(serviceA.live.size).toBe(1);
    const request = [...serviceA.contexts.values()][0]!.request; // { ids: ["a", "b"] }
    const published = await routeA.publish(request, bar(1)).then(
      (result) => result,
      (error: unknown) => error,
    );
    expect(published).toEqual({ status: "accepted" });
  });
});

describe("join/leave churn across three apps", () => {
  it.each([0, 30])(
    "for 3 s under a ticking producer, lingerMs %i: createTopic/removeTopic alternate cluster-wide, one producer per epoch, nothing leaks",
    async (lingerMs) => {
      const cluster = freshCluster();
      const apps: ClusterApp[] = [];
      for (const name of ["a", "b", "c"]) apps.push(await cluster.start(name, { publishEveryMs: 5, route: { lingerMs } }));
      const clients = await Promise.all(apps.flatMap((app) => [0, 1].map(() => connectRecorded(app.running.wsUrl("datafeed")))));
      const until = Date.now() + 3_000;
      let seed = 7;
      const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
      await Promise.all(
        clients.map(async (client) => {
          let holding = false;
          while (Date.now() < until) {
            const reply = holding
              ? await client.unsubscribe("bars", { symbol: "AAPL" })
              : await client.subscribe("bars", { symbol: "AAPL" });
            expect(reply.payload, JSON.stringify(reply.payload)).toMatchObject({ status: "ok" });
            holding = !holding;
            await sleep(random() * (holding ? 40 : 120));
          }
          if (holding) await client.unsubscribe("bars", { symbol: "AAPL" });
        }),
      );
      await eventually(
        () => cluster.log.at(-1)?.startsWith("-") === true && cluster.producers().length === 0,
        3_000,
        "the last removeTopic",
      );
      const problems: string[] = [];
      for (let i = 1; i < cluster.log.length; i++) {
        const [before, now] = [cluster.log[i - 1]!, cluster.log[i]!];
        if (before[0] === now[0] || (now[0] === "-" && now.slice(1) !== before.slice(1))) problems.push(`${i}: ${before} then ${now}`);
      }
      expect(problems, cluster.log.join(" ")).toEqual([]);
      expect(cluster.log.length, "the topic emptied and filled again often").toBeGreaterThan(lingerMs > 0 ? 4 : 20);
      clients.forEach((client, i) => {
        expect(subscriptionProblems(framesOf(client)), `client ${i}`).toEqual([]);
        const producersByEpoch = new Map<string, Set<number>>();
        for (const seen of updates(client)) producersByEpoch.set(seen.epoch, (producersByEpoch.get(seen.epoch) ?? new Set()).add(seen.by));
        for (const [epoch, by] of producersByEpoch) expect([...by], `client ${i}, epoch ${epoch}`).toHaveLength(1);
      });
      await eventually(
        () => apps.every((app) => app.route.stats().broker?.feeds === 0 && app.route.stats().broker?.producing === 0),
        2_000,
        "no feed nor run left",
      );
      const admin = await redis.admin();
      expect(await admin.sendCommand(["PUBSUB", "SHARDCHANNELS"])).toEqual([]);
      await sleep(1_300); // holds lapse within 2 × leaseMs
      expect(await admin.sendCommand(["KEYS", "*"])).toEqual([]);
    },
  );
});

describe("the in-memory delivery rules over the Redis mirror", () => {
  it("what createTopic published before it settled follows the response, on the producer and on a process that joined meanwhile", async () => {
    const cluster = freshCluster();
    const a = await cluster.start("a", {
      onCreate: async (app, topic) => {
        const live = [...app.service.topics()].find((candidate) => candidate.topic === topic)!;
        for (let close = 1; close <= 3; close++) live.update(bar(close));
        await sleep(300);
        for (let close = 4; close <= 6; close++) live.update(bar(close));
      },
    });
    const b = await cluster.start("b");
    const ca = await connectRecorded(a.running.wsUrl("datafeed"));
    const answeredA = ca.subscribe("bars", { symbol: "AAPL" });
    await eventually(() => a.created.length === 1, 2_000, "a's createTopic");
    await sleep(100); // 1..3 are positioned in Redis; b joins while a's createTopic still runs
    const cb = await connectRecorded(b.running.wsUrl("datafeed"));
    const answeredB = cb.subscribe("bars", { symbol: "AAPL" });
    expect((await answeredA).payload).toMatchObject({ status: "ok", seq: 0 });
    expect((await answeredB).payload).toMatchObject({ status: "ok" });
    for (let close = 7; close <= 8; close++) await a.route.publish(REQUEST, bar(close));
    await eventually(() => updates(ca).at(-1)?.seq === 8 && updates(cb).at(-1)?.seq === 8, 3_000, "every update at both");
    expect(updates(ca).map((u) => u.close)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(subscriptionProblems(framesOf(ca))).toEqual([]);
    expect(subscriptionProblems(framesOf(cb))).toEqual([]);
  });

  it("latestValue with historySize 0: a process opening the topic sends its new subscriber the latest update, at the response's seq", async () => {
    const cluster = freshCluster();
    const a = await cluster.start("a", { route: { latestValue: true, historySize: 0 } });
    const c = await cluster.start("c", { route: { latestValue: true, historySize: 0 } });
    const ca = await subscribed(a);
    for (let close = 1; close <= 3; close++) await a.route.publish(REQUEST, bar(close));
    await eventually(() => updates(ca).length === 3, 2_000, "3 updates at a");
    const cc = await connectRecorded(c.running.wsUrl("datafeed"));
    expect((await cc.subscribe("bars", { symbol: "AAPL" })).payload).toMatchObject({ status: "ok", seq: 3 });
    await eventually(() => updates(cc).length === 1, 2_000, "the latest value at c");
    expect(updates(cc)[0]).toMatchObject({ seq: 3, close: 3 });
  });

  it.each(["a holder", "the producer"])(
    "lingerMs on %s: its only subscriber, back with since within the linger, recovers exactly what it missed",
    async (which) => {
      const cluster = freshCluster();
      const a = await cluster.start("a", { route: { lingerMs: 2_000 } });
      const b = await cluster.start("b", { route: { lingerMs: 2_000 } });
      const ca = await subscribed(a); // a produces
      const app = which === "a holder" ? b : a;
      let first = ca;
      if (which === "a holder") {
        // b's subscriber is then the only one anywhere: without b's linger the stream would end.
        first = await subscribed(b);
        await ca.close();
        await eventually(() => a.route.stats().subscriptions === 0, 2_000, "a's subscriber gone");
      }
      for (let close = 1; close <= 3; close++) await b.route.publish(REQUEST, bar(close));
      await eventually(() => updates(first).length === 3, 2_000, "3 updates");
      const last = updates(first).at(-1)!;
      first.socket.terminate();
      await eventually(() => app.route.stats().subscriptions === 0, 2_000, "the drop seen");
      for (let close = 4; close <= 8; close++) expect(await b.route.publish(REQUEST, bar(close))).toEqual({ status: "accepted" });
      await sleep(100);
      const back = await connectRecorded(app.running.wsUrl("datafeed"));
      const response = await back.subscribeSince("bars", { symbol: "AAPL" }, { epoch: last.epoch, seq: last.seq });
      expect(response.payload).toMatchObject({ status: "ok", recovered: true, seq: 8, epoch: last.epoch });
      await eventually(() => updates(back).length === 5, 2_000, "the replay");
      expect(updates(back).map((u) => u.close)).toEqual([4, 5, 6, 7, 8]);
      expect(cluster.log).toEqual(["+a"]);
    },
  );

  it("a since of the stream before a takeover is answered recovered: false, reason epoch, on the new producer and on a process opening it", async () => {
    const cluster = freshCluster();
    const a = await cluster.start("a", { publishEveryMs: 10 });
    const b = await cluster.start("b", { publishEveryMs: 10 });
    const c = await cluster.start("c");
    await subscribed(a);
    const cb = await subscribed(b);
    await eventually(() => updates(cb).length >= 5, 3_000, "updates flowing");
    const old = updates(cb).at(-1)!;
    await a.broker.close(); // a stalls: b takes over with a new epoch
    await eventually(() => updates(cb).some((u) => u.epoch !== old.epoch), 3_000, "the new epoch at b");
    for (const app of [b, c]) {
      const client = await connectRecorded(app.running.wsUrl("datafeed"));
      const response = await client.subscribeSince("bars", { symbol: "AAPL" }, { epoch: old.epoch, seq: old.seq });
      expect(response.payload, app.name).toMatchObject({ status: "ok", recovered: false, reason: "epoch" });
      expect(response.payload.epoch, app.name).not.toBe(old.epoch);
    }
  });

  it("100 KB multi-byte payloads on a topic whose JSON holds ':' and braces: the same bytes everywhere, and replayed alike from Redis", async () => {
    const Request = z.object({ key: z.string() });
    const Note = z.object({ text: z.string() });
    type Req = z.infer<typeof Request>;
    type NoteData = z.infer<typeof Note>;
    const NoteRoute = routeClass(Request, Note, "NoteRequest", "Note");
    const make = () =>
      new NoteRoute({ route: "notes", service: new RecordingService<Req, NoteData>(), historySize: 10, historyMaxBytes: 1 << 24 });
    const [routeA, routeB, routeC] = [make(), make(), make()];
    const [a, b, c] = [await startOther(routeA), await startOther(routeB), await startOther(routeC)];
    const key = { key: 'a:{"b":[1]}}:{' };
    const texts = ["é€😀\u2028".repeat(8_000), '\ud800 lone, \u0000 nul, " quote', "}:{b1:3:"];
    const ca = await connectRecorded(a.wsUrl("datafeed"));
    expect((await ca.subscribe("notes", key)).payload).toMatchObject({ status: "ok" });
    const cb = await connectRecorded(b.wsUrl("datafeed"));
    expect((await cb.subscribe("notes", key)).payload).toMatchObject({ status: "ok" });
    for (const text of texts) expect(await routeB.publish(key, { text })).toEqual({ status: "accepted" });
    const notes = (client: TestClient) =>
      framesOf(client)
        .filter((frame) => frame.type === "notes.update")
        .map((frame) => frame.payload.payload.text as string);
    await eventually(() => notes(ca).length === 3 && notes(cb).length === 3, 3_000, "3 notes at a and b");
    const epoch = framesOf(cb).find((frame) => frame.type === "notes.update")!.payload.epoch as string;
    const cc = await connectRecorded(c.wsUrl("datafeed"));
    const response = await cc.subscribeSince("notes", key, { epoch, seq: 0 });
    expect(response.payload).toMatchObject({ status: "ok", recovered: true, seq: 3 });
    await eventually(() => notes(cc).length === 3, 3_000, "the replay at c");
    const expected = texts.map((text) => JSON.parse(JSON.stringify(text)) as string);
    expect(notes(ca)).toEqual(expected);
    expect(notes(cb)).toEqual(expected);
    expect(notes(cc)).toEqual(expected);
  });

  it.each(["memory", "redis"])("publishing undefined (validateUpdates: false) never sends a frame that is not JSON (%s)", async (kind) => {
    const route = new BarWsRouter({ route: "bars", service: new RecordingService<BarSubscriptionRequest, Bar>(), validateUpdates: false });
    const running =
      kind === "redis"
        ? await startOther(route)
        : await startApp({ modules: [{ name: "datafeed", routes: [route] }], heartbeatInterval: 0 });
    if (kind === "memory") others.push({ running, broker: { close: () => Promise.resolve() } as RedisBroker });
    const socket = new WebSocket(running.wsUrl("datafeed"));
    const texts: string[] = [];
    socket.on("message", (data: Buffer) => texts.push(data.toString()));
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(JSON.stringify({ type: "bars.subscribe", payload: { symbol: "AAPL" }, id: "s" }));
    await eventually(() => texts.length === 1, 2_000, "the response");
    const answer = await route.publish(REQUEST, undefined as unknown as Bar).then(
      (result) => result,
      (error: unknown) => error,
    );
    await route.publish(REQUEST, bar(2));
    await eventually(() => texts.some((text) => text.includes('"close":2')), 2_000, "the next update");
    socket.close();
    const notJson = texts.filter((text) => {
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    });
    expect(notJson, `publish answered ${JSON.stringify(answer)}`).toEqual([]);
  });
});

describe("lag policies over the Redis mirror", () => {
  it.each(["conflate", "skip"] as const)(
    "%s: a client of a holder process that stops reading, then reads again, sees its updates in order, the newest last",
    async (lagPolicy) => {
      const cluster = freshCluster();
      const route = { lagPolicy, validateUpdates: false };
      const a = await cluster.start("a", { route });
      const b = await cluster.start("b", { route });
      await subscribed(a);
      const healthy = await subscribed(b);
      const lagging = await subscribed(b);
      const live = [...a.service.topics()][0]!;
      let published = 0;
      const publisher = setInterval(() => {
        for (let i = 0; i < 20; i++) live.update(bar((published += 1)));
      }, 2);
      try {
        lagging.socket.pause();
        await eventually(() => b.route.stats().laggingSubscribers === 1, 10_000, "the paused client found lagging");
        const detectedAt = published;
        await eventually(() => published >= detectedAt + 2_000, 10_000, "2,000 more updates");
      } finally {
        clearInterval(publisher);
      }
      await eventually(() => updates(healthy).at(-1)?.close === published, 10_000, "every update at the healthy client");
      lagging.socket.resume();
      await eventually(() => updates(lagging).at(-1)?.close === published, 10_000, "the newest at the lagging client");
      expect(subscriptionProblems(framesOf(healthy))).toEqual([]);
      expect(subscriptionProblems(framesOf(lagging), "bars", true)).toEqual([]);
    },
  );
});

describe("one process, several subscribes and apps", () => {
  it("30 first subscribes at once over three processes: createTopic exactly once", async () => {
    const cluster = freshCluster();
    const apps = [
      await cluster.start("a", { onCreate: async () => void (await sleep(100)) }),
      await cluster.start("b"),
      await cluster.start("c"),
    ];
    const clients = await Promise.all(
      apps.flatMap((app) => Array.from({ length: 10 }, () => connectRecorded(app.running.wsUrl("datafeed")))),
    );
    const replies = await Promise.all(clients.map((client) => client.subscribe("bars", { symbol: "AAPL" })));
    expect(replies.map((reply) => reply.payload.status as string)).toEqual(replies.map(() => "ok"));
    expect(cluster.log.filter((entry) => entry.startsWith("+"))).toHaveLength(1);
  });

  it("unsubscribe and subscribe again in the same turn, 30 times on the producing process: createTopic/removeTopic alternate, the last subscribe is live", async () => {
    const cluster = freshCluster();
    const a = await cluster.start("a", { publishEveryMs: 5 });
    const b = await cluster.start("b");
    const client = await subscribed(a);
    for (let i = 0; i < 30; i++) {
      const left = client.unsubscribe("bars", { symbol: "AAPL" });
      const back = client.subscribe("bars", { symbol: "AAPL" });
      expect((await left).payload).toMatchObject({ status: "ok" });
      expect((await back).payload).toMatchObject({ status: "ok" });
    }
    const count = updates(client).length;
    await eventually(() => updates(client).length >= count + 5, 3_000, "updates after the last subscribe");
    for (let i = 1; i < cluster.log.length; i++) expect(cluster.log[i]![0], cluster.log.join(" ")).not.toBe(cluster.log[i - 1]![0]);
    expect(subscriptionProblems(framesOf(client))).toEqual([]);
    expect(b.route.stats().broker?.feeds).toBe(0);
  });

  it("two apps in one process on one broker: one app's last subscriber leaving does not cut the other's off", async () => {
    const broker = await redisBroker({ url: redis.url, leaseMs: 600, tickMs: 100, log: () => undefined });
    const service1 = new RecordingService<BarSubscriptionRequest, Bar>();
    const service2 = new RecordingService<BarSubscriptionRequest, Bar>();
    const route1 = new BarWsRouter({ route: "bars", service: service1, historySize: 100 });
    const route2 = new BarWsRouter({ route: "bars", service: service2, historySize: 100 });
    const app1 = await startApp({
      modules: [{ name: "datafeed", routes: [route1] }],
      heartbeatInterval: 0,
      broker,
      onError: () => undefined,
    });
    const app2 = await startApp({
      modules: [{ name: "datafeed", routes: [route2] }],
      heartbeatInterval: 0,
      broker,
      onError: () => undefined,
    });
    others.push({ running: app1, broker }, { running: app2, broker });
    const c1 = await connectRecorded(app1.wsUrl("datafeed"));
    expect((await c1.subscribe("bars", { symbol: "AAPL" })).payload).toMatchObject({ status: "ok" });
    const c2 = await connectRecorded(app2.wsUrl("datafeed"));
    expect((await c2.subscribe("bars", { symbol: "AAPL" })).payload).toMatchObject({ status: "ok" });
    expect(await route1.publish(REQUEST, bar(1))).toEqual({ status: "accepted" });
    await eventually(() => updates(c2).length === 1, 2_000, "the first update at app2");
    await c1.close();
    await sleep(300);
    expect(await route2.publish(REQUEST, bar(2))).toEqual({ status: "accepted" });
    await eventually(() => updates(c2).length === 2, 2_000, "the update published after app1's subscriber left");
  });
});

describe("a slow pub/sub connection", () => {
  it("a first subscribe whose join reads the new epoch before its slow pub/sub delivers the old one: no old-epoch update after it, no duplicate", async () => {
    const cluster = freshCluster();
    const proxy = await startDelayProxy(redis.port);
    try {
      const a = await cluster.start("a", { publishEveryMs: 5 });
      const c = await cluster.start("c", { publishEveryMs: 5 });
      const b = await cluster.start("b", { broker: { url: `redis://127.0.0.1:${proxy.port}`, connectTimeoutMs: 5_000 } });
      await subscribed(a);
      await subscribed(c);
      // What Redis sends b's pub/sub connection reaches it 1.5 s late (a busy or far link); its commands are not slowed.
      proxy.delay("pubsub", 1_500, "down");
      const cb = await connectRecorded(b.running.wsUrl("datafeed"));
      const answered = cb.subscribe("bars", { symbol: "AAPL" });
      await sleep(50);
      await a.broker.close(); // a stalls: c takes over (x:reset, a new epoch) while b's join waits for its SSUBSCRIBE to be confirmed
      expect((await answered).payload).toMatchObject({ status: "ok" });
      await eventually(() => c.created.length === 1, 2_000, "c took over");
      await sleep(2_000); // what was in flight on b's pub/sub has arrived
      proxy.delay("pubsub", 0, "down");
      expect(subscriptionProblems(framesOf(cb)), epochRuns(updates(cb)).join(" ")).toEqual([]);
      expect(updates(cb).length).toBeGreaterThan(0);
    } finally {
      await cluster.stop();
      await proxy.close();
    }
  });
});
