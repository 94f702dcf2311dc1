/**
 * The URL a connection opens, and how it is shown. A typed client's base URL
 * is checked when the client is made. A relative one (a same-origin app in a
 * browser: `createClient("", …)`) gives relative endpoints, each resolved
 * against the page's location where there is one (older browsers' WebSocket
 * takes absolute URLs only), else left to the WebSocket implementation. An
 * error shows an endpoint without its query and without `user:password@`:
 * both may hold credentials.
 *
 * Browser-safe: no Node imports.
 *
 * @module
 */
import { requestPath } from "../protocol/paths.js";
import { invalidOption } from "../runtime/option-checks.js";

/** The schemes a base URL may have; http(s) is turned into ws(s), as the page's own URL is. */
const BASE_SCHEME = /^(?:wss?|https?):\/\/[^/?#]/i;

/** `scheme://user:password@`: what precedes the host, when the URL has userinfo. */
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i;

/**
 * `baseUrl` checked and made the prefix of every endpoint: `ws(s)://` for
 * `http(s)://`, no trailing slash. An absolute URL must be ws, wss, http or
 * https; anything else must be `""` or a path from `/`, on the page's origin.
 */
export function baseUrlOf(baseUrl: unknown): string {
  const absolute = typeof baseUrl === "string" && BASE_SCHEME.test(baseUrl);
  if (typeof baseUrl !== "string" || !(absolute || baseUrl === "" || baseUrl.startsWith("/")))
    throw invalidOption(
      "baseUrl",
      'a ws://, wss://, http:// or https:// URL, or "" or a path from "/" for the page\'s own origin',
      typeof baseUrl === "string" ? JSON.stringify(shownUrl(baseUrl)) : `a ${typeof baseUrl}`,
    );
  // A relative base stays relative: each endpoint (a path from "/") is resolved against the page, not against the page's own path.
  return toWebSocketScheme(baseUrl).replace(/\/$/, "");
}

/** The URL a connection to `url` opens: resolved against the page's location when relative and there is one; else `url` itself. */
export function endpointUrl(url: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : toWebSocketScheme(resolved(url));
}

/** `url` without its query, fragment and `user:password@`, for messages. */
export function shownUrl(url: string): string {
  return requestPath(url).replace(USERINFO, "$1");
}

/** `url` resolved against `globalThis.location` (a browser page or worker), or unchanged without one. */
function resolved(url: string): string {
  const page = (globalThis as { location?: { href?: unknown } }).location?.href;
  return typeof page === "string" ? new URL(url, page).href : url;
}

function toWebSocketScheme(url: string): string {
  return url.replace(/^http(s?):/i, "ws$1:");
}
