/**
 * Prometheus metrics of a WsApp, opt-in through `wsgen/metrics` (prom-client
 * is an optional peer dependency). Values are read from `app.stats()` when
 * scraped, so the hot paths only bump plain counters.
 *
 *   const metrics = createMetrics(app);
 *   // GET /metrics → metrics.contentType, await metrics.text()
 */
import { Counter, Gauge, Histogram, Registry, type MetricValueWithName } from "prom-client";
import { RECOVERY_FAILURE_REASONS } from "../protocol/positions.js";
import type { ModuleStats } from "./endpoint.js";
import { REPLAY_SIZE_BUCKETS, sumSnapshots, type HistogramSnapshot } from "./histogram.js";
import type { WsApp } from "./ws-app.js";

export interface WsMetrics {
  registry: Registry;
  contentType: string;
  /** The Prometheus text exposition of every metric in the registry. */
  text(): Promise<string>;
}

type Reading = (stats: ModuleStats) => number;

type SummedField =
  | "topics"
  | "lingering"
  | "subscriptions"
  | "updatesDropped"
  | "subscriptionsForbidden"
  | "requestsOverShapeLimits"
  | "recoveries"
  | "updatesReplayed"
  | "updatesConflated"
  | "updatesSkipped"
  | "updatesCaughtUp"
  | "laggingSubscribers";

const sum = (stats: ModuleStats, field: SummedField): number =>
  Object.values(stats.routes).reduce((total, route) => total + route[field], 0);

/** A shared broker's count over a module's routes (wsgen/redis; 0 in one process). */
const brokerSum = (stats: ModuleStats, field: string): number =>
  Object.values(stats.routes).reduce((total, route) => total + (route.broker?.[field] ?? 0), 0);

const GAUGES: Record<string, [help: string, reading: Reading]> = {
  wsgen_connections: ["Open WebSocket connections.", (stats) => stats.connections],
  wsgen_topics: ["Topics with at least one subscriber.", (stats) => sum(stats, "topics")],
  wsgen_topics_lingering: [
    "Topics without subscribers whose producer still runs for the route's lingerMs.",
    (stats) => sum(stats, "lingering"),
  ],
  wsgen_subscriptions: ["(topic, connection) subscriptions.", (stats) => sum(stats, "subscriptions")],
  wsgen_lagging_subscribers: [
    "Subscribers whose updates are held back now because they lag more than maxLagMs (per route: one per lagging connection).",
    (stats) => sum(stats, "laggingSubscribers"),
  ],
  wsgen_history_bytes: [
    "Bytes of update frames kept in the topics' histories for replay.",
    (stats) => Object.values(stats.routes).reduce((total, route) => total + route.history.bytes, 0),
  ],
  wsgen_broker_feeds: [
    "Topics whose shared stream this process holds (subscribed to its channel in Redis).",
    (stats) => brokerSum(stats, "feeds"),
  ],
  wsgen_broker_producing: [
    "Topics whose producer (createTopic) runs on this process, under its lease.",
    (stats) => brokerSum(stats, "producing"),
  ],
};

