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
  return { token, tokenIn, headers, query };
}

/** The token of one attempt: the string, or the function's answer, which must be a non-empty string. */
export async function currentToken(token: TokenSource, context: TokenContext): Promise<string> {
  if (typeof token === "string") return token;
  let value: unknown;
  try {
    value = await token(context);
  } catch (error) {
    throw new Error(`the token function failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (typeof value !== "string" || value === "")
    throw new TypeError(`the token function returned ${value === "" ? "an empty string" : typeof value} instead of a non-empty string`);
  return value;
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

/** `url` with `query` set on it; the same string when there is nothing to set. */
function withQuery(url: string, query: Record<string, string>): string {
  const entries = Object.entries(query);
  if (entries.length === 0) return url;
  const target = new URL(url);
  for (const [name, value] of entries) target.searchParams.set(name, value);
  return target.toString();
}

/** What kind of value `value` is, for an error message that must not show it. */
function kindOf(value: unknown): string {
  if (value === "") return "an empty string";
  if (value === null || Array.isArray(value)) return Array.isArray(value) ? "an array" : "null";
  if (typeof value === "object") return "an object with a value that is no string";
  return `a ${typeof value}`;
}

function isStringRecord(value: unknown): boolean {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((item) => typeof item === "string")
  );
}
