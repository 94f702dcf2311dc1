/**
 * The checks an upgrade request passes before the WebSocket handshake: the
 * origin allow-list and the `authenticate` hook. A refused upgrade is
 * answered with a plain HTTP response on the raw socket, then closed.
 */
import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { ResolvedAppOptions } from "./app-options.js";
import { readAuthentication, type Identity } from "./authentication.js";

/** What the checks decided: the identity to accept, or the HTTP status and message to refuse with. */
export type UpgradeDecision<User = unknown> = ({ accept: true } & Identity<User>) | { accept: false; status: number; message: string };

/** Runs the origin check, then `authenticate`. A throwing hook rejects (the caller answers 500). */
export async function checkUpgrade<User>(
  request: IncomingMessage,
  options: Pick<ResolvedAppOptions<User>, "allowedOrigins" | "authenticate">,
): Promise<UpgradeDecision<User>> {
  const origin = request.headers.origin;
  if (options.allowedOrigins !== undefined && origin !== undefined && !options.allowedOrigins.includes(origin)) {
    return { accept: false, status: 403, message: `Origin ${origin} is not allowed.` };
  }
  return authenticateRequest(request, options);
}

/** Runs `authenticate` alone (for upgrades and protected documents): every falsy or expired answer is 401. */
export async function authenticateRequest<User>(
  request: IncomingMessage,
  options: Pick<ResolvedAppOptions<User>, "authenticate">,
): Promise<UpgradeDecision<User>> {
  // Without authenticate the user is null, as documented; User is then whatever the modules declare (unknown by default).
  if (options.authenticate === undefined) return { accept: true, user: null as User, expiresAt: undefined };
  const identity = readAuthentication(await options.authenticate(request));
  // The message names no credential and echoes nothing of the request (its URL may carry a token).
  if (identity === undefined) return { accept: false, status: 401, message: "Authentication required." };
  return { accept: true, ...identity };
}

/** Answers an upgrade request with an HTTP error and closes the socket. */
export function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
