/**
 * The options of a route (`new OrderWsRouter({...})`), with their defaults
 * in one literal. The README's route option table is checked against it.
 */
import type { DeliveryPolicy } from "./asyncapi-wire.js";
import type { AuthorizeHook } from "./authorization.js";
import { check, checkInRange, checkPositiveInteger, isBoolean, MAX_TIMER_MS, type Defaults } from "./option-checks.js";
import type { WsRouteService } from "./service.js";
import { LAG_POLICIES, type LagPolicy } from "./lag-policy.js";
import type { HistoryLimits } from "./topic-stream.js";

/**
 * What the user passes to a route: to a generated router class, or with its declaration to `WsRoute`.
 * The delivery options (`historySize`, `historyMaxBytes`, `historyTtlMs`, `latestValue`, `lagPolicy`)
 * may be declared in ws.ts as JSDoc tags of the alias (`@latestValue`, `@lagPolicy conflate`): the
 * generated class then defaults to those instead of the defaults below, and an option passed here wins.
 */
export interface RouteOptions<Req, Data, Route extends string = string, User = unknown> {
  /** Starts and stops data per topic. */
  service: WsRouteService<Req, Data, User>;
  /**
   * Asked on every subscribe of this route, after the module's `authorize`:
   * `true` admits, `false` or a message refuses with `code: "forbidden"`.
   * May be async. Type the user with the router's type parameter:
   * `new OrderWsRouter<Trader>({ service, authorize: ({ user, request }) => user.accounts.includes(request.accountId) })`.
   * @default undefined (every authenticated client may subscribe)
   */
  authorize?: AuthorizeHook<User, Req>;
  /** The route name is fixed by `ws.ts`; it may be restated here, nothing else. @default the declared name */
  route?: Route;
  /** Shown in the AsyncAPI document. @default the alias's JSDoc in ws.ts */
  description?: string;
  /** Capacity of the update queue; when full, the oldest update is dropped and counted. @default 1000 */
  queueCapacity?: number;
  /**
   * Minimum milliseconds (0 to 1000) between two fan-outs of this route.
   * Updates that come sooner wait and go out together, one write per
   * subscriber instead of one per update, trading up to this much latency for
   * CPU on busy routes; a route that is not busy is never delayed.
   * @default 0 (every fan-out on the next turn of the event loop)
   */
  batchWindowMs?: number;
  /** Validate each update against the data schema before sending; an invalid one is dropped and reported. @default true */
  validateUpdates?: boolean;
  /**
   * Updates kept per topic for replay to a client that resubscribes with
   * `since` (docs/protocol.md, "Delivery"). 0 keeps none: a resubscribe then
   * recovers only when nothing was published while it was away.
   * @default 100 (a few seconds of a busy quote stream, minutes of bars or orders)
   */
  historySize?: number;
  /**
   * Bytes of encoded frames kept per topic for replay; the oldest go first.
   * With `historySize` it bounds a route's history memory: topics × this.
   * @default 65536 (64 KiB)
   */
  historyMaxBytes?: number;
  /**
   * Milliseconds an update stays replayable. (A topic's stream ends when its
   * last subscriber leaves, after `lingerMs`: its producer stops, so the next
   * stream has a new epoch.)
   * @default 120000 (2 minutes: a network drop or a server-side deploy of one process)
   */
  historyTtlMs?: number;
  /**
   * Milliseconds (0 to 2147483647) a topic's producer and stream stay alive
   * after its last subscriber left, before `removeTopic`. A client that was
   * the topic's only subscriber and lost its network then recovers (its
   * `since` is of the same epoch) when it resubscribes within this time, and
   * a new subscriber joins without a `createTopic`; the cost is the producer
   * running that long for nobody. Shutdown does not wait for it.
   * @default 0 (removeTopic at once: recovery needs another subscriber holding the topic meanwhile)
   */
  lingerMs?: number;
  /**
   * Send each new subscriber the topic's latest update right after its
   * subscribe.response (at the response's `seq`), so a quiet topic is not
   * blank until its next update. Suits state (quotes, a forming bar,
   * positions); leave off for event streams (orders, executions). The latest
   * update is kept whatever its age while the topic's stream lives.
   * @default false
   */
  latestValue?: boolean;
  /**
   * What a subscriber gets of this route while its reader is more than the
   * app's `maxLagMs` behind (lag-policy.ts): `"conflate"` holds back all but
   * the newest update of each topic until it has caught up (state whose every
   * update replaces the previous one: one instrument's quote, a forming bar;
   * not a topic whose updates are rows of different keys, such as quotes of
   * several symbols, where the newest alone would leave the others stale); `"skip"` holds back everything and then sends
   * what it missed from the history, or the newest update and a visible gap
   * when the history no longer holds it all (events: orders, executions);
   * `"close"` closes it with 1013. Subscribers that keep up are never affected.
   * @default "skip"
   */
  lagPolicy?: LagPolicy;
  /**
   * With a broker that shares topics (wsgen/redis): `"cluster"` runs each
   * topic's createTopic on one process of all, positions its updates in
   * Redis and delivers them on every process; `"everywhere"` keeps this
   * route in each process, as without a broker — every process with
   * subscribers of a topic runs its own createTopic and stream (positions
   * per process: a `since` from another process is answered "epoch"), and
   * `route.publish` reaches this process's subscribers only. For services
   * that must run next to their subscribers. Ignored without a broker.
   * @default "cluster"
   */
  producer?: ProducerPlacement;
}

