/**
 * Topic lifecycle: reference counting of createTopic/removeTopic over real
 * sockets, also while a creation is pending, and its invariants under random
 * operation sequences.
 */
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RouteClient } from "../packages/wsgen/src/runtime/route.js";
import { BarWsRouter, RecordingService, type Bar, type BarSubscriptionRequest } from "./support/fixtures.js";
import { TestClient } from "./support/client.js";
import { startMarketApp } from "./support/market-app.js";
import { eventually, type RunningApp } from "./support/server.js";

const AAPL = 'bars:{"resolution":"1D","symbol":"AAPL"}';

let running: RunningApp;
let bars: RecordingService<BarSubscriptionRequest, Bar>;
const reported: unknown[] = [];

beforeEach(async () => {
  ({ running, bars } = await startMarketApp(reported));
});
afterEach(() => running.stop());

const connect = (module = "datafeed"): Promise<TestClient> => TestClient.connect(running.wsUrl(module));
const barStats = () => running.app.stats().modules.datafeed!.routes.bars!;

describe("reference counting", () => {
  it("calls createTopic once for two clients on one topic, and removeTopic once when both leave", async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    await Promise.all([a.subscribe("bars", { symbol: "AAPL" }), b.subscribe("bars", { symbol: "AAPL", resolution: "1D" })]);
    expect(bars.calls).toEqual([{ kind: "create", topic: AAPL }]);

    expect((await a.unsubscribe("bars", { symbol: "AAPL" })).payload.status).toBe("ok");
    expect(bars.count("remove")).toBe(0);
    expect((await b.unsubscribe("bars", { symbol: "AAPL" })).payload.status).toBe("ok");
    expect(bars.calls).toEqual([
      { kind: "create", topic: AAPL },
      { kind: "remove", topic: AAPL },
    ]);
  });

  it("keeps the topic when one of two disconnects, removes it once when the other does", async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    await a.subscribe("bars", { symbol: "AAPL" });
    await b.subscribe("bars", { symbol: "AAPL" });
    await a.close();
    await eventually(() => barStats().subscriptions === 1, 2_000, "a released");
    expect(bars.count("remove")).toBe(0);
    b.socket.terminate();
    await eventually(() => bars.count("remove") === 1, 2_000, "removeTopic");
    expect(barStats()).toMatchObject({ topics: 0, subscriptions: 0 });
  });

  it("counts a client subscribing twice once", async () => {
    const client = await connect();
    await client.subscribe("bars", { symbol: "AAPL" });
    const again = await client.subscribe("bars", { symbol: "AAPL" });
    expect(again.payload).toMatchObject({ status: "ok", message: "already subscribed", topic: AAPL });
    expect(barStats().subscriptions).toBe(1);
    await client.unsubscribe("bars", { symbol: "AAPL" });
    expect(bars.calls.map((call) => call.kind)).toEqual(["create", "remove"]);
    expect((await client.unsubscribe("bars", { symbol: "AAPL" })).payload.status).toBe("error");
  });

  it("waits for a slow createTopic once for everyone who subscribes meanwhile", async () => {
    let finish!: () => void;
    bars.createBehaviour = () => new Promise<void>((resolve) => (finish = resolve));
    const [a, b] = await Promise.all([connect(), connect()]);
    const replies = Promise.all([a.subscribe("bars", { symbol: "AAPL" }), b.subscribe("bars", { symbol: "AAPL" })]);
    await eventually(() => bars.calls.length === 1, 2_000, "createTopic");
    finish();
    const [ra, rb] = await replies;
    expect([ra.payload.status, rb.payload.status]).toEqual(["ok", "ok"]);
    expect(bars.count("create")).toBe(1);
  });

  it("removes a topic whose subscribers all left while createTopic was pending", async () => {
    let finish!: () => void;
    bars.createBehaviour = () => new Promise<void>((resolve) => (finish = resolve));
    const client = await connect();
    client.send({ type: "bars.subscribe", payload: { symbol: "AAPL" } });
    await eventually(() => bars.calls.length === 1, 2_000, "createTopic");
    client.socket.terminate();
    await eventually(() => barStats().subscriptions === 0, 2_000, "released");
    finish();
    await eventually(() => bars.count("remove") === 1, 2_000, "removeTopic after creation");
    expect(barStats().topics).toBe(0);
  });

  it("does not let a subscribe queued behind a slow one take a topic after the socket closed", async () => {
    let finish!: () => void;
    bars.createBehaviour = (topic) => (topic.includes("SLOW") ? new Promise<void>((resolve) => (finish = resolve)) : undefined);
    const client = await connect();
    client.send({ type: "bars.subscribe", payload: { symbol: "SLOW" } });
    client.send({ type: "bars.subscribe", payload: { symbol: "FAST" } });
    await eventually(() => bars.calls.length === 1, 2_000, "slow create started");
    client.socket.terminate();
    // The server has seen the close (and released the connection) before the slow create finishes.
    await eventually(() => running.app.stats().modules.datafeed!.connections === 0, 2_000, "the close seen by the server");
    finish();
    await eventually(() => bars.count("remove") === 1, 2_000, "slow topic removed");
    // Absence: FAST runs in the connection's queue right after SLOW settles; the pause only widens the window for a regression.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(bars.calls.map((call) => `${call.kind} ${call.topic}`)).toEqual([
      'create bars:{"resolution":"1D","symbol":"SLOW"}',
      'remove bars:{"resolution":"1D","symbol":"SLOW"}',
    ]);
    expect(running.app.stats().modules.datafeed?.routes.bars).toMatchObject({ topics: 0, subscriptions: 0 });
  });
});

