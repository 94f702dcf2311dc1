/**
 * A second adversarial review of the Redis broker (issue 13), after the
 * first review's fixes: the epoch rule of topic-feed.ts (a feed changes
 * epoch only on a script read or an x:reset) under resyncs that overlap a
 * pub/sub reconnect or two takeovers, a takeover whose createTopic fails
 * (publish from anywhere, its backoff), a pub/sub outage as the last
 * subscriber leaves, a handover, and the counters behind wsgen_broker_*. Several apps in one test process on one real
 * redis-server (tests/support/cluster-apps.ts).
 */
import { describe, expect, it } from "vitest";
import { REQUEST, epochRuns, failingTakeover, framesOf, subscribed, subscriptionProblems, updates } from "./support/cluster-apps.js";
import { sleep, useClusterSuite } from "./support/cluster-suite.js";
import { bar } from "./support/fixtures.js";
import { eventually } from "./support/server.js";

const suite = useClusterSuite();

describe("the epoch rule", () => {
  it("a pub/sub reconnect while a resync's reply is on its way, with a takeover in between: the feed reaches the new epoch", async () => {
    await suite.withProxy(async (cluster, proxy) => {
      const a = await cluster.start("a", { publishEveryMs: 10 });
      const c = await cluster.start("c", { publishEveryMs: 10 });
      const b = await cluster.start("b", { broker: { url: `redis://127.0.0.1:${proxy.port}`, connectTimeoutMs: 10_000 } });
      await subscribed(a);
      await subscribed(c);
      const cb = await subscribed(b);
      await eventually(() => updates(cb).length >= 5, 3_000, "updates flowing to b");
      // A first resync with no delay, so Redis has the sync script cached (else its EVALSHA's NOSCRIPT delays the read itself).
      await suite.killPubsub(b);
      await eventually(() => (b.route.stats().broker?.feedResyncs ?? 0) >= 1, 2_000, "b's first resync");
      await sleep(100);
      // Redis's replies to b's scripts (its sync among them) reach b 3 s late: the sync reads the stream now, b learns it later.
      proxy.delay("commands", 3_000, "down");
      await suite.killPubsub(b);
      await eventually(
        () => b.broker.stats().reconnects >= 2 && b.broker.stats().connections.pubsub === "ready",
        1_000,
        "b's pub/sub back",
      );
      // b's sync is in flight. Its pub/sub drops again, and takes ~1.5 s to come back (a slow handshake)…
      proxy.delay("pubsub", 1_500, "up");
      await suite.killPubsub(b);
      // …during which a stalls and c takes over: the x:reset of the new epoch never reaches b.
      await a.broker.close();
      await eventually(() => c.created.length === 1, 2_000, "c took over");
      await eventually(() => b.broker.stats().reconnects >= 3, 3_000, "b's pub/sub back again");
      proxy.delay("pubsub", 0, "up");
      proxy.delay("commands", 0, "down");
      const oldEpoch = updates(cb)[0]!.epoch;
      // Expected: b learns the new epoch (a resync, or the reset) and delivers c's updates. Observed: every one dropped as stale.
      await eventually(
        () => updates(cb).some((u) => u.epoch !== oldEpoch),
        5_000,
        `the new epoch at b (b: ${epochRuns(updates(cb)).join(" ")})`,
      );
      expect(subscriptionProblems(framesOf(cb), "bars", true)).toEqual([]);
    });
  });

  it("two takeovers while one resync's read is on its way: no update of the epoch in between after the newer one, none sent twice", async () => {
    await suite.withProxy(async (cluster, proxy) => {
      const a = await cluster.start("a", { publishEveryMs: 10 });
      const c = await cluster.start("c", { publishEveryMs: 10 });
      const d = await cluster.start("d", { publishEveryMs: 10 });
      const b = await cluster.start("b", { broker: { url: `redis://127.0.0.1:${proxy.port}`, connectTimeoutMs: 10_000 } });
      await subscribed(a);
      const cc = await subscribed(c);
      const cd = await subscribed(d);
      const cb = await subscribed(b);
      await eventually(() => updates(cb).length >= 5, 3_000, "updates flowing to b");
      // b's scripts reach Redis 4 s late: its sync reads the stream after both takeovers; its pub/sub buffers both resets meanwhile.
      proxy.delay("commands", 4_000);
      await suite.killPubsub(b);
      await eventually(
        () => b.broker.stats().connections.pubsub === "ready" && b.broker.stats().reconnects >= 1,
        1_000,
        "b's pub/sub back",
      );
      await a.broker.close(); // first takeover (epoch 2), by c or d
      await eventually(() => c.created.length + d.created.length === 1, 2_000, "the first takeover");
      await sleep(200);
      const second = c.created.length === 1 ? c : d;
      await second.broker.close(); // second takeover (epoch 3), by the other one
      await eventually(() => c.created.length + d.created.length === 2, 2_000, "the second takeover");
      await sleep(300);
      proxy.delay("commands", 0);
      // b reaches the newest epoch (the last producer's), whether or not it ever saw the one in between.
      const newest = (): string | undefined => updates(second === c ? cd : cc).at(-1)?.epoch;
      await eventually(() => updates(cb).at(-1)?.epoch === newest(), 6_000, "the newest epoch at b");
      await sleep(300);
      // Expected: epoch 2's updates (if any) before epoch 3's, none twice. Observed: epoch 3's window, epoch 2, epoch 3 again from seq 1.
      expect(subscriptionProblems(framesOf(cb), "bars", true), epochRuns(updates(cb)).join(" ")).toEqual([]);
    });
  });
});

