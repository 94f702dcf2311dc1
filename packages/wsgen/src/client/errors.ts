/**
 * Errors the client rejects with: a server answer of status "error", a
 * closed client, or a refused connection.
 *
 * @module
 */
export interface Issue {
  code?: string;
  path?: PropertyKey[];
  message: string;
}

/** The server answered `{route}.subscribe` (or unsubscribe) with status "error". */
export class WsRequestError extends Error {
  readonly code = "ERR_REQUEST_REFUSED";
  readonly type: string;
  readonly topic: string;
  /** The zod issues when the request did not validate. */
  readonly issues: Issue[];

  constructor(type: string, message: string, topic: string, issues: Issue[] = []) {
    super(`${type}: ${message}`);
    this.name = "WsRequestError";
    this.type = type;
    this.topic = topic;
    this.issues = issues;
  }
}

/** The client was closed, or the request could not be sent. */
export class WsClientClosedError extends Error {
  readonly code = "ERR_CLIENT_CLOSED";

  constructor(message = "the client is closed") {
    super(message);
    this.name = "WsClientClosedError";
  }
}

/** What the server said when it refused a connection: an HTTP status, or a close code and reason. */
export type Refusal = { status: number } | { closeCode: number; reason: string };

/**
 * The server refused the connection: HTTP 401 or 403 at the upgrade, or a
 * close with 1008 before it sent any frame (docs/runtime.md, "The typed
 * client"). The client stops reconnecting until `reconnect()`.
 */
export class WsHandshakeError extends Error {
  readonly code = "ERR_HANDSHAKE_REFUSED";
  /** The endpoint, without its query string and `user:password@` (which may hold credentials). */
  readonly url: string;
  /** The HTTP status of the refused upgrade; undefined when the server accepted it and closed with `closeCode`. */
  readonly status: number | undefined;
  /** The close code (1008) when the server closed the connection instead; undefined for an HTTP refusal. */
  readonly closeCode: number | undefined;
  /** The close reason; `""` for an HTTP refusal. */
  readonly reason: string;

  constructor(url: string, refusal: Refusal) {
    const said = "status" in refusal ? `HTTP ${refusal.status}` : `closed with ${refusal.closeCode} ${JSON.stringify(refusal.reason)}`;
    super(`the server refused the connection to ${url}: ${said}`);
    this.name = "WsHandshakeError";
    this.url = url;
    this.status = "status" in refusal ? refusal.status : undefined;
    this.closeCode = "closeCode" in refusal ? refusal.closeCode : undefined;
    this.reason = "reason" in refusal ? refusal.reason : "";
  }
}

/** A thrown value as an Error, for onError. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
