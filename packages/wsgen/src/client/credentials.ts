/**
 * The credentials a connection presents on every connect and reconnect: a
 * token, extra headers and extra query parameters. The token is sent as
 * `Authorization: Bearer <token>` where the WebSocket implementation can set
 * headers (`ws`, in Node) and as the `token` query parameter elsewhere (a
 * browser's WebSocket takes a URL and protocols only). A `token` cookie needs
 * nothing from the client: the browser sends it with the upgrade by itself.
 *
 * @module
 */
import { AUTHORIZATION_HEADER, bearerCredentials, TOKEN_QUERY_PARAMETER } from "../protocol/credentials.js";
import { check, invalidOption, isFunction } from "../runtime/option-checks.js";
import { takesHeaders, type WebSocketConstructor } from "./web-socket.js";

/** What a token function is told. */
export interface TokenContext {
  /**
   * True when the server refused the token of the attempt before (HTTP 401,
   * or close 1008): return a fresh token, not a cached one.
   */
  refused: boolean;
}

/** A token, or a function called before every connection attempt for the current one. */
export type TokenSource = string | ((context: TokenContext) => string | Promise<string>);

/** Where the token goes: the Authorization header (Node's `ws` only) or the `token` query parameter. */
export type TokenPlacement = "header" | "query";

export interface CredentialOptions {
  /**
   * Presented on every connect and reconnect. A function is called before
   * each attempt (so a refreshed token is used) and once more, with
   * `{ refused: true }`, after the server refused its token with 401 or 1008.
   * @default undefined (no token)
   */
  token?: TokenSource;
  /** Where `token` is sent. @default "header" when `WebSocket` is `ws`'s (or a subclass), "query" otherwise */
  tokenIn?: TokenPlacement;
  /** Extra headers of the upgrade request. Needs `ws`'s WebSocket: a browser's cannot send headers. @default {} */
  headers?: Record<string, string>;
  /** Extra query parameters of the endpoint's URL (what browsers can send). @default {} */
  query?: Record<string, string>;
}

/** Credential options checked, with `tokenIn` decided. */
export interface Credentials {
  token: TokenSource | undefined;
  tokenIn: TokenPlacement;
  headers: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string>>;
}

/** Checks the credential options (defaults applied) against each other and against `WebSocket`; decides `tokenIn`. */
export function resolveCredentials(
  options: Required<Omit<CredentialOptions, "token" | "tokenIn">> & CredentialOptions,
  WebSocket: WebSocketConstructor,
): Credentials {
  const { token, headers, query } = options;
  // These values may be secrets: an error names what kind of value was given, never the value.
  if (token !== undefined && !((typeof token === "string" && token !== "") || isFunction(token)))
    throw invalidOption("token", "a non-empty string or a function returning one", kindOf(token));
  for (const [name, value] of [
    ["headers", headers],
    ["query", query],
  ] as const) {
    if (!isStringRecord(value)) throw invalidOption(name, "an object of string values", kindOf(value));
  }
  // Node's http would throw ERR_INVALID_CHAR from the WebSocket constructor, on every attempt.
  if (!Object.entries(headers).every(([name, value]) => HEADER_NAME.test(name) && isHeaderValue(value)))
    throw invalidOption("headers", "an object of names and values an HTTP header can carry", "a header with a character it cannot carry");
  const canSendHeaders = takesHeaders(WebSocket);
  const tokenIn = check(
    "tokenIn",
    options.tokenIn ?? (canSendHeaders ? "header" : "query"),
    (value) => value === "header" || value === "query",
    '"header" or "query"',
  );
  if (!canSendHeaders && tokenIn === "header")
    throw invalidOption("tokenIn", "\"query\" unless WebSocket is ws's (a browser's WebSocket cannot send headers)", '"header"');
  if (!canSendHeaders && Object.keys(headers).length > 0)
    throw invalidOption(
      "headers",
      "empty unless WebSocket is ws's (a browser's WebSocket cannot send headers; use query)",
      `headers ${Object.keys(headers).join(", ")}`,
    );
  if (token !== undefined && tokenIn === "header" && Object.keys(headers).some((name) => name.toLowerCase() === AUTHORIZATION_HEADER))
    throw invalidOption(
      "headers",
      "without Authorization when token is given (it is sent as Authorization: Bearer)",
      "an Authorization header",
    );
  if (token !== undefined && tokenIn === "query" && Object.hasOwn(query, TOKEN_QUERY_PARAMETER))
    throw invalidOption(
      "query",
      `without ${TOKEN_QUERY_PARAMETER} when token is given (it is sent as ?${TOKEN_QUERY_PARAMETER}=)`,
      `a ${TOKEN_QUERY_PARAMETER} parameter`,
    );
  if (typeof token === "string" && tokenIn === "header" && !isHeaderValue(token))
    throw invalidOption("token", HEADER_TOKEN, "a string with a character a header cannot carry (a line break read from a file?)");
  return { token, tokenIn, headers, query };
}