const COUNTERS: Record<string, [help: string, reading: Reading]> = {
  wsgen_messages_sent_total: ["Frames written to clients (updates, replies, errors, pongs).", (stats) => stats.framesSent],
  wsgen_updates_dropped_total: [
    "Updates dropped: oldest-first overflow of the update queues, and frames skipped for slow clients.",
    (stats) => sum(stats, "updatesDropped") + stats.framesDropped,
  ],
  wsgen_recoveries_total: ["Resubscribes with since answered recovered: true.", (stats) => sum(stats, "recoveries")],
  wsgen_updates_replayed_total: ["Updates replayed to resubscribers after their since.", (stats) => sum(stats, "updatesReplayed")],
  wsgen_lag_episodes_total: ["Times a connection started lagging more than maxLagMs.", (stats) => stats.lagEpisodes],
  wsgen_updates_conflated_total: [
    "Updates a lagging subscriber was not sent because a newer one of the topic replaced them (lagPolicy conflate).",
    (stats) => sum(stats, "updatesConflated"),
  ],
  wsgen_updates_skipped_total: [
    "Updates a lagging subscriber never got: past the history when it caught up (lagPolicy skip); its seq gap shows them.",
    (stats) => sum(stats, "updatesSkipped"),
  ],
  wsgen_updates_caught_up_total: [
    "Updates held back from a lagging subscriber and sent from the history once it caught up (lagPolicy skip).",
    (stats) => sum(stats, "updatesCaughtUp"),
  ],
  wsgen_slow_consumer_closes_total: ["Connections closed with 1013 because they could not keep up.", (stats) => stats.slowConsumerCloses],
  wsgen_invalid_frames_total: [
    "Inbound frames that named no valid operation or broke the protocol.",
    (stats) => stats.invalidFrames + stats.unknownOperations,
  ],
  wsgen_rate_limit_closes_total: ["Connections closed with 1008 for sending too fast.", (stats) => stats.rateLimitCloses],
  wsgen_queue_limit_closes_total: [
    "Connections closed with 1008 for having more than maxQueuedOperations operations waiting.",
    (stats) => stats.queueLimitCloses,
  ],
  wsgen_heartbeat_terminations_total: ["Connections terminated for missing a heartbeat.", (stats) => stats.heartbeatTerminations],
  wsgen_subscriptions_forbidden_total: [
    'Subscribes refused by an authorize hook (answered code "forbidden").',
    (stats) => sum(stats, "subscriptionsForbidden"),
  ],
  wsgen_requests_over_shape_limits_total: [
    "Requests refused before validation for nesting too deep or holding too many keys.",
    (stats) => sum(stats, "requestsOverShapeLimits"),
  ],
  wsgen_credentials_expired_closes_total: [
    "Connections closed with 4001 when the expiry authenticate gave passed.",
    (stats) => stats.credentialsExpiredCloses,
  ],
  wsgen_connection_errors_total: ["Errors caused by or met on a connection, logged or not.", (stats) => stats.connectionErrors],
  wsgen_broker_feed_resyncs_total: [
    "Times a shared stream was read again from Redis after its channel may have lost messages (a pub/sub reconnect, a gap).",
    (stats) => brokerSum(stats, "feedResyncs"),
  ],
  wsgen_broker_feed_gaps_total: [
    "Updates this process's subscribers could not be given because Redis no longer held them after a reconnect (a visible seq gap).",
    (stats) => brokerSum(stats, "feedGaps"),
  ],
  wsgen_broker_takeovers_total: ["Lapsed producer leases this process took over (a new epoch).", (stats) => brokerSum(stats, "takeovers")],
  wsgen_broker_producers_deposed_total: [
    "Producers on this process stopped because another process holds their lease (a stall, a Redis restart).",
    (stats) => brokerSum(stats, "producersDeposed"),
  ],
  wsgen_broker_publishes_fenced_total: [
    "Updates refused by Redis because their producer no longer held the topic's lease (fencing).",
    (stats) => brokerSum(stats, "publishesFenced"),
  ],
  wsgen_broker_publish_failures_total: [
    "Updates of this process's producers lost on the way to Redis (unreachable); the next publish skips their seqs.",
    (stats) => brokerSum(stats, "publishFailures"),
  ],
  wsgen_connection_errors_not_logged_total: [
    "Connection errors not logged: repeats of a kind on one connection, and client-caused errors over clientErrorReportsPerMinute.",
    (stats) => stats.errorsNotLogged,
  ],
};

