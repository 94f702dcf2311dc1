/**
 * Token authentication of the example: when a token is configured, every
 * WebSocket upgrade and every broker HTTP request must carry it, either as
 * `Authorization: Bearer <token>` or as a `token` query parameter (browsers
 * cannot set headers on a WebSocket). Compared in constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export interface Caller {
  /** How the caller proved itself. */
  via: "header" | "query";
}

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

/** Returns a checker for `token`: the caller when the request carries it, undefined otherwise. */
export function tokenAuthenticator(token: string): (request: IncomingMessage) => Caller | undefined {
  // Comparing fixed-length digests keeps the comparison constant-time whatever the presented length.
  const expected = digest(token);
  const matches = (presented: string): boolean => timingSafeEqual(digest(presented), expected);
  return (request) => {
    const header = request.headers.authorization;
    if (header !== undefined && header.startsWith("Bearer ") && matches(header.slice("Bearer ".length).trim())) return { via: "header" };
    const query = new URL(request.url ?? "/", "http://localhost").searchParams.get("token");
    if (query !== null && matches(query)) return { via: "query" };
    return undefined;
  };
}
