/**
 * The options of an app (`createWsApp({...})`), with their defaults in one
 * literal, and their validation. The README's option table is checked
 * against the literal.
 */
import type { IncomingMessage } from "node:http";
import { ASYNCAPI_VERSIONS, type AsyncApiOptions, type AsyncApiVersion } from "./asyncapi.js";
import type { AuthenticateResult } from "./authentication.js";
import { isBroker, type Broker } from "./broker.js";
import { reportToConsole, type ErrorContext } from "./errors.js";
import type { WsModuleDefinition } from "./module.js";
import {
  check,
  checkInRange,
  invalidOption,
  checkPositiveInteger,
  isBoolean,
  isFunction,
  isNonNegative,
  isStringArray,
  MAX_TIMER_MS,
  withoutUnset,
  type Defaults,
} from "./option-checks.js";
import { REQUEST_SHAPE_DEFAULTS } from "./request-shape.js";
import type { RateLimit } from "./token-bucket.js";

/** What happens to a client whose buffered bytes pass `highWaterMark`. */
export type SlowConsumerPolicy = "close" | "drop";

export interface WsAppOptions<User = unknown> {
  /** The modules to serve; their `authorize` hooks and routes see the user `authenticate` returns. */
  modules: readonly WsModuleDefinition<User>[];
  /**
   * Where topics live: in this process (the default), or shared by every
   * process given the same broker (`await redisBroker({ url })` from
   * `wsgen/redis`): one producer per topic among them, positions assigned
   * in Redis, updates reaching subscribers on every process. Close it after
   * the app. @default memoryBroker() (one process, in memory)
   */
  broker?: Broker;
  /**
   * Milliseconds between protocol pings; a client that missed one is
   * terminated. Inbound frames and pongs both count as life; 0 disables.
   * @default 30000
   */
  heartbeatInterval?: number;
  /** Milliseconds after which a connection is closed with 4000; 0 for no limit. @default 0 */
  maxConnectionLifespan?: number;
  /** Largest accepted frame in bytes; a larger one closes the connection with 1009. @default 65536 */
  maxPayload?: number;
  /** Deepest nesting of objects and arrays in a request, checked before its schema; deeper is answered `invalid_request`. @default 32 */
  maxRequestDepth?: number;
  /** Most object keys plus array items in one request, checked before its schema; more is answered `invalid_request`. @default 1000 */
  maxRequestKeys?: number;
  /** Subscriptions one connection may hold in a module; a new one past it is refused (status "error"). @default 100 */
  maxSubscriptionsPerConnection?: number;
  /**
   * Subscribes and unsubscribes one connection may have waiting for an
   * answer (they run one at a time, so a slow `authorize` or `createTopic`
   * holds the rest, payloads and all); one more closes the connection with
   * 1008 "too many operations waiting for an answer", after the answers to
   * those already waiting. Above `maxSubscriptionsPerConnection`, so a
   * client resubscribing everything at once fits. @default 128
   */
  maxQueuedOperations?: number;
  /**
   * Milliseconds the `authorize` hooks have to decide one subscribe; past it
   * the subscribe is answered `internal_error` and reported as
   * `ERR_AUTHORIZE_FAILED`, and the connection's next operation runs. 0 for
   * no limit. @default 10000
   */
  authorizeTimeout?: number;
  /**
   * Inbound frames per connection, `{ perSecond, burst }`; over it the
   * connection is closed with 1008, after the answers to the frames admitted
   * before; frames after the trip are not read. @default undefined (no limit)
   */
  rateLimit?: RateLimit;
  /** Bytes buffered for one client above which it is a slow consumer. @default 1048576 */
  highWaterMark?: number;
  /** A slow consumer is closed with 1013 ("close") or skips frames ("drop"); both are counted. @default "close" */
  slowConsumer?: SlowConsumerPolicy;
  /**
   * Milliseconds a client's reader may be behind before it counts as
   * lagging and its routes' `lagPolicy` applies (conflate, skip or close).
   * Measured with protocol pings riding on the data written to it, so what
   * the network and the kernel hold counts, not only `bufferedAmount`; it
   * includes the round trip, so leave room for distant clients. The
   * high-water mark stays the hard bound on what is buffered. 0 disables
   * lag detection (no probes).
   * @default 250
   */
  maxLagMs?: number;
  /** Milliseconds to wait for a client's close handshake before dropping the socket. @default 5000 */
  closeTimeout?: number;
  /**
   * Runs before the handshake: return the user — or `authenticated(user, {
   * expiresAt })` to close the connection with 4001 when its credentials
   * expire — or anything falsy (`null`, `undefined`, `false`, `0`, `""`,
   * `NaN`, `0n`) to answer 401. A throw answers 500 and is reported through
   * `onError`. Never log `request.url`: it may carry a `?token=`.
   * @default undefined (every upgrade is accepted; the user is `null`)
   */
  authenticate?: (request: IncomingMessage) => AuthenticateResult<User> | Promise<AuthenticateResult<User>>;
  /**
   * Whether the AsyncAPI documents and viewers need what an upgrade needs
   * (the `authenticate` hook's approval; 401 otherwise). Off, they are public.
   * @default false
   */
  protectDocs?: boolean;
  /** Allowed `Origin` header values; other origins get 403. Requests without `Origin` (non-browsers) pass. @default undefined (any origin) */
  allowedOrigins?: readonly string[];
  /** Options of the served AsyncAPI documents (version 3.0.0 unless set). @default {} */
  asyncapi?: Omit<AsyncApiOptions, "server">;
  /** Errors that are nobody's answer: failing services, invalid updates, socket errors. @default reportToConsole (console.error) */
  onError?: (error: unknown, context: ErrorContext) => void;
  /**
   * Reports of errors clients cause (`ERR_REQUEST_SHAPE`, `ERR_INVALID_FRAME`)
   * passed to `onError` per minute, across the app, so reconnecting in a
   * loop cannot flood the log; past it they are counted in `errorsNotLogged`
   * and one `ERR_CLIENT_ERRORS_SUPPRESSED` report per module a minute later
   * says how many. Failures of the server's own code are never held back.
   * 0 passes only the summaries. @default 10
   */
  clientErrorReportsPerMinute?: number;
}