/** Where a route's producers run when a broker shares topics. */
export type ProducerPlacement = "cluster" | "everywhere";

/** The defaults of the optional `RouteOptions` keys. */
export const ROUTE_DEFAULTS = {
  authorize: undefined,
  description: undefined,
  queueCapacity: 1_000,
  batchWindowMs: 0,
  validateUpdates: true,
  historySize: 100,
  historyMaxBytes: 65_536,
  historyTtlMs: 120_000,
  lingerMs: 0,
  latestValue: false,
  lagPolicy: "skip",
  producer: "cluster",
} as const satisfies Defaults<Omit<RouteOptions<unknown, unknown>, "service" | "route">>;

type HistoryOptions = Pick<RouteOptions<unknown, unknown>, "historySize" | "historyMaxBytes" | "historyTtlMs" | "latestValue">;

/** The history bounds a route's options ask for, checked (ERR_INVALID_OPTION names the option). */
export function historyLimits(options: HistoryOptions): HistoryLimits {
  const size = options.historySize ?? ROUTE_DEFAULTS.historySize;
  check("historySize", size, (value) => Number.isInteger(value) && (value as number) >= 0, "an integer of at least 0");
  return {
    size,
    maxBytes: checkPositiveInteger("historyMaxBytes", options.historyMaxBytes ?? ROUTE_DEFAULTS.historyMaxBytes),
    ttlMs: checkInRange("historyTtlMs", options.historyTtlMs ?? ROUTE_DEFAULTS.historyTtlMs, 1, MAX_TIMER_MS),
    keepLatest: check("latestValue", options.latestValue ?? ROUTE_DEFAULTS.latestValue, isBoolean, "true or false"),
  };
}

/** A route's lag policy, checked. */
export function lagPolicyOf(options: Pick<RouteOptions<unknown, unknown>, "lagPolicy">): LagPolicy {
  const policy = options.lagPolicy ?? ROUTE_DEFAULTS.lagPolicy;
  return check(
    "lagPolicy",
    policy,
    (value) => LAG_POLICIES.includes(value as LagPolicy),
    LAG_POLICIES.map((name) => `"${name}"`).join(", "),
  );
}

/** A route's producer placement, checked. */
export function producerOf(options: Pick<RouteOptions<unknown, unknown>, "producer">): ProducerPlacement {
  const placement = options.producer ?? ROUTE_DEFAULTS.producer;
  return check("producer", placement, (value) => value === "cluster" || value === "everywhere", '"cluster" or "everywhere"');
}

/** A route's `lingerMs`, checked (ERR_INVALID_OPTION). */
export function lingerOf(options: Pick<RouteOptions<unknown, unknown>, "lingerMs">): number {
  return checkInRange("lingerMs", options.lingerMs ?? ROUTE_DEFAULTS.lingerMs, 0, MAX_TIMER_MS);
}

/** A route's resolved history limits, linger and lag policy (by default, ROUTE_DEFAULTS'), as its AsyncAPI document states them. */
export function deliveryPolicyOf(
  limits: HistoryLimits = historyLimits({}),
  { lingerMs = ROUTE_DEFAULTS.lingerMs, lagPolicy = ROUTE_DEFAULTS.lagPolicy }: { lingerMs?: number; lagPolicy?: LagPolicy } = {},
): DeliveryPolicy {
  return {
    historySize: limits.size,
    historyMaxBytes: limits.maxBytes,
    historyTtlMs: limits.ttlMs,
    latestValue: limits.keepLatest,
    lingerMs,
    lagPolicy,
  };
}