describe("broker counters", () => {
  it("wsgen_broker_feed_gaps_total (stats().broker.feedGaps) never goes down: not when the feed that counted a gap closes", async () => {
    await suite.withProxy(async (cluster, proxy) => {
      // No history in Redis: what b's pub/sub misses during a reconnect cannot be read back, a visible gap.
      const options = { publishEveryMs: 5, route: { historySize: 0 } };
      const a = await cluster.start("a", options);
      const b = await cluster.start("b", { ...options, broker: { url: `redis://127.0.0.1:${proxy.port}` } });
      await subscribed(a);
      const cb = await subscribed(b);
      await eventually(() => updates(cb).length >= 5, 3_000, "updates flowing to b");
      proxy.delay("pubsub", 300, "up"); // b's pub/sub takes 300 ms to come back: a's updates meanwhile are lost to it
      await suite.killPubsub(b);
      await eventually(() => (b.route.stats().broker?.feedGaps ?? 0) > 0, 3_000, "a gap counted at b");
      proxy.delay("pubsub", 0, "up");
      const counted = b.route.stats().broker!.feedGaps!;
      expect((await cb.unsubscribe("bars", { symbol: "AAPL" })).payload).toMatchObject({ status: "ok" });
      await eventually(() => b.route.stats().broker?.feeds === 0, 2_000, "b's feed closed");
      // A Prometheus counter: observed 0 once the feed closed (stats() sums the open feeds' counts).
      expect(b.route.stats().broker!.feedGaps).toBeGreaterThanOrEqual(counted);
    });
  });
});

describe("a takeover whose createTopic fails", () => {
  it("route.publish while subscribers hold the topic during the takeover's backoff is not answered not_live (docs: only when nobody subscribes)", async () => {
    const { b } = await failingTakeover(suite.fresh());
    await eventually(() => b.errors.length >= 1, 2_000, "b's failed takeover reported");
    // b's subscriber is still subscribed; docs/scale-out.md: not_live "when nobody anywhere subscribes to it".
    expect(await b.route.publish(REQUEST, bar(1))).toEqual({ status: "accepted" });
  });

  it("once the service is back, a topic whose takeovers failed gets a producer within leaseMs + tickMs (+ one createTopic), not after a 30 s backoff", async () => {
    const cluster = suite.fresh();
    let down = true;
    let produced = 0;
    const a = await cluster.start("a");
    const b = await cluster.start("b", {
      onCreate: () => {
        if (down) throw new Error("upstream down");
        produced += 1;
      },
    });
    await subscribed(a);
    const cb = await subscribed(b);
    await a.broker.close();
    await eventually(() => b.created.length >= 1, 2_000, "b's first takeover attempt");
    // Attempts at ~0, 0.6, 1.8, 4.2 s: the backoff doubles from leaseMs (600 ms here), up to 30 s.
    await eventually(() => b.created.length >= 4, 6_000, "b's fourth attempt");
    await sleep(100);
    down = false;
    const back = Date.now();
    const attempts = b.created.length;
    await sleep(1_500); // leaseMs 600 + tickMs 100, with room to spare
    expect(
      produced,
      `${attempts} failed attempts; ${Date.now() - back} ms after the service came back b still does not produce (updates at b: ${updates(cb).length})`,
    ).toBe(1);
  });
});