/** Registers the wsgen metrics of `app`, labelled by module, in `registry` (default: a new one). */
export function createMetrics(app: Pick<WsApp<never>, "stats">, registry: Registry = new Registry()): WsMetrics {
  const modules = (): [string, ModuleStats][] => Object.entries(app.stats().modules);
  for (const [name, [help, reading]] of Object.entries(GAUGES)) {
    new Gauge({
      name,
      help,
      labelNames: ["module"],
      registers: [registry],
      collect() {
        for (const [module, stats] of modules()) this.set({ module }, reading(stats));
      },
    });
  }
  for (const [name, [help, reading]] of Object.entries(COUNTERS)) {
    new Counter({
      name,
      help,
      labelNames: ["module"],
      registers: [registry],
      collect() {
        // The runtime keeps the running totals; the counter mirrors them at scrape time.
        this.reset();
        for (const [module, stats] of modules()) this.inc({ module }, reading(stats));
      },
    });
  }
  new Counter({
    name: "wsgen_recoveries_failed_total",
    help: "Resubscribes with since answered recovered: false (the client must resynchronise), by reason.",
    labelNames: ["module", "reason"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [module, stats] of modules()) {
        for (const reason of RECOVERY_FAILURE_REASONS) {
          const count = Object.values(stats.routes).reduce((total, route) => total + (route.recoveryFailures[reason] ?? 0), 0);
          this.inc({ module, reason }, count);
        }
      }
    },
  });
  new Gauge({
    name: "wsgen_broker_connected",
    help: "Whether the broker's connection to Redis is ready (1) or down (0), per connection (commands, pubsub).",
    labelNames: ["connection"],
    registers: [registry],
    collect() {
      const { connections } = app.stats().broker as { connections?: Record<string, string> };
      for (const [connection, state] of Object.entries(connections ?? {})) this.set({ connection }, state === "ready" ? 1 : 0);
    },
  });
  new Counter({
    name: "wsgen_broker_reconnects_total",
    help: "Times a connection to Redis came back after it was lost.",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(Number((app.stats().broker as { reconnects?: number }).reconnects ?? 0));
    },
  });
  registerHistogram(registry, "wsgen_delivery_lag_seconds", "Measured delivery lag of connections (lag probe round trips).", () =>
    modules().map(([module, stats]) => [module, stats.deliveryLag]),
  );
  registerHistogram(registry, "wsgen_replay_size_updates", "Updates replayed by each recovery (resubscribe with since).", () =>
    modules().map(([module, stats]) => [
      module,
      sumSnapshots(
        REPLAY_SIZE_BUCKETS,
        Object.values(stats.routes).map((route) => route.replaySizes),
      ),
    ]),
  );
  return { registry, contentType: registry.contentType, text: () => registry.metrics() };
}

/**
 * A histogram whose buckets the runtime keeps (histogram.ts). prom-client's
 * Histogram can only observe values, not be set from counts, so what a
 * scrape reads is replaced to state the snapshot; name, help and
 * type stay prom-client's own.
 */
function registerHistogram(registry: Registry, name: string, help: string, read: () => [module: string, HistogramSnapshot][]): void {
  // "le" is the bucket label prom-client adds itself; it is in the type only, for the values below.
  const histogram = new Histogram<"module" | "le">({ name, help, labelNames: ["module"], buckets: [1], registers: [registry] });
  type Exposition = Awaited<ReturnType<typeof histogram.get>>;
  const get = (): Promise<Exposition> => {
    const values: MetricValueWithName<"module" | "le">[] = [];
    for (const [module, snapshot] of read()) {
      snapshot.bounds.forEach((bound, i) => {
        values.push({ metricName: `${name}_bucket`, labels: { module, le: bound }, value: snapshot.cumulative[i]! });
      });
      values.push({ metricName: `${name}_bucket`, labels: { module, le: "+Inf" }, value: snapshot.count });
      values.push({ metricName: `${name}_sum`, labels: { module }, value: snapshot.sum });
      values.push({ metricName: `${name}_count`, labels: { module }, value: snapshot.count });
    }
    // prom-client's .d.ts types `type` as an enum (and adds `collect`); at run time the registry reads the string.
    return Promise.resolve({ name, help, type: "histogram", aggregator: "sum", values } as unknown as Exposition);
  };
  // The registry's text exposition reads getForPromString (untyped in prom-client's .d.ts); JSON reads get.
  Object.assign(histogram, { get, getForPromString: get });
}
