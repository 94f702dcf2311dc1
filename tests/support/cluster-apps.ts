/**
 * Several wsgen apps in one test process, each with its own redisBroker (its
 * own connections and node id, as separate processes would have), on one
 * real redis-server: the harness of tests/cluster-edges*.test.ts. Every
 * createTopic/removeTopic of every app is recorded, in one cluster-wide log
 * too, so a test can check that they alternate across the whole cluster.
 */
import { LiveTopics, type RouteOptions } from "wsgen";
import { redisBroker, type RedisBroker, type RedisBrokerOptions } from "wsgen/redis";
import { expect } from "vitest";
import { TestClient, type Frame } from "./client.js";
import { Bar, BarSubscriptionRequest, BarWsRouter, bar } from "./fixtures.js";
import type { AdminClient, RedisServer } from "./redis-server.js";
import { startApp, type RunningApp } from "./server.js";

export interface ClusterApp {
  readonly name: string;
  readonly running: RunningApp;
  readonly broker: RedisBroker;
  readonly route: BarWsRouter;
  readonly service: LiveTopics<BarSubscriptionRequest, Bar>;
  readonly created: string[];
  readonly removed: string[];
  readonly errors: unknown[];
  /** Stops ticking updates of its topics (as a process that died would). */
  readonly timers: Map<string, NodeJS.Timeout>;
}

export interface ClusterAppOptions {
  /** While it produces a topic, its service publishes a bar every `publishEveryMs` (close = a cluster-wide counter). */
  publishEveryMs?: number;
  /** Runs in createTopic (after it was logged); a throw refuses. */
  onCreate?: (app: ClusterApp, topic: string) => void | Promise<void>;
  /** Runs in removeTopic, before it is logged as done. */
  onRemove?: (app: ClusterApp, topic: string) => void | Promise<void>;
  broker?: RedisBrokerOptions;
  route?: Partial<RouteOptions<BarSubscriptionRequest, Bar>>;
}

/** One cluster: its apps, and every createTopic/removeTopic of all of them in order. */
export class Cluster {
  readonly apps: ClusterApp[] = [];
  /** `+name` when a createTopic starts, `-name` when a removeTopic is done, cluster-wide, in that order. */
  readonly log: string[] = [];
  #close = 0;

  constructor(readonly redis: RedisServer) {}

