/**
 * `wsgen/redis`: several wsgen processes as one service, on Redis or Valkey
 * 7+ (the `redis` package, an optional peer dependency).
 *
 *   const broker = await redisBroker({ url: process.env.REDIS_URL });
 *   const app = createWsApp({ modules, broker });
 *   …  await app.close(); await broker.close();
 *
 * Every process given a broker on the same Redis (and prefix) serves the
 * same topics: an update published on any of them reaches the subscribers
 * of all, in the same order with the same `seq`/`epoch` (assigned in Redis);
 * each topic's createTopic runs on one process of all, under a lease that
 * another process with subscribers takes over when it lapses; a process
 * receives a topic's traffic only while it has subscribers of it.
 * docs/runtime.md, "Scale-out", says what each fault does.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Broker, BrokerStats, RouteStreams } from "../runtime/broker.js";
import { check, checkInRange, isFunction, MAX_TIMER_MS, withoutUnset } from "../runtime/option-checks.js";
import { REDIS_BROKER_DEFAULTS, type RedisBrokerOptions } from "./broker-options.js";
import { ClusterStreams, type ClusterConfig } from "./cluster-streams.js";
import { RedisLink, type ConnectionState } from "./redis-link.js";

export type { RedisBrokerOptions } from "./broker-options.js";

export interface RedisBrokerStats extends BrokerStats {
  readonly kind: "redis";
  readonly node: string;
  readonly connections: { readonly commands: ConnectionState; readonly pubsub: ConnectionState };
  readonly reconnects: number;
  readonly connectionErrors: number;
  /** Summed over every route: feeds open here, producers running here, resyncs, takeovers… */
  readonly routes: Readonly<Record<string, number>>;
}

export interface RedisBroker extends Broker {
  readonly kind: "redis";
  stats(): RedisBrokerStats;
}

/** Connects to Redis and resolves with a broker for `createWsApp({ broker })`; rejects ERR_BROKER_UNAVAILABLE when Redis cannot be reached. */
export async function redisBroker(options: RedisBrokerOptions = {}): Promise<RedisBroker> {
  const resolved = { ...REDIS_BROKER_DEFAULTS, ...withoutUnset(options) };
  check(
    "url",
    resolved.url,
    (value) => typeof value === "string" && /^(rediss?|unix):\/\//.test(value),
    "a redis://, rediss:// or unix:// URL",
  );
  check("prefix", resolved.prefix, (value) => typeof value === "string" && /^[\w.-]+$/.test(value), "letters, digits, '_', '.' or '-'");
  checkInRange("connectTimeoutMs", resolved.connectTimeoutMs, 1, MAX_TIMER_MS);
  checkInRange("leaseMs", resolved.leaseMs, 100, MAX_TIMER_MS);
  checkInRange("tickMs", resolved.tickMs, 10, resolved.leaseMs / 2);
  check("log", resolved.log, isFunction, "a function");
  const node = `${resolved.nodeName ?? `${hostname()}:${process.pid}`}/${randomBytes(4).toString("base64url")}`;
  const link = new RedisLink({ url: resolved.url, connectTimeoutMs: resolved.connectTimeoutMs, name: `wsgen:${node}`, log: resolved.log });
  await link.connect();
  return new RedisTopicsBroker(link, node, resolved);
}

class RedisTopicsBroker implements RedisBroker {
  readonly kind = "redis";
  readonly #link: RedisLink;
  readonly #node: string;
  readonly #streams = new Set<ClusterStreams>();
  readonly #config: ClusterConfig;
  readonly #timer: NodeJS.Timeout;
  #runs = 0;
  #ticking = false;
  #closed = false;

  constructor(link: RedisLink, node: string, options: { prefix: string; leaseMs: number; tickMs: number }) {
    this.#link = link;
    this.#node = node;
    this.#config = {
      node,
      prefix: options.prefix,
      leaseMs: options.leaseMs,
      link,
      nextToken: () => `${node}#${(this.#runs += 1).toString(36)}`,
      nextEpoch: () => randomBytes(9).toString("base64url"),
      detach: (streams) => this.#streams.delete(streams),
    };
    link.onPubsub((event) => {
      for (const streams of this.#streams) streams.pubsub(event);
    });
    this.#timer = setInterval(() => void this.#tick(), options.tickMs);
    // The broker must not keep a process alive by itself; the app's server does.
    this.#timer.unref();
  }

  routeStreams(...[spec, sink]: Parameters<NonNullable<Broker["routeStreams"]>>): RouteStreams {
    const streams = new ClusterStreams(spec, sink, this.#config);
    this.#streams.add(streams);
    return streams;
  }

  stats(): RedisBrokerStats {
    const routes: Record<string, number> = {};
    for (const streams of this.#streams) {
      for (const [name, value] of Object.entries(streams.stats())) routes[name] = (routes[name] ?? 0) + value;
    }
    const { commands, pubsub, reconnects, connectionErrors } = this.#link.stats();
    return { kind: "redis", node: this.#node, connections: { commands, pubsub }, reconnects, connectionErrors, routes };
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      clearInterval(this.#timer);
      this.#link.close();
    }
    return Promise.resolve();
  }

  async #tick(): Promise<void> {
    // A tick slower than tickMs (a slow Redis) is not stacked on.
    if (this.#ticking || this.#closed) return;
    this.#ticking = true;
    try {
      await Promise.all([...this.#streams].map((streams) => streams.tick()));
    } finally {
      this.#ticking = false;
    }
  }
}
