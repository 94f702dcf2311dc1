/**
 * Errors the client rejects with: a server answer of status "error", or a connection problem.
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