  async start(name: string, options: ClusterAppOptions = {}): Promise<ClusterApp> {
    const broker = await redisBroker({ url: this.redis.url, leaseMs: 600, tickMs: 100, log: () => undefined, ...options.broker });
    const index = this.apps.length + 1;
    const created: string[] = [];
    const removed: string[] = [];
    const errors: unknown[] = [];
    const timers = new Map<string, NodeJS.Timeout>();
    // eslint-disable-next-line prefer-const -- the service's hooks read it once the app exists
    let app: ClusterApp;
    const service = new LiveTopics<BarSubscriptionRequest, Bar>({
      onCreate: async (live) => {
        created.push(live.topic);
        this.log.push(`+${name}`);
        await options.onCreate?.(app, live.topic);
        if (options.publishEveryMs !== undefined) {
          // volume: which app produced it, so a test can tell two producers apart.
          timers.set(
            live.topic,
            setInterval(() => live.update({ ...bar((this.#close += 1)), volume: index }), options.publishEveryMs),
          );
        }
      },
      onRemove: async (live) => {
        clearInterval(timers.get(live.topic));
        timers.delete(live.topic);
        await options.onRemove?.(app, live.topic);
        removed.push(live.topic);
        this.log.push(`-${name}`);
      },
    });
    const route = new BarWsRouter({ route: "bars", service, historySize: 1000, historyMaxBytes: 1 << 22, ...options.route });
    const running = await startApp({
      modules: [{ name: "datafeed", routes: [route] }],
      heartbeatInterval: 0,
      broker,
      onError: (error) => void errors.push(error),
    });
    app = { name, running, broker, route, service, created, removed, errors, timers };
    this.apps.push(app);
    return app;
  }

  /** Apps whose createTopic ran more often than their removeTopic: producing now. */
  producers(): ClusterApp[] {
    return this.apps.filter((app) => app.created.length > app.removed.length);
  }

  async stop(): Promise<void> {
    for (const app of this.apps.splice(0)) {
      for (const timer of app.timers.values()) clearInterval(timer);
      await app.running.stop().catch(() => undefined);
      await app.broker.close();
    }
  }
}

export const REQUEST = { symbol: "AAPL", resolution: "1D" };

/** An update as a client saw it; `by` is the index (from 1) of the app whose producer published it, 1 for a route.publish. */
export type Seen = { close: number; seq: number; epoch: string; by: number };

export const updatesOf = (frames: readonly Frame[]): Seen[] =>
  frames
    .filter((frame) => frame.type === "bars.update")
    .map((frame) => ({
      close: frame.payload.payload.close as number,
      seq: frame.payload.seq as number,
      epoch: frame.payload.epoch as string,
      by: frame.payload.payload.volume as number,
    }));

export const updates = (client: TestClient): Seen[] => updatesOf(client.frames);

/** Within one epoch seqs go up by one (no silent gap, no duplicate), and an epoch once left never comes back. */
export function contiguityProblems(seen: readonly Seen[], allowGaps = false): string[] {
  const problems: string[] = [];
  const left = new Set<string>();
  for (let i = 1; i < seen.length; i++) {
    const [before, now] = [seen[i - 1]!, seen[i]!];
    if (now.epoch !== before.epoch) {
      left.add(before.epoch);
      if (left.has(now.epoch)) problems.push(`#${i}: back to epoch ${now.epoch} after ${JSON.stringify(before)}`);
      continue;
    }
    if (now.seq <= before.seq) problems.push(`#${i}: seq ${now.seq} after ${before.seq} (a duplicate or out of order)`);
    else if (!allowGaps && now.seq !== before.seq + 1) problems.push(`#${i}: seq ${now.seq} after ${before.seq} (a gap)`);
  }
  return problems;
}

export function expectContiguous(seen: readonly Seen[], allowGaps = false): void {
  expect(contiguityProblems(seen, allowGaps)).toEqual([]);
}

/** Every frame each connection received, in order (TestClient.next takes the replies it matched out of `frames`). */
const received = new WeakMap<TestClient, Frame[]>();

/** A TestClient whose every frame, replies included, `framesOf` keeps. */
export async function connectRecorded(url: string): Promise<TestClient> {
  const client = await TestClient.connect(url);
  const frames: Frame[] = [];
  received.set(client, frames);
  client.socket.on("message", (data: Buffer) => frames.push(JSON.parse(data.toString()) as Frame));
  return client;
}

export function framesOf(client: TestClient): Frame[] {
  const frames = received.get(client);
  if (frames === undefined) throw new Error("not a connectRecorded client");
  return frames;
}

/** A compact picture of the epochs a client went through: `epoch#first..last` per run of one epoch. */
export function epochRuns(seen: readonly Seen[]): string[] {
  const runs: string[] = [];
  let start = 0;
  for (let i = 1; i <= seen.length; i++) {
    if (i < seen.length && seen[i]!.epoch === seen[start]!.epoch) continue;
    runs.push(`${seen[start]!.epoch.slice(0, 4)}#${seen[start]!.seq}..${seen[i - 1]!.seq}`);
    start = i;
  }
  return runs;
}

export async function subscribed(app: ClusterApp, payload: unknown = { symbol: "AAPL" }): Promise<TestClient> {
  const client = await connectRecorded(app.running.wsUrl("datafeed"));
  const response = await client.subscribe("bars", payload);
  expect(response.payload).toMatchObject({ status: "ok" });
  return client;
}

/** The id of a client of the test server whose name ends with `suffix` (CLIENT LIST). */
export async function clientId(admin: AdminClient, nameIncludes: string): Promise<string> {
  const list = await admin.sendCommand<string>(["CLIENT", "LIST"]);
  const line = list.split("\n").find((entry) => entry.includes(nameIncludes));
  if (line === undefined) throw new Error(`no Redis client named *${nameIncludes}*:\n${list}`);
  return /id=(\d+)/.exec(line)![1]!;
}

/** The node name a broker registers (`stats().node`): its clients are named `wsgen:<node>:commands` and `…:pubsub`. */
export const nodeOf = (app: ClusterApp): string => app.broker.stats().node;

/** The process id of the test's redis-server (to SIGSTOP it: a Redis that hangs, as behind a network black hole). */
export async function redisPid(admin: AdminClient): Promise<number> {
  const info = await admin.sendCommand<string>(["INFO", "server"]);
  return Number(/process_id:(\d+)/.exec(info)![1]);
}

/** Resolves with how `promise` settled, or "pending" after `ms`. */
export async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | { error: unknown } | "pending"> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<"pending">((resolve) => (timer = setTimeout(() => resolve("pending"), ms)));
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The frames one connection received, checked subscription by subscription
 * (docs/protocol.md, Delivery): after an ok subscribe.response at (epoch, seq)
 * the next update of that epoch is seq + 1, each one after it +1 (or, with
 * `allowGaps`, more), an epoch once left never comes back, and no update
 * arrives outside a subscription.
 */
export function subscriptionProblems(frames: readonly Frame[], route = "bars", allowGaps = false): string[] {
  const problems: string[] = [];
  let last: { epoch: string; seq: number } | undefined;
  let left = new Set<string>();
  frames.forEach((frame, i) => {
    if (frame.type === `${route}.subscribe.response` && frame.payload.status === "ok" && frame.payload.message === "subscribed") {
      last = { epoch: frame.payload.epoch as string, seq: frame.payload.seq as number };
      left = new Set();
    } else if (frame.type === `${route}.unsubscribe.response` && frame.payload.status === "ok") {
      last = undefined;
    } else if (frame.type === `${route}.update`) {
      const now = { epoch: frame.payload.epoch as string, seq: frame.payload.seq as number };
      if (last === undefined) problems.push(`#${i}: update ${JSON.stringify(now)} outside a subscription`);
      else if (now.epoch !== last.epoch) {
        left.add(last.epoch);
        if (left.has(now.epoch)) problems.push(`#${i}: back to epoch ${now.epoch} (seq ${now.seq}) after ${JSON.stringify(last)}`);
      } else if (now.seq <= last.seq) problems.push(`#${i}: seq ${now.seq} after ${last.seq} in one epoch (a duplicate)`);
      else if (!allowGaps && now.seq !== last.seq + 1) problems.push(`#${i}: seq ${now.seq} after ${last.seq} (a gap)`);
      last = now;
    }
  });
  return problems;
}

/**
 * A failing takeover: a produces and b, whose createTopic always throws,
 * holds the topic too; then a stalls (its broker closes), so b takes the
 * lapsed lease and its createTopic fails. Resolves with both and b's subscriber.
 */
export async function failingTakeover(cluster: Cluster): Promise<{ a: ClusterApp; b: ClusterApp; cb: TestClient }> {
  const a = await cluster.start("a");
  const b = await cluster.start("b", {
    onCreate: () => {
      throw new Error("upstream down");
    },
  });
  await subscribed(a);
  const cb = await subscribed(b);
  await a.broker.close();
  return { a, b, cb };
}
