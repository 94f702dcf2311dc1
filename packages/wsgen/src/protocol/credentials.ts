/**
 * Where a client's token travels on the upgrade request (docs/protocol.md,
 * "Authentication"): the `Authorization: Bearer <token>` header, the `token`
 * query parameter (browsers cannot set headers on a WebSocket), or a `token`
 * cookie (which a browser sends by itself). The client sends the header or
 * the parameter.
 *
 * Browser-safe: no Node imports.
 */

/** The header name, lower-case as Node's `IncomingMessage.headers` keys it. */
export const AUTHORIZATION_HEADER = "authorization";

/** `?token=…` on the endpoint's URL. */
export const TOKEN_QUERY_PARAMETER = "token";

/** The value of the Authorization header that carries `token`. */
export function bearerCredentials(token: string): string {
  return `Bearer ${token}`;
}
