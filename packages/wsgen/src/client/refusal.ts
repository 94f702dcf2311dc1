/**
 * How the client tells a refused connection from a lost one. A lost
 * connection is retried; a refusal stops the client (state "refused") until
 * `reconnect()`, so only what a server says plainly counts as one:
 *
 * - HTTP 401 or 403 answering the upgrade. The WHATWG WebSocket API does not
 *   expose the status (a browser sees a failed connection, like an outage);
 *   `ws` tells it only in the message of its error event.
 * - A close with 1008 (policy violation) before the server sent any frame,
 *   unless its reason is the runtime's rate limit: a client that resubscribes
 *   many topics at once may be closed for flooding before any reply.
 *
 * @module
 */
import { CloseCode, FLOODING_CLOSE_REASONS } from "../protocol/messages.js";
import { shownUrl } from "./endpoint.js";
import { WsHandshakeError } from "./errors.js";

/** Statuses of a refused upgrade: not authenticated, not allowed. Others (404, 500, 503) are retried. */
export const REFUSED_STATUSES: readonly number[] = [401, 403];

/**
 * `ws` answers a handshake that gets another status than 101 with an error
 * whose message is `Unexpected server response: <status>` (ws 8,
 * lib/websocket.js); its 'unexpected-response' event would carry the response
 * itself, but it is not part of the WHATWG interface the client drives, and
 * listening to it would leave aborting the handshake to us.
 */
const UNEXPECTED_RESPONSE = /^Unexpected server response: (\d{3})$/;

/** The HTTP status an error event reports for a failed upgrade, when the implementation tells it (`ws` does). */
export function upgradeStatus(event: unknown): number | undefined {
  const message = (event as { message?: unknown } | null | undefined)?.message;
  const match = typeof message === "string" ? UNEXPECTED_RESPONSE.exec(message) : null;
  return match === null ? undefined : Number(match[1]);
}

/** How one connection attempt ended. */
export interface AttemptEnd {
  /** The upgrade's HTTP status, when an error event told it. */
  status: number | undefined;
  closeCode: number;
  reason: string;
  /** Frames received from the server on this connection. */
  framesReceived: number;
}

/** The refusal an attempt to `url` ended with, if any; the error names `url` without its query and user:password, which may hold credentials. */
export function refusalOf(url: string, end: AttemptEnd): WsHandshakeError | undefined {
  const endpoint = shownUrl(url);
  if (end.status !== undefined && REFUSED_STATUSES.includes(end.status)) return new WsHandshakeError(endpoint, { status: end.status });
  if (end.closeCode === CloseCode.policyViolation && end.framesReceived === 0 && !FLOODING_CLOSE_REASONS.includes(end.reason))
    return new WsHandshakeError(endpoint, { closeCode: end.closeCode, reason: end.reason });
  return undefined;
}

/** Whether a fresh token may get past `refusal`: 401 and 1008 say the token was not accepted, 403 that it is not enough. */
export function isAuthenticationRefusal(refusal: WsHandshakeError): boolean {
  return refusal.status !== 403;
}
