/**
 * The options of a connection (`new WsClient(url, {...})`, and through
 * `createClient` those of every module's connection), with their defaults in
 * one literal, and their validation: a bad option throws `WsgenError` with
 * code `ERR_INVALID_OPTION` at construction, naming the option.
 *
 * @module
 */
import { check, checkInRange, isBoolean, isFunction, MAX_TIMER_MS, withoutUnset, type Defaults } from "../runtime/option-checks.js";
import { BACKOFF_DEFAULTS, resolveBackoff, type BackoffOptions } from "./backoff.js";
import { resolveCredentials, type CredentialOptions, type Credentials } from "./credentials.js";
import type { WsHandshakeError } from "./errors.js";
import type { WebSocketConstructor } from "./web-socket.js";

/**
 * Where a connection is: `connecting` (its first attempt), `open`,
 * `reconnecting` (waiting for, or making, another attempt), `refused` (the
 * server refused the handshake: no attempt until `reconnect()`), `closed`
 * (for good, by `close()`).
 */
export type ConnectionState = "connecting" | "open" | "reconnecting" | "refused" | "closed";

export interface WsClientOptions extends CredentialOptions {
  /** WebSocket implementation. @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /** Reconnection delays (backoff.ts). @default BACKOFF_DEFAULTS */
  backoff?: BackoffOptions;
  /** Milliseconds to wait for a reply before a subscribe rejects. @default 10000 */
  requestTimeout?: number;
  /** Validate incoming updates with the data schema. @default true, except when NODE_ENV is "production" */
  validate?: boolean;
  /** Every change of state; `refusal` is the error when the state is "refused". @default undefined */
  onStateChange?: (state: ConnectionState, refusal?: WsHandshakeError) => void;
  /**
   * Server `error` frames, updates that fail validation, handler exceptions,
   * lost resubscriptions, a refused connection, a failing token function.
   * @default undefined
   */
  onError?: (error: Error) => void;
}

/** The defaults of every `WsClientOptions` key; undefined: none, or decided when the client is made, as the key's JSDoc says. */
export const CLIENT_DEFAULTS = {
  WebSocket: undefined,
  backoff: BACKOFF_DEFAULTS,
  requestTimeout: 10_000,
  validate: undefined,
  onStateChange: undefined,
  onError: undefined,
  token: undefined,
  tokenIn: undefined,
  headers: {},
  query: {},
} as const satisfies Defaults<WsClientOptions>;

/** Client options with every default applied and every value checked. */
export interface ResolvedClientOptions {
  WebSocket: WebSocketConstructor;
  backoff: Required<BackoffOptions>;
  requestTimeout: number;
  validate: boolean;
  onStateChange: WsClientOptions["onStateChange"];
  onError: WsClientOptions["onError"];
  credentials: Credentials;
}

/** Applies the defaults and checks every option; `undefined` or `null` takes the default. Other keys (the typed client's `path`) are left alone. */
export function resolveClientOptions(options: WsClientOptions): ResolvedClientOptions {
  const given = withoutUnset(options);
  const WebSocket = given.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (WebSocket === undefined)
    throw new TypeError("No WebSocket implementation: pass options.WebSocket (e.g. `ws`'s WebSocket on Node 20).");
  check("WebSocket", WebSocket, isFunction, "a WebSocket class (the browser's, or ws's on Node 20)");
  for (const name of ["onStateChange", "onError"] as const) {
    if (given[name] !== undefined) check(name, given[name], isFunction, "a function");
  }
  if (given.validate !== undefined) check("validate", given.validate, isBoolean, "a boolean");
  // Decided once: browsers have no `process`, and bundlers replace process.env.NODE_ENV in production builds.
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return {
    WebSocket,
    backoff: resolveBackoff(given.backoff ?? CLIENT_DEFAULTS.backoff),
    requestTimeout: checkInRange("requestTimeout", given.requestTimeout ?? CLIENT_DEFAULTS.requestTimeout, 1, MAX_TIMER_MS),
    validate: given.validate ?? env?.NODE_ENV !== "production",
    onStateChange: given.onStateChange,
    onError: given.onError,
    credentials: resolveCredentials(
      {
        token: given.token,
        tokenIn: given.tokenIn,
        headers: given.headers ?? CLIENT_DEFAULTS.headers,
        query: given.query ?? CLIENT_DEFAULTS.query,
      },
      WebSocket,
    ),
  };
}
