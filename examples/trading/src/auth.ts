/**
 * JWT authentication of the example (HS256, verified with `jose`): a token
 * whose claims hold `sub`, `accounts: string[]` and `exp` is a Trader. It
 * may come as `Authorization: Bearer <jwt>` (the scheme in any case, as RFC
 * 9110 has it), as a `token` cookie (what browsers use: the demo page's
 * development cookie is HttpOnly and SameSite=Strict, so no script reads it
 * and no other site's page sends it), or as a `?token=` query parameter
 * (accepted for clients that can do nothing else; never logged nor echoed,
 * but proxies and browser history may keep URLs, so prefer the other two).
 * Missing, expired, never-expiring (no `exp`), unsigned (`alg: none`),
 * badly signed or malformed tokens are refused.
 *
 * The cookie is ambient: a browser sends it with any page's request to this
 * host, and WebSockets have no CORS (SameSite stops only cross-*site* pages,
 * not another port or subdomain). So a cookie counts only when the request
 * comes from this server's own origin (its `Origin` names the `Host` it was
 * sent to), from an allowed origin, or from no browser (no `Origin`);
 * otherwise the request is treated as carrying no token: cross-site
 * WebSocket hijacking gets a 401.
 */
import type { IncomingMessage } from "node:http";
import { jwtVerify, SignJWT } from "jose";
import { authenticated, type Authenticated } from "wsgen";
import { z } from "zod";

/** Who a verified token says the caller is. */
export interface Trader {
  sub: string;
  /** The accounts the trader may read and trade. */
  accounts: string[];
}

const Claims = z.object({ sub: z.string().min(1), accounts: z.array(z.string()), exp: z.number() });

/** The cookie browsers carry the token in. */
export const TOKEN_COOKIE = "token";

export interface JwtAuth {
  /** The trader a request's token names (with its expiry), or undefined when it carries no valid token. */
  authenticate(request: IncomingMessage): Promise<Authenticated<Trader> | Trader | undefined>;
  /** Signs a token for `trader`, valid for `ttlSeconds`: the demo page's development token. */
  sign(trader: Trader, ttlSeconds: number): Promise<string>;
}

export interface JwtAuthOptions {
  /** Browser origins besides the server's own from which the `token` cookie counts. Default: none. */
  allowedOrigins?: readonly string[];
}

export function jwtAuth(secret: string, options: JwtAuthOptions = {}): JwtAuth {
  const key = new TextEncoder().encode(secret);
  const allowedOrigins = options.allowedOrigins ?? [];
  return {
    async authenticate(request) {
      const token = tokenOf(request, allowedOrigins);
      if (token === undefined) return undefined;
      try {
        // Only HS256: "none" and every other algorithm are refused before the signature is looked at.
        // A token without `exp` would be valid forever (and its connection never closed with 4001): refused.
        const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"], requiredClaims: ["exp"] });
        const claims = Claims.safeParse(payload);
        if (!claims.success) return undefined;
        const trader = { sub: claims.data.sub, accounts: claims.data.accounts };
        return authenticated(trader, { expiresAt: claims.data.exp * 1000 });
      } catch {
        return undefined;
      }
    },
    sign: (trader, ttlSeconds) =>
      new SignJWT({ accounts: trader.accounts })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(trader.sub)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key),
  };
}

/** The trader of an `authenticate` answer, without its expiry. */
export function traderOf(answer: Authenticated<Trader> | Trader | undefined): Trader | undefined {
  return answer !== undefined && "user" in answer ? answer.user : answer;
}

/** `Bearer <token>`, the scheme in any case. */
const BEARER = /^bearer\s+(\S+)\s*$/i;

/** The token a request carries: Bearer header, then cookie (from an origin it counts for), then query. */
function tokenOf(request: IncomingMessage, allowedOrigins: readonly string[]): string | undefined {
  const bearer = BEARER.exec(request.headers.authorization ?? "")?.[1];
  if (bearer !== undefined) return bearer;
  const cookie = cookieValue(request.headers.cookie, TOKEN_COOKIE);
  if (cookie !== undefined && cookieCounts(request, allowedOrigins)) return cookie;
  const query = new URL(request.url ?? "/", "http://localhost").searchParams.get("token");
  return query === null || query === "" ? undefined : query;
}

/** Whether the ambient cookie may stand for the caller: no browser `Origin`, the server's own origin, or an allowed one. */
function cookieCounts(request: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (allowedOrigins.includes(origin)) return true;
  try {
    // The Host the browser sent the request to is this server as the page saw it: same host and port, same origin.
    return request.headers.host !== undefined && new URL(origin).host === request.headers.host.toLowerCase();
  } catch {
    // "null" (sandboxed frames, file: pages) and other unparsable origins are nobody's own.
    return false;
  }
}

/** The first non-empty value of cookie `name` (`token=; token=<jwt>` is the second). */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const [key, ...value] = part.trim().split("=");
    const joined = value.join("=");
    if (key === name && joined !== "") return joined;
  }
  return undefined;
}
