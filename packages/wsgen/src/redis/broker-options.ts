/**
 * The options of \`redisBroker\`, with their defaults in one literal
 * (docs/scale-out.md's table is checked against it).
 */
import type { Defaults } from "../runtime/option-checks.js";

export interface RedisBrokerOptions {
  /** Where Redis is: `redis://host:port`, `rediss://…` (TLS) or `unix:///path`. @default "redis://127.0.0.1:6379" */
  url?: string;
  /** Prefix of every key and channel, so several services can share one Redis. @default "wsgen" */
  prefix?: string;
  /** Milliseconds `redisBroker` keeps trying to reach Redis before it rejects ERR_BROKER_UNAVAILABLE. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * Milliseconds a topic's producer lease lasts unrenewed: a producer that
   * died or stalled this long is replaced (within leaseMs + tickMs), and a
   * process holding a topic that vanished stops counting as a holder.
   * @default 5000
   */
  leaseMs?: number;
  /** Milliseconds between renewals of this process's holds and leases (and takeovers of lapsed ones). @default 1000 */
  tickMs?: number;
  /** This process's name in Redis (CLIENT LIST, lease tokens). @default `${hostname()}:${process.pid}` */
  nodeName?: string;
  /** Where connection losses and recoveries are said, once each. @default console.warn / console.info */
  log?: (level: "warn" | "info", message: string) => void;
}

export const REDIS_BROKER_DEFAULTS = {
  url: "redis://127.0.0.1:6379",
  prefix: "wsgen",
  connectTimeoutMs: 5_000,
  leaseMs: 5_000,
  tickMs: 1_000,
  nodeName: undefined,
  log: (level: "warn" | "info", message: string): void => (level === "warn" ? console.warn(message) : console.info(message)),
} as const satisfies Defaults<RedisBrokerOptions>;
