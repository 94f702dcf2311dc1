/**
 * Broker: where a route's topics live — in this process (memoryBroker, the
 * default), or shared by several processes (wsgen/redis's redisBroker).
 *
 * A broker that shares topics gives each route a RouteStreams when it is
 * mounted: the route keeps its subscribers, its lifecycle of local interest
 * and its fan-out, and the broker decides which process runs a topic's
 * producer, assigns every update its position, and carries each update to
 * every process whose subscribers hold its topic.
 */
import type { StreamPosition } from "../protocol/positions.js";
import type { EncodedUpdate } from "./fan-out.js";
import type { PublishResult } from "./service.js";
import type { TopicGeneration } from "./topic-lifecycle.js";
import type { TopicHistory } from "./topic-history.js";
import type { HistoryLimits } from "./topic-stream.js";

/** What `app.stats().broker` shows. */
export interface BrokerStats {
  readonly kind: string;
  readonly [counter: string]: unknown;
}

export interface Broker {
  /** "memory", or the engine that shares topics ("redis"). */
  readonly kind: string;
  /** @internal A mounted route's streams, shared with other processes; undefined keeps them in this process. */
  routeStreams?(route: RouteStreamsSpec, sink: RouteStreamsSink): RouteStreams;
  stats(): BrokerStats;
  /** Releases the broker's connections; call it after `app.close()`. */
  close(): Promise<void>;
}

/** One process, in memory: today's behaviour, and the default. Nothing to close. */
export function memoryBroker(): Broker {
  return {
    kind: "memory",
    stats: () => ({ kind: "memory" }),
    close: () => Promise.resolve(),
  };
}

/** @internal Is `value` a Broker (an option check). */
export function isBroker(value: unknown): value is Broker {
  if (typeof value !== "object" || value === null) return false;
  const broker = value as Partial<Broker>;
  return typeof broker.kind === "string" && typeof broker.stats === "function" && typeof broker.close === "function";
}

/** @internal What a broker is told of a route it streams. */
export interface RouteStreamsSpec {
  readonly module: string;
  readonly route: string;
  readonly limits: HistoryLimits;
  /** The frame of one update whose data is already JSON (the bytes that travelled), at its position. */
  encodeUpdate(topic: string, payloadJson: Buffer, position: StreamPosition): EncodedUpdate;
}

/** @internal One run of a topic's producer on this process: from the lease won to removeTopic. */
export interface ProducerRun extends TopicGeneration {
  readonly token: string;
}

/** @internal What a route does for its broker. */
export interface RouteStreamsSink {
  /** Writes updates (in each topic's order, each once) to their topics' local holders. */
  deliver(updates: readonly EncodedUpdate[]): void;
  /** This process won `run.topic`'s lease: run the service's createTopic; its updates take `publish(run, …)`. */
  createTopic(run: ProducerRun, request: unknown, user: unknown): Promise<void>;
  /** The run is over (retired, deposed or shut down): run the service's removeTopic. Never rejects. */
  removeTopic(topic: string): Promise<void>;
  /** Sends what the route queued for its runs now, so a run that ends publishes it first. */
  flush(): void;
  report(error: unknown, where: string): void;
}

/** @internal A route's topics as a broker shares them. */
export interface RouteStreams {
  /** The local mirror of each topic this process holds: what subscribes and lag policies read. */
  readonly history: TopicHistory;
  /**
   * The first local subscriber of `topic` (`request`, `user`): resolves once
   * its stream is open here and its producer, wherever it runs, is live;
   * rejects when its createTopic failed.
   */
  open(topic: string, request: unknown, user: unknown): Promise<void>;
  /** The position `topic`'s stream had when it was opened here (where its first subscribers joined). */
  openedAt(topic: string): StreamPosition | undefined;
  /** `topic` has no local subscriber left (after its linger): its stream is closed here. Never rejects. */
  close(topic: string): Promise<void>;
  /** Whether updates of `run` are still taken. */
  accepts(run: TopicGeneration): boolean;
  /** Updates of this process's run, as JSON, in order (from the route's queue). */
  publishRun(run: TopicGeneration, payloads: readonly string[]): void;
  /** An update of `run` the route's queue dropped: it takes a seq, so subscribers see the gap. */
  skipRun(run: TopicGeneration): void;
  /** An update for `topic` from anywhere (route.publish): accepted while it is live anywhere. */
  publish(topic: string, payload: string): Promise<PublishResult>;
  /** Ends this process's runs (handing them over while other processes hold them) and its streams. */
  shutdown(): Promise<void>;
  stats(): Record<string, number>;
}
