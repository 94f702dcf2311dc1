/**
 * Prometheus metrics of a WsApp, opt-in through `wsgen/metrics` (prom-client
 * is an optional peer dependency). Values are read from `app.stats()` when
 * scraped, so the hot paths only bump plain counters.
 *
 *   const metrics = createMetrics(app);
 *   // GET /metrics → metrics.contentType, await metrics.text()
 */
import { Counter, Gauge, Registry } from "prom-client";
import type { ModuleStats } from "./endpoint.js";
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
  | "recoveriesFailed";

const sum = (stats: ModuleStats, field: SummedField): number =>
  Object.values(stats.routes).reduce((total, route) => total + route[field], 0);

const GAUGES: Record<string, [help: string, reading: Reading]> = {
  wsgen_connections: ["Open WebSocket connections.", (stats) => stats.connections],
  wsgen_topics: ["Topics with at least one subscriber.", (stats) => sum(stats, "topics")],
  wsgen_topics_lingering: [
    "Topics without subscribers whose producer still runs for the route's lingerMs.",
    (stats) => sum(stats, "lingering"),
  ],
  wsgen_subscriptions: ["(topic, connection) subscriptions.", (stats) => sum(stats, "subscriptions")],
  wsgen_history_bytes: [
    "Bytes of update frames kept in the topics' histories for replay.",
    (stats) => Object.values(stats.routes).reduce((total, route) => total + route.history.bytes, 0),
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
  wsgen_recoveries_failed_total: [
    "Resubscribes with since answered recovered: false (the client must resynchronise).",
    (stats) => sum(stats, "recoveriesFailed"),
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
  return { registry, contentType: registry.contentType, text: () => registry.metrics() };
}
