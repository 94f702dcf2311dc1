/**
 * Adversarial races of the Redis broker (issue 13), several apps in one test
 * process on one real redis-server (tests/support/cluster-apps.ts): a reset
 * racing a feed's resync or a slow pub/sub, a subscribe while the producer
 * retires or hands over, a takeover whose createTopic fails, an unsubscribe
 * whose reply comes late, two apps on one broker, and join/leave churn
 * across three apps. The delivery rules over the Redis mirror are in
 * cluster-edges-delivery.test.ts.
 */
import { describe, expect, it } from "vitest";
import { redisBroker } from "wsgen/redis";
import { TestClient } from "./support/client.js";
import {
  REQUEST,
  connectRecorded,
  epochRuns,
  failingTakeover,
  framesOf,
  subscribed,
  subscriptionProblems,
  updates,
  type ClusterApp,
} from "./support/cluster-apps.js";
import { sleep, useClusterSuite } from "./support/cluster-suite.js";
import { Bar, BarSubscriptionRequest, BarWsRouter, RecordingService, bar } from "./support/fixtures.js";
import { eventually, startApp } from "./support/server.js";

const suite = useClusterSuite();

/** The lease's state in Redis (`st`: creating | live | retiring), or undefined when none is held. */
async function leaseState(): Promise<string | undefined> {
  const admin = await suite.redis.admin();
  const [key] = await admin.sendCommand<string[]>(["KEYS", "*:l"]);
  return key === undefined ? undefined : ((await admin.sendCommand<string | null>(["HGET", key, "st"])) ?? undefined);
}

describe("resync, takeover, retire and handover races", () => {
  it("a takeover while a feed resyncs: old-epoch updates buffered before the reset never follow the new epoch's, none is sent twice", async () => {
    await suite.withProxy(async (cluster, proxy) => {
      const a = await cluster.start("a", { publishEveryMs: 5 });
      const c = await cluster.start("c", { publishEveryMs: 5 });
      const b = await cluster.start("b", { broker: { url: `redis://127.0.0.1:${proxy.port}` } });
      await subscribed(a);
      await subscribed(c);
      const cb = await subscribed(b);
      await eventually(() => updates(cb).length >= 10, 3_000, "updates flowing to b");
      // b's scripts (its sync among them) reach Redis 1.5 s late; its pub/sub connection is not slowed.
      proxy.delay("commands", 1_500);
      await suite.killPubsub(b);
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
    });
  });

  it("a subscribe on another process while the producer retires (st=retiring) is answered, and createTopic/removeTopic alternate", async () => {
    const cluster = suite.fresh();
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
    await suite.withProxy(async (cluster, proxy) => {
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
    });
  });

  it("a takeover whose createTopic fails is reported (onError), not retried silently at every tick", async () => {
    const { b, cb } = await failingTakeover(suite.fresh());
    await eventually(() => b.created.length >= 1, 2_000, "b's takeover");
    await sleep(1_000);
    const attempts = b.created.length;
    expect(
      b.errors.map((error) => (error as { code?: string }).code),
      `after ${attempts} createTopic attempts in ~1 s, b's subscriber (${JSON.stringify(cb.frames.at(-1)?.type)}) left as it was`,
    ).toContain("ERR_SERVICE_FAILED");
  });
});

describe("join/leave churn across three apps", () => {
  it.each([0, 30])(
    "for 3 s under a ticking producer, lingerMs %i: createTopic/removeTopic alternate cluster-wide, one producer per epoch, nothing leaks",
    async (lingerMs) => {
      const cluster = suite.fresh();
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
      expect(cluster.log.length, "the topic emptied and filled again often").toBeGreaterThan(lingerMs > 0 ? 2 : 20);
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
      const admin = await suite.redis.admin();
      expect(await admin.sendCommand(["PUBSUB", "SHARDCHANNELS"])).toEqual([]);
      await sleep(1_300); // holds lapse within 2 × leaseMs
      expect(await admin.sendCommand(["KEYS", "*"])).toEqual([]);
    },
  );
});

describe("one process, several subscribes and apps", () => {
  it("30 first subscribes at once over three processes: createTopic exactly once", async () => {
    const cluster = suite.fresh();
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
    const cluster = suite.fresh();
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
    const broker = await redisBroker({ url: suite.redis.url, leaseMs: 600, tickMs: 100, log: () => undefined });
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
    suite.stopAfter(app1);
    suite.stopAfter(app2, broker);
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
    await suite.withProxy(async (cluster, proxy) => {
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
    });
  });
});

describe("a slow pub/sub reply", () => {
  it("a resubscribe after an unsubscribe whose SUNSUBSCRIBE reply came after connectTimeoutMs is refused or gets the topic's updates, never deaf", async () => {
    await suite.withProxy(async (cluster, proxy) => {
      const a = await cluster.start("a");
      const b = await cluster.start("b", { broker: { url: `redis://127.0.0.1:${proxy.port}`, connectTimeoutMs: 300 } });
      await subscribed(a);
      const cb = await subscribed(b);
      // b's pub/sub replies now come 600 ms late: its SUNSUBSCRIBE's reply outlives the 300 ms bound.
      proxy.delay("pubsub", 600, "down");
      expect((await cb.unsubscribe("bars", { symbol: "AAPL" })).payload).toMatchObject({ status: "ok" });
      await eventually(() => b.route.stats().broker?.feeds === 0, 2_000, "b's feed closed");
      // Redis answering slower than connectTimeoutMs: refused, or answered ok — but never ok and then deaf.
      const during = (await cb.subscribe("bars", { symbol: "AAPL" })).payload as { status: string; code?: string };
      await sleep(800); // the late SUNSUBSCRIBE reply has come
      proxy.delay("pubsub", 0, "down");
      if (during.status !== "ok") {
        expect(during).toMatchObject({ status: "error", code: "subscription_refused" });
        await eventually(() => b.route.stats().broker?.feeds === 0, 2_000, "the refused feed closed");
        expect((await cb.subscribe("bars", { symbol: "AAPL" })).payload).toMatchObject({ status: "ok" });
      }
      const admin = await suite.redis.admin();
      const [channel] = await admin.sendCommand<string[]>(["PUBSUB", "SHARDCHANNELS", "*:c"]);
      const subscribers = await admin.sendCommand<[string, number]>(["PUBSUB", "SHARDNUMSUB", channel!]);
      for (let close = 1; close <= 3; close++) await a.route.publish(REQUEST, bar(close));
      await eventually(() => updates(cb).length === 3, 2_000, `the updates at b (SHARDNUMSUB ${JSON.stringify(subscribers)})`);
    });
  });
});
