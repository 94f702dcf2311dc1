/**
 * The in-memory delivery rules (docs/protocol.md, Delivery and Ordering)
 * over the Redis broker's mirror, several apps in one test process on one
 * real redis-server (tests/support/cluster-apps.ts): createTopic's own
 * updates, latest value, linger, since after a takeover, big and odd
 * payloads, lag policies, data that is not JSON, a producer without local
 * subscribers, and app.close() bounded by closeTimeout.
 */
import WebSocket from "ws";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { redisBroker } from "wsgen/redis";
import { TestClient } from "./support/client.js";
import { REQUEST, connectRecorded, framesOf, settledWithin, subscribed, subscriptionProblems, updates } from "./support/cluster-apps.js";
import { sleep, useClusterSuite } from "./support/cluster-suite.js";
import { Bar, BarSubscriptionRequest, BarWsRouter, RecordingService, bar, routeClass } from "./support/fixtures.js";
import { eventually, startApp } from "./support/server.js";

const suite = useClusterSuite();

describe("a producer without local subscribers", () => {
  it("route.publish with the request createTopic was handed (a schema that transforms it) on the producing process", async () => {
    const Request = z.object({ ids: z.string().transform((s) => s.split(",")) });
    type Request = z.output<typeof Request>;
    const Route = routeClass(Request, Bar, "IdsRequest", "Bar");
    const serviceA = new RecordingService<Request, Bar>();
    const routeA = new Route({ route: "baskets", service: serviceA });
    const a = await suite.startOther(routeA);
    const b = await suite.startOther(new Route({ route: "baskets", service: new RecordingService<Request, Bar>() }));
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

describe("the in-memory delivery rules over the Redis mirror", () => {
  it("what createTopic published before it settled follows the response, on the producer and on a process that joined meanwhile", async () => {
    const cluster = suite.fresh();
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
    const cluster = suite.fresh();
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
      const cluster = suite.fresh();
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
    const cluster = suite.fresh();
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
    const [a, b, c] = [await suite.startOther(routeA), await suite.startOther(routeB), await suite.startOther(routeC)];
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
        ? await suite.startOther(route)
        : await startApp({ modules: [{ name: "datafeed", routes: [route] }], heartbeatInterval: 0 });
    if (kind === "memory") suite.stopAfter(running);
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
      const cluster = suite.fresh();
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

describe("app.close()", () => {
  it.each(["memory", "redis"])("is bounded by closeTimeout while a createTopic never settles (%s)", async (kind) => {
    const service = new RecordingService<BarSubscriptionRequest, Bar>();
    service.createBehaviour = () => new Promise<void>(() => undefined); // an upstream that never answers
    const route = new BarWsRouter({ route: "bars", service });
    const broker =
      kind === "redis" ? await redisBroker({ url: suite.redis.url, leaseMs: 600, tickMs: 100, log: () => undefined }) : undefined;
    const running = await startApp({
      modules: [{ name: "datafeed", routes: [route] }],
      heartbeatInterval: 0,
      closeTimeout: 100,
      ...(broker !== undefined ? { broker } : {}),
      onError: () => undefined,
    });
    try {
      const client = await TestClient.connect(running.wsUrl("datafeed"));
      void client.subscribe("bars", { symbol: "AAPL" }).catch(() => undefined);
      await eventually(() => service.calls.length === 1, 2_000, "createTopic started");
      const outcome = await settledWithin(running.stop(), 3_000);
      expect(outcome, "app.close() still pending 3 s later, with closeTimeout 100").not.toBe("pending");
    } finally {
      await broker?.close();
    }
  });
});