/** The defaults of every `WsAppOptions` key but `modules`. */
export const APP_DEFAULTS = {
  heartbeatInterval: 30_000,
  maxConnectionLifespan: 0,
  maxPayload: 65_536,
  maxRequestDepth: REQUEST_SHAPE_DEFAULTS.maxRequestDepth,
  maxRequestKeys: REQUEST_SHAPE_DEFAULTS.maxRequestKeys,
  maxSubscriptionsPerConnection: 100,
  maxQueuedOperations: 128,
  authorizeTimeout: 10_000,
  rateLimit: undefined,
  highWaterMark: 1_048_576,
  slowConsumer: "close",
  maxLagMs: 250,
  closeTimeout: 5_000,
  authenticate: undefined,
  protectDocs: false,
  allowedOrigins: undefined,
  broker: undefined,
  asyncapi: {},
  onError: reportToConsole,
  clientErrorReportsPerMinute: 10,
} as const satisfies Defaults<Omit<WsAppOptions, "modules">>;

/** App options with every default applied and every value checked. */
export type ResolvedAppOptions<User = unknown> = Required<
  Omit<WsAppOptions<User>, "rateLimit" | "authenticate" | "allowedOrigins" | "broker">
> &
  Pick<WsAppOptions<User>, "rateLimit" | "authenticate" | "allowedOrigins" | "broker">;

export function resolveAppOptions<User>(options: WsAppOptions<User>): ResolvedAppOptions<User> {
  // Every key either given or defaulted: what ResolvedAppOptions says (TypeScript cannot follow a spread of a Partial).
  const resolved = { ...APP_DEFAULTS, ...withoutUnset(options) } as ResolvedAppOptions<User>;
  for (const name of ["maxPayload", "maxSubscriptionsPerConnection", "highWaterMark"] as const) {
    check(name, resolved[name], isNonNegative, "a non-negative number");
  }
  for (const name of ["heartbeatInterval", "maxConnectionLifespan", "closeTimeout", "authorizeTimeout", "maxLagMs"] as const) {
    checkInRange(name, resolved[name], 0, MAX_TIMER_MS);
  }
  check("slowConsumer", resolved.slowConsumer, (value) => value === "close" || value === "drop", '"close" or "drop"');
  if (resolved.rateLimit !== undefined) {
    const { perSecond, burst } = resolved.rateLimit;
    if (!(perSecond > 0) || !(burst >= 1)) {
      throw invalidOption("rateLimit", "{ perSecond > 0, burst >= 1 }", JSON.stringify(resolved.rateLimit));
    }
  }
  checkPositiveInteger("maxRequestDepth", resolved.maxRequestDepth);
  checkPositiveInteger("maxRequestKeys", resolved.maxRequestKeys);
  checkPositiveInteger("maxQueuedOperations", resolved.maxQueuedOperations);
  check("clientErrorReportsPerMinute", resolved.clientErrorReportsPerMinute, isNonNegative, "a non-negative number");
  check("protectDocs", resolved.protectDocs, isBoolean, "true or false");
  check("onError", resolved.onError, isFunction, "a function");
  if (resolved.authenticate !== undefined) check("authenticate", resolved.authenticate, isFunction, "a function");
  if (resolved.broker !== undefined)
    check("broker", resolved.broker, isBroker, "a broker: memoryBroker(), or await redisBroker({ url }) from wsgen/redis");
  if (resolved.allowedOrigins !== undefined) {
    // A string would pass `includes` for any of its substrings.
    check("allowedOrigins", resolved.allowedOrigins, isStringArray, "an array of origin strings");
  }
  check("asyncapi", resolved.asyncapi, (value) => typeof value === "object" && !Array.isArray(value), "an object");
  const version = resolved.asyncapi.version;
  if (version !== undefined)
    check("asyncapi.version", version, (value) => ASYNCAPI_VERSIONS.includes(value as AsyncApiVersion), ASYNCAPI_VERSIONS.join(" or "));
  return resolved;
}