describe("invariants under random operation sequences", () => {
  /** An in-memory subscriber: the route only needs an id and a frame sink. */
  const fakeSubscriber = (id: string): RouteClient<unknown> => ({ id, user: null, isOpen: true, writeFrames: () => 0 });

  const operation = fc.record({
    client: fc.integer({ min: 0, max: 3 }),
    action: fc.constantFrom("subscribe", "unsubscribe", "disconnect" as const),
    symbol: fc.constantFrom("AAPL", "MSFT", "TSLA"),
    createFails: fc.boolean(),
    createDelay: fc.constantFrom(0, 0, 1),
  });

  it("1,000 random subscribe/unsubscribe/disconnect sequences end with zero topics and balanced create/remove", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 30 }), async (operations) => {
        const service = new RecordingService<BarSubscriptionRequest, Bar>();
        const route = new BarWsRouter({ route: "bars", service });
        route.mount({ module: "fuzz", reportError: () => undefined });
        let fails = false;
        service.createBehaviour = async () => {
          const failing = fails;
          await new Promise((resolve) => setImmediate(resolve));
          if (failing) throw new Error("refused");
        };
        let subscribers = [0, 1, 2, 3].map((i) => fakeSubscriber(`c${i}`));
        const pending: Promise<unknown>[] = [];
        for (const op of operations) {
          fails = op.createFails && op.symbol === "TSLA";
          const subscriber = subscribers[op.client]!;
          if (op.action === "subscribe") pending.push(route.subscribe(subscriber, { symbol: op.symbol }));
          else if (op.action === "unsubscribe") route.unsubscribe(subscriber, { symbol: op.symbol });
          else {
            route.release(subscriber);
            subscribers = subscribers.map((s, i) => (i === op.client ? fakeSubscriber(`c${i}'`) : s));
          }
          if (op.createDelay > 0) await new Promise((resolve) => setImmediate(resolve));
        }
        await Promise.all(pending);
        for (const subscriber of subscribers) route.release(subscriber);
        // Let pending creations settle and the removals they trigger run.
        for (let i = 0; i < 4; i++) await new Promise((resolve) => setImmediate(resolve));
        expect(route.stats()).toMatchObject({ topics: 0, subscriptions: 0 });
        // Every successful create is matched by exactly one remove, per topic, in alternation.
        const live = new Set<string>();
        for (const call of service.calls) {
          if (call.kind === "create") {
            expect(live.has(call.topic)).toBe(false);
            live.add(call.topic);
          } else {
            // A failed create is closed by its failure, a live one by exactly one remove.
            expect(live.delete(call.topic)).toBe(true);
          }
        }
        expect(live.size).toBe(0);
        expect(service.live.size).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });

  /**
   * A bars route whose removeTopic waits until the test calls `finishRemoval`, with `a` subscribed and
   * then gone (its topic removing), and `b` subscribed behind that removal.
   */
  async function queuedBehindSlowRemoval() {
    const events: string[] = [];
    const removal: { finish: () => void } = { finish: () => undefined };
    const service = {
      createTopic: (topic: string) => void events.push(`create ${topic}`),
      removeTopic: (topic: string) =>
        new Promise<void>((resolve) => {
          events.push(`remove ${topic}`);
          removal.finish = () => {
            events.push(`removed ${topic}`);
            resolve();
          };
        }),
    };
    const route = new BarWsRouter({ route: "bars", service });
    route.mount({ module: "lifecycle", reportError: () => undefined });
    const [a, b] = [fakeSubscriber("a"), fakeSubscriber("b")];
    expect(await route.subscribe(a, { symbol: "AAPL" })).toMatchObject({ status: "ok" });
    route.unsubscribe(a, { symbol: "AAPL" }); // removing, slowly
    const queued = route.subscribe(b, { symbol: "AAPL" }); // a new generation, waiting for the removal
    return { events, route, a, b, queued, finishRemoval: () => removal.finish() };
  }

  it("shutdown waits for a removal a new subscriber is queued behind, and starts no creation after it began", async () => {
    const { events, route, queued, finishRemoval } = await queuedBehindSlowRemoval();
    let shutDown = false;
    // A close timeout far shorter than the removal: it bounds the wait for creations, never for removals.
    const shutdown = route.shutdown(1).then(() => (shutDown = true));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(shutDown).toBe(false);
    finishRemoval();
    await shutdown;
    expect(await queued).toMatchObject({ status: "error", message: "subscription refused: the route is shutting down" });
    expect(events).toEqual([`create ${AAPL}`, `remove ${AAPL}`, `removed ${AAPL}`]);
    expect(route.stats()).toMatchObject({ topics: 0, subscriptions: 0 });
  });

  it("creates no topic whose subscribers all left while it waited for the previous removal", async () => {
    const { events, route, a, b, queued, finishRemoval } = await queuedBehindSlowRemoval();
    route.release(b); // b disconnects before the removal settles
    finishRemoval();
    expect(await queued).toMatchObject({ status: "error", message: "subscription refused: every subscriber left" });
    expect(events).toEqual([`create ${AAPL}`, `remove ${AAPL}`, `removed ${AAPL}`]);
    expect(route.stats()).toMatchObject({ topics: 0, subscriptions: 0 });
    // The next subscriber starts a fresh generation.
    expect(await route.subscribe(a, { symbol: "AAPL" })).toMatchObject({ status: "ok", message: "subscribed" });
    expect(events).toEqual([`create ${AAPL}`, `remove ${AAPL}`, `removed ${AAPL}`, `create ${AAPL}`]);
  });

  it("lets a topic live again after removeTopic threw and the reporter threw too", async () => {
    const service = { createTopic: () => undefined, removeTopic: () => Promise.reject(new Error("remove failed")) };
    const route = new BarWsRouter({ route: "bars", service });
    route.mount({
      module: "lifecycle",
      reportError: () => {
        throw new Error("the reporter is broken");
      },
    });
    const a = fakeSubscriber("a");
    expect(await route.subscribe(a, { symbol: "AAPL" })).toMatchObject({ status: "ok" });
    route.unsubscribe(a, { symbol: "AAPL" });
    expect(await route.subscribe(a, { symbol: "AAPL" })).toMatchObject({ status: "ok", message: "subscribed" });
    expect(route.stats()).toMatchObject({ topics: 1, subscriptions: 1 });
  });

  /**
   * The invariants TopicLifecycle states (src/runtime/topic-lifecycle.ts), checked from the service's side:
   * slow creations and removals, failing creations, late updates from every generation ever created, and a
   * shutdown at a random point; with no linger, a tiny one (whose timers fire between the operations) and
   * one far longer than the test (which only shutdown ends).
   */
  it("keeps the topic lifecycle's invariants with slow services, late updates and a shutdown at any point", async () => {
    // Shutdown is rarer than the rest, so that most sequences do a lot before it (a closed route no longer lingers).
    const lifecycleOp = fc.oneof(
      { arbitrary: operation, weight: 4 },
      {
        arbitrary: fc.record({ action: fc.constant("update" as const), generation: fc.nat(), symbol: fc.constantFrom("AAPL", "MSFT") }),
        weight: 2,
      },
      { arbitrary: fc.record({ action: fc.constant("shutdown" as const) }), weight: 1 },
      // Time for creations to settle (so topics go live, and linger when left) and for a tiny linger to run out.
      { arbitrary: fc.record({ action: fc.constant("pause" as const), ms: fc.constantFrom(0, 2) }), weight: 2 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(lifecycleOp, { maxLength: 30 }),
        fc.array(fc.constantFrom(0, 1, 2), { minLength: 8, maxLength: 8 }),
        fc.constantFrom(0, 1, 60_000),
        async (operations, delays, lingerMs) => {
          const turns = async (count: number): Promise<void> => {
            for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
          };
          let delayIndex = 0;
          const nextDelay = (): number => delays[delayIndex++ % delays.length]!;
          /** Each topic's producer as the service sees it; absent when nothing runs. */
          const phase = new Map<string, "creating" | "live" | "removing">();
          /** The generation of each topic that is creating or live, and every updater ever handed out. */
          const liveGeneration = new Map<string, number>();
          const updaters: { topic: string; generation: number; update: (bar: Bar) => void }[] = [];
          const violations: string[] = [];
          let shutdownBegan = false;
          let failNext = false;
          const service = {
            async createTopic(topic: string, update: (bar: Bar) => void): Promise<void> {
              // Invariants 1, 2 and 5: a creation starts only when nothing of the topic runs, and never after shutdown began.
              if (phase.has(topic)) violations.push(`create of ${topic} while ${phase.get(topic)}`);
              if (shutdownBegan) violations.push(`create of ${topic} after shutdown began`);
              phase.set(topic, "creating");
              const generation = updaters.length;
              updaters.push({ topic, generation, update });
              liveGeneration.set(topic, generation);
              const fails = failNext;
              await turns(nextDelay());
              if (fails) {
                phase.delete(topic);
                liveGeneration.delete(topic);
                throw new Error("refused");
              }
              phase.set(topic, "live");
            },
            async removeTopic(topic: string): Promise<void> {
              // Invariant 1: exactly one removal per successful creation.
              if (phase.get(topic) !== "live") violations.push(`remove of ${topic} while ${phase.get(topic) ?? "nothing runs"}`);
              phase.set(topic, "removing");
              liveGeneration.delete(topic);
              await turns(nextDelay());
              phase.delete(topic);
            },
          };
          const route = new BarWsRouter({ route: "bars", service, lingerMs });
          route.mount({ module: "fuzz", reportError: () => undefined });
          /** Invariant 4: a frame a subscriber receives comes from the topic's creating or live generation. */
          const receiving = (id: string): RouteClient<unknown> => ({
            id,
            user: null,
            isOpen: true,
            writeFrames: (runs) => {
              for (const frame of runs.flatMap((run) => run.frames)) {
                const text = frame.subarray(frame[1]! < 126 ? 2 : 4).toString("utf8");
                const { payload } = JSON.parse(text) as { payload: { topic: string; payload: Bar } };
                const generation = payload.payload.volume;
                if (liveGeneration.get(payload.topic) !== generation) violations.push(`update of ended generation ${generation} delivered`);
              }
              return runs.reduce((count, run) => count + run.frames.length, 0);
            },
          });
          let subscribers = [0, 1, 2, 3].map((i) => receiving(`c${i}`));
          const pending: Promise<unknown>[] = [];
          let shutdown: Promise<void> | undefined;
          for (const op of operations) {
            if (op.action === "shutdown") {
              shutdownBegan = true;
              // Invariant 5, checked the moment shutdown resolves: nothing it should have waited for still runs.
              shutdown ??= route.shutdown(1_000).then(() => {
                if (phase.size > 0) violations.push(`when shutdown resolved: ${JSON.stringify([...phase])}`);
              });
            } else if (op.action === "pause") {
              await turns(3);
              if (op.ms > 0) await new Promise((resolve) => setTimeout(resolve, op.ms));
            } else if (op.action === "update") {
              const target = updaters.filter((updater) => updater.topic.includes(op.symbol));
              const updater = target[op.generation % Math.max(1, target.length)];
              updater?.update({ time: 1, open: 1, high: 1, low: 1, close: 1, volume: updater.generation });
            } else {
              failNext = op.createFails;
              const subscriber = subscribers[op.client]!;
              if (op.action === "subscribe") pending.push(route.subscribe(subscriber, { symbol: op.symbol }));
              else if (op.action === "unsubscribe") route.unsubscribe(subscriber, { symbol: op.symbol });
              else {
                route.release(subscriber);
                subscribers = subscribers.map((s, i) => (i === op.client ? receiving(`c${i}'`) : s));
              }
            }
            if ("createDelay" in op && op.createDelay > 0) await turns(1);
          }
          await Promise.all(pending);
          await turns(8);
          // Invariant 3: once creations settled, a topic with holders is live; one live without holders lingers.
          const checkLiveIffHeld = (): void => {
            const held = new Set(route.topics());
            for (const topic of held) {
              if (phase.get(topic) !== "live") violations.push(`${topic} has holders but is ${phase.get(topic) ?? "not running"}`);
            }
            const unheld = [...phase].filter(([topic, state]) => state === "live" && !held.has(topic)).length;
            if (unheld !== route.stats().lingering) violations.push(`${unheld} live without holders, ${route.stats().lingering} lingering`);
            if (lingerMs === 0 && unheld > 0) violations.push(`${unheld} live without holders and without a linger`);
          };
          if (shutdown === undefined) checkLiveIffHeld();
          if (shutdown === undefined && lingerMs > 0) {
            // Every subscriber leaves: the topics linger (and, with a long linger, only shutdown removes them).
            for (const subscriber of subscribers) route.release(subscriber);
            await turns(4);
            checkLiveIffHeld();
          }
          // Invariant 5: shutdown resolves once everything created is removed.
          shutdownBegan = true;
          await (shutdown ?? route.shutdown(1_000));
          if (phase.size > 0) violations.push(`after shutdown: ${JSON.stringify([...phase])}`);
          expect(violations).toEqual([]);
          expect(route.stats()).toMatchObject({ topics: 0, lingering: 0, subscriptions: 0 });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("random sequences over real sockets release everything when clients leave", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 12 }), async (operations) => {
        const clients = await Promise.all([connect(), connect(), connect()]);
        for (const op of operations) {
          const client = clients[op.client % clients.length]!;
          if (client.socket.readyState !== client.socket.OPEN) continue;
          if (op.action === "disconnect") client.socket.terminate();
          else await client.request(`bars.${op.action}`, { symbol: op.symbol });
        }
        for (const client of clients) client.socket.terminate();
        await eventually(() => running.app.stats().modules.datafeed!.connections === 0 && barStats().topics === 0, 2_000, "all released");
        await eventually(() => bars.count("create") === bars.count("remove") + bars.count("failed"), 2_000, "balanced create/remove");
      }),
      { numRuns: 100 },
    );
  });
});
