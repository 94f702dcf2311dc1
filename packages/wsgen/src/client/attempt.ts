/**
 * One connection attempt: a socket opened with the handshake request of the
 * moment (URL and headers carrying the credentials), whose events come back
 * as what the client acts on: opened, a frame, and closed, refused or not
 * (refusal.ts).
 *
 * @module
 */
import type { HandshakeRequest } from "./credentials.js";
import type { WsHandshakeError } from "./errors.js";
import { refusalOf, upgradeStatus } from "./refusal.js";
import type { WebSocketConstructor, WebSocketLike } from "./web-socket.js";

export interface AttemptEvents {
  onOpen(): void;
  onFrame(data: unknown): void;
  /** The socket closed; `refusal` when the server refused the connection rather than losing it. */
  onClose(refusal: WsHandshakeError | undefined): void;
}

/** Opens a socket for `request`; `events` hear of it until it closes. */
export function openAttempt(WebSocket: WebSocketConstructor, request: HandshakeRequest, events: AttemptEvents): WebSocketLike {
  const socket =
    request.headers === undefined ? new WebSocket(request.url) : new WebSocket(request.url, undefined, { headers: request.headers });
  let status: number | undefined;
  let framesReceived = 0;
  socket.onopen = () => events.onOpen();
  socket.onmessage = (event) => {
    framesReceived += 1;
    events.onFrame(event.data);
  };
  // A close event follows every error event: the attempt ends there. An error event may tell a refused upgrade's status.
  socket.onerror = (event) => {
    status ??= upgradeStatus(event);
  };
  socket.onclose = (event) =>
    events.onClose(refusalOf(request.url, { status, closeCode: event.code, reason: event.reason, framesReceived }));
  return socket;
}