/** What asking a token function gave: the token, or why there is none; `final` when asking again is no use. */
export type TokenAnswer = { token: string } | { error: Error; final: boolean };

/**
 * Asks `token` for the token of one attempt. A function that throws (a token
 * service that could not be reached) may succeed next time; an answer that
 * cannot be sent (no non-empty string, or one a header cannot carry) would
 * be given again, so it is final: an `ERR_INVALID_OPTION` naming `token`,
 * as the string would have been refused when the client was made.
 */
export async function askToken(
  token: (context: TokenContext) => string | Promise<string>,
  tokenIn: TokenPlacement,
  context: TokenContext,
): Promise<TokenAnswer> {
  let value: unknown;
  try {
    value = await token(context);
  } catch (error) {
    const failure = new Error(`the token function failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    return { error: failure, final: false };
  }
  if (typeof value !== "string" || value === "")
    return {
      error: invalidOption(
        "token",
        "a function returning a non-empty string",
        `one returning ${value === "" ? "an empty string" : value === null ? "null" : typeof value}`,
      ),
      final: true,
    };
  if (tokenIn === "header" && !isHeaderValue(value))
    return {
      error: invalidOption("token", HEADER_TOKEN, "a function returning a string with a character a header cannot carry"),
      final: true,
    };
  return { token: value };
}

/** What one connection attempt sends: the URL with its query, and the headers (undefined: none, so the constructor gets none). */
export interface HandshakeRequest {
  url: string;
  headers: Record<string, string> | undefined;
}

/** The request of an attempt to `url` presenting `token` (undefined: no token). */
export function handshakeRequest(url: string, credentials: Credentials, token: string | undefined): HandshakeRequest {
  const query: Record<string, string> = { ...credentials.query };
  const headers: Record<string, string> = { ...credentials.headers };
  if (token !== undefined && credentials.tokenIn === "header") headers[AUTHORIZATION_HEADER] = bearerCredentials(token);
  if (token !== undefined && credentials.tokenIn === "query") query[TOKEN_QUERY_PARAMETER] = token;
  return { url: withQuery(url, query), headers: Object.keys(headers).length === 0 ? undefined : headers };
}

/**
 * `url` with `query` set on it; the same string when there is nothing to set.
 * Works on the string, not with `new URL`, which cannot parse a relative URL
 * (a same-origin endpoint with no page to resolve it against).
 */
function withQuery(url: string, query: Record<string, string>): string {
  const entries = Object.entries(query);
  if (entries.length === 0) return url;
  const end = url.search(/[?#]/);
  const path = end === -1 ? url : url.slice(0, end);
  const params = new URLSearchParams(url[end] === "?" ? url.slice(end + 1).replace(/#.*$/, "") : "");
  for (const [name, value] of entries) params.set(name, value);
  return `${path}?${params.toString()}`;
}

/** What kind of value `value` is, for an error message that must not show it. */
function kindOf(value: unknown): string {
  if (value === "") return "an empty string";
  if (value === null || Array.isArray(value)) return Array.isArray(value) ? "an array" : "null";
  if (typeof value === "object") return "an object with a value that is no string";
  return `a ${typeof value}`;
}

/** What `token` must be when it goes in the Authorization header. */
const HEADER_TOKEN = "a string an HTTP header can carry when it is sent as a header (no line break or other control character)";

/** An HTTP header name: a token (RFC 9110, section 5.6.2). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Whether `value` is a header value Node's http sends (tab, visible ASCII, space and obs-text; no CR, LF or NUL). */
function isHeaderValue(value: string): boolean {
  return !/[^\t\x20-\x7e\x80-\xff]/.test(value);
}

function isStringRecord(value: unknown): boolean {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((item) => typeof item === "string")
  );
}
