/**
 * JWT authentication of the example (HS256, verified with `jose`): a token
 * whose claims hold `sub` and `accounts: string[]` is a Trader. It may come
 * as `Authorization: Bearer <jwt>`, as a `token` cookie (what browsers use:
 * the demo page's development cookie is HttpOnly and SameSite=Strict, so no
 * script reads it and no other site's page sends it), or as a `?token=`
 * query parameter (accepted for clients that can do nothing else; never
 * logged nor echoed, but proxies and browser history may keep URLs, so
 * prefer the other two). Missing, expired, unsigned (`alg: none`), badly
 * signed or malformed tokens are refused.
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

const Claims = z.object({ sub: z.string().min(1), accounts: z.array(z.string()), exp: z.number().optional() });

/** The cookie browsers carry the token in. */
export const TOKEN_COOKIE = "token";

export interface JwtAuth {
  /** The trader a request's token names (with its expiry), or undefined when it carries no valid token. */
  authenticate(request: IncomingMessage): Promise<Authenticated<Trader> | Trader | undefined>;
  /** Signs a token for `trader`, valid for `ttlSeconds`: the demo page's development token. */
  sign(trader: Trader, ttlSeconds: number): Promise<string>;
}

export function jwtAuth(secret: string): JwtAuth {
  const key = new TextEncoder().encode(secret);
  return {
    async authenticate(request) {
      const token = tokenOf(request);
      if (token === undefined) return undefined;
      try {
        // Only HS256: "none" and every other algorithm are refused before the signature is looked at.
        const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"] });
        const claims = Claims.safeParse(payload);
        if (!claims.success) return undefined;
        const trader = { sub: claims.data.sub, accounts: claims.data.accounts };
        return claims.data.exp === undefined ? trader : authenticated(trader, { expiresAt: claims.data.exp * 1000 });
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

/** The token a request carries: Bearer header, then cookie, then query. */
function tokenOf(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith("Bearer ") === true) return header.slice("Bearer ".length).trim() || undefined;
  const cookie = cookieValue(request.headers.cookie, TOKEN_COOKIE);
  if (cookie !== undefined) return cookie;
  const query = new URL(request.url ?? "/", "http://localhost").searchParams.get("token");
  return query === null || query === "" ? undefined : query;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const [key, ...value] = part.trim().split("=");
    if (key === name && value.length > 0) return value.join("=") || undefined;
  }
  return undefined;
}
