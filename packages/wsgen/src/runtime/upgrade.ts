/**
 * The checks an upgrade request passes before the WebSocket handshake: the
 * origin allow-list and the `authenticate` hook. A refused upgrade is
 * answered with a plain HTTP response on the raw socket, then closed.
 */
import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { ResolvedAppOptions } from "./app-options.js";

/** What the checks decided: the user to accept, or the HTTP status and message to refuse with. */
export type UpgradeDecision = { accept: true; user: unknown } | { accept: false; status: number; message: string };

/** Runs the origin check, then `authenticate`. A throwing hook rejects (the caller answers 500). */
export async function checkUpgrade(
  request: IncomingMessage,
  options: Pick<ResolvedAppOptions, "allowedOrigins" | "authenticate">,
): Promise<UpgradeDecision> {
  const origin = request.headers.origin;
  if (options.allowedOrigins !== undefined && origin !== undefined && !options.allowedOrigins.includes(origin)) {
    return { accept: false, status: 403, message: `Origin ${origin} is not allowed.` };
  }
  if (options.authenticate === undefined) return { accept: true, user: null };
  const user = await options.authenticate(request);
  if (user === null || user === false || user === undefined) return { accept: false, status: 401, message: "Authentication required." };
  return { accept: true, user };
}

/** Answers an upgrade request with an HTTP error and closes the socket. */
export function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