describe("a takeover while the pub/sub connection is down", () => {
  it("is not reported as a failed createTopic (none ran), and the topic gets a producer soon after the connection is back", async () => {
    await suite.withProxy(async (cluster, proxy) => {
      const a = await cluster.start("a");
      const b = await cluster.start("b", { broker: { url: `redis://127.0.0.1:${proxy.port}` } });
      await subscribed(a);
      await subscribed(b);
      proxy.delay("pubsub", 1_500, "up"); // b's pub/sub takes ~1.5 s to come back; its commands are not slowed
      await suite.killPubsub(b);
      await a.broker.close(); // a stalls: b's tick takes the lapsed lease while its pub/sub is down
      await sleep(1_000);
      const reported = b.errors.map((error) => `${(error as { code?: string }).code}: ${(error as Error).message}`);
      expect(b.created, "b's createTopic never ran").toEqual([]);
      expect(
        reported.filter((line) => line.includes("createTopic")),
        "an error blaming a createTopic that never ran",
      ).toEqual([]);
      proxy.delay("pubsub", 0, "up");
      await eventually(() => b.broker.stats().connections.pubsub === "ready", 3_000, "b's pub/sub back");
      const back = Date.now();
      await eventually(() => b.created.length === 1, 1_500, "b produces within leaseMs + tickMs of its pub/sub coming back");
      expect(Date.now() - back).toBeLessThan(1_500);
    });
  });
});

describe("interest-driven routing across a pub/sub outage", () => {
  it("the last subscriber leaving while the pub/sub connection is down: the channel is not subscribed again when it comes back", async () => {
    await suite.withProxy(async (cluster, proxy) => {
      const a = await cluster.start("a", { publishEveryMs: 20 });
      const b = await cluster.start("b", { broker: { url: `redis://127.0.0.1:${proxy.port}` } });
      await subscribed(a);
      const cb = await subscribed(b);
      const admin = await suite.redis.admin();
      const [channel] = await admin.sendCommand<string[]>(["PUBSUB", "SHARDCHANNELS", "*:c"]);
      expect(await admin.sendCommand(["PUBSUB", "SHARDNUMSUB", channel!])).toEqual([channel, 2]);
      proxy.delay("pubsub", 1_000, "up"); // b's pub/sub takes ~1 s to come back
      await suite.killPubsub(b);
      await eventually(() => b.broker.stats().connections.pubsub !== "ready", 1_000, "b's pub/sub down");
      expect((await cb.unsubscribe("bars", { symbol: "AAPL" })).payload).toMatchObject({ status: "ok" });
      await eventually(() => b.route.stats().broker?.feeds === 0, 2_000, "b's feed closed");
      await eventually(() => b.broker.stats().connections.pubsub === "ready", 3_000, "b's pub/sub back");
      proxy.delay("pubsub", 0, "up");
      await sleep(1_500); // well past a reconnect's resubscribe: not a transient state
      // Only a subscribes now; b holds nothing of the topic and must receive none of its traffic.
      expect(await admin.sendCommand(["PUBSUB", "SHARDNUMSUB", channel!])).toEqual([channel, 1]);
    });
  });
});

describe("a handover on app.close()", () => {
  it("the next producer continues the same epoch without a gap or a duplicate, and it is not counted as a takeover of a lapsed lease", async () => {
    const cluster = suite.fresh();
    const a = await cluster.start("a", { publishEveryMs: 2 });
    const b = await cluster.start("b", { publishEveryMs: 2 });
    await subscribed(a);
    const cb = await subscribed(b);
    await eventually(() => updates(cb).length >= 20, 3_000, "updates flowing to b");
    await a.running.stop(); // a graceful stop: a hands the topic over to b
    await eventually(() => b.created.length === 1, 2_000, "b produces");
    await eventually(() => updates(cb).filter((u) => u.by === 2).length >= 20, 3_000, "b's updates");
    expect(new Set(updates(cb).map((u) => u.epoch)).size, epochRuns(updates(cb)).join(" ")).toBe(1);
    expect(subscriptionProblems(framesOf(cb))).toEqual([]);
    // wsgen_broker_takeovers_total: "Lapsed producer leases this process took over (a new epoch)".
    expect(b.route.stats().broker?.takeovers).toBe(0);
  });
});
