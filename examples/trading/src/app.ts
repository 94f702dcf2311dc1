/**
 * The trading example as a library: two modules (datafeed, broker) on one
 * server, with the broker's HTTP endpoints, the demo page and /metrics on an
 * Express app beside the WebSocket endpoints and their AsyncAPI documents.
 *
 * With a JWT secret, WebSocket upgrades, the broker's HTTP endpoints, the
 * AsyncAPI documents and /metrics all need a valid token (auth.ts), and the
 * broker authorizes each account a request names. Without one, everything
 * is open, as a local demo wants.
 *
 * With a `broker` (wsgen/redis), several processes of this app form one
 * service: an update published on any of them reaches the subscribers of
 * all of them, and the demo page says which process served it.
 */
import { createServer, type Server } from "node:http";
import { hostname } from "node:os";
import express, { type NextFunction, type Request, type Response } from "express";
import { createWsApp, type Broker, type WsApp, type WsAppOptions } from "wsgen";
import { createMetrics } from "wsgen/metrics";
import { jwtAuth, TOKEN_COOKIE, traderOf, type JwtAuth, type Trader } from "./auth.js";
import { Market } from "./market.js";
import { createBrokerModule, type BrokerUser } from "./modules/broker/module.js";
import type { BrokerService } from "./modules/broker/service.js";
import { createDatafeedModule } from "./modules/datafeed/module.js";
import type { DatafeedService } from "./modules/datafeed/service.js";
import { demoBundle, renderDemoPage } from "./demo-page.js";

/** Who the demo page trades as with a development token. */
export const DEMO_TRADER: Trader = { sub: "demo", accounts: ["ACC-1", "ACC-2"] };
/** How long a development token lasts: a working day; reload the page for a new one. */
const DEV_TOKEN_SECONDS = 12 * 3600;

export interface TradingAppOptions {
  /** Milliseconds between updates of a datafeed topic and between broker matching passes. Default 1000. */
  tickMs?: number;
  market?: Market;
  /** When set, every endpoint needs an HS256 JWT signed with it (claims `sub`, `accounts`). Default: none, all open. */
  jwtSecret?: string;
  /**
   * With `jwtSecret`: the demo page at `/` sets an HttpOnly `token` cookie
   * for DEMO_TRADER, so a browser works without minting a token — only when
   * the page is asked for by a loopback name (`localhost`, `127.0.0.1`,
   * `[::1]`), so a server reachable from elsewhere (or a rebound DNS name)
   * hands none out. Opt-in: main.ts sets it for DEV_TOKENS=1, never with
   * NODE_ENV=production. Default false.
   */
  devTokens?: boolean;
  /**
   * Browser origins allowed to open sockets; others get 403. Default: any.
   * The `token` cookie counts only from the server's own origin and these
   * (auth.ts), whatever this is.
   */
  allowedOrigins?: string[];
  /**
   * Overrides the `@lingerMs` every route declares in ws.ts (tests pass 0 to
   * see a producer stop as its last subscriber leaves). Default: as declared
   * (broker 30 s, datafeed 5 s).
   */
  lingerMs?: number;
  /**
   * The wsgen message broker the WebSocket routes share topics through (not
   * the trading broker module): `await redisBroker({ url })` from
   * `wsgen/redis` makes this process one of several serving the same
   * topics. Closing it is the caller's, after `close()`. Default: wsgen's
   * in-memory one, this process alone.
   */
  broker?: Broker;
  /**
   * How the demo page names the process that served it, so pages of two
   * processes side by side tell which is which (main.ts passes the redis
   * broker's node name). Default: `${hostname()}:${process.pid}`.
   */
  nodeName?: string;
  /** Passed to the wsgen runtime (heartbeat, limits, onError, …). */
  ws?: Omit<WsAppOptions<BrokerUser>, "modules">;
}

export interface TradingApp {
  server: Server;
  ws: WsApp<BrokerUser>;
  market: Market;
  broker: BrokerService;
  datafeed: DatafeedService;
  /** Stops accepting, closes clients with 1001, removes every topic, stops the simulators, closes the server. */
  close(): Promise<void>;
}

export function createTradingApp(options: TradingAppOptions = {}): TradingApp {
  const tickMs = options.tickMs ?? 1000;
  const market = options.market ?? new Market();
  const auth =
    options.jwtSecret !== undefined && options.jwtSecret !== ""
      ? jwtAuth(options.jwtSecret, { allowedOrigins: options.allowedOrigins ?? [] })
      : undefined;
  const traderOfRequest = auth === undefined ? undefined : async (request: Request) => traderOf(await auth.authenticate(request)) ?? null;
  const { lingerMs } = options;
  const nodeName = options.nodeName ?? `${hostname()}:${process.pid}`;
  const datafeed = createDatafeedModule({ market, tickMs, lingerMs });
  const broker = createBrokerModule({ market, tickMs, lingerMs, auth: traderOfRequest && { traderOf: traderOfRequest } });

  const http = express();
  http.disable("x-powered-by");
  http.set("case sensitive routing", true);
  http.get("/", (request, response, next) => {
    const page = renderDemoPage(request.headers.host ?? "localhost", {
      node: nodeName,
      port: request.socket.localPort,
      shared: options.broker !== undefined,
    });
    if (auth === undefined || options.devTokens !== true || !isLoopbackHost(request.headers.host)) {
      response.type("html").send(page);
      return;
    }
    devCookie(auth, overTls(request)).then((cookie) => response.set("set-cookie", cookie).type("html").send(page), next);
  });
  http.get("/demo.js", (_request, response, next) => {
    demoBundle().then((script) => response.type("text/javascript").set("cache-control", "no-cache").send(script), next);
  });
  // Metrics are operational data: behind the same tokens as everything else (Prometheus sends one with `authorization`).
  http.get("/metrics", (request, response, next) => {
    const allowed = traderOfRequest === undefined ? Promise.resolve(true) : traderOfRequest(request).then((trader) => trader !== null);
    allowed
      .then(async (ok) => {
        if (!ok) response.status(401).set("www-authenticate", "Bearer").json({ error: "authentication required" });
        else response.type(metrics.contentType).send(await metrics.text());
      })
      .catch(next);
  });
  http.use("/api/v1/broker", broker.router);
  // Nothing of the request reaches these bodies: a URL may carry ?token=.
  http.use((_request, response) => void response.status(404).json({ error: "not found" }));
  http.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    const status = statusOf(error);
    if (status === 500) console.error(`[trading] request failed: ${(error as Error).message}`);
    response
      .status(status)
      .json({ error: status === 400 ? "the request body is not valid JSON" : status < 500 ? "request refused" : "internal error" });
  });

  const server = createServer(http);
  const ws = createWsApp<BrokerUser>({
    // Limits a public endpoint wants: 100 subscriptions and 50 frames/s (bursts of 100) per connection.
    maxSubscriptionsPerConnection: 100,
    rateLimit: { perSecond: 50, burst: 100 },
    ...options.ws,
    ...(auth !== undefined ? { authenticate: (request) => auth.authenticate(request), protectDocs: true } : {}),
    ...(options.allowedOrigins !== undefined ? { allowedOrigins: options.allowedOrigins } : {}),
    asyncapi: { ...options.ws?.asyncapi, ...(auth !== undefined ? { securitySchemes: SECURITY_SCHEMES } : {}) },
    ...(options.broker !== undefined ? { broker: options.broker } : {}),
    modules: [datafeed.module, broker.module],
  }).attach(server);
  const metrics = createMetrics(ws);
  let closing: Promise<void> | undefined;
  return {
    server,
    ws,
    market,
    broker: broker.service,
    datafeed: datafeed.service,
    close() {
      closing ??= (async () => {
        await ws.close();
        datafeed.service.stop();
        broker.service.stop();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}

/** The three ways a token may come, as the AsyncAPI documents say. */
const SECURITY_SCHEMES = {
  bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "Authorization: Bearer <jwt>" },
  cookie: { type: "httpApiKey", name: TOKEN_COOKIE, in: "cookie", description: "what browsers use" },
  query: { type: "httpApiKey", name: "token", in: "query", description: "for clients that can send neither" },
} as const;

/** The development token as a cookie no script can read and no other site's page sends; `Secure` when the page came over TLS. */
async function devCookie(auth: JwtAuth, secure: boolean): Promise<string> {
  const token = await auth.sign(DEMO_TRADER, DEV_TOKEN_SECONDS);
  return `${TOKEN_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${DEV_TOKEN_SECONDS}${secure ? "; Secure" : ""}`;
}

/** Host names that only this machine can send a request to (DNS rebinding cannot make another name one). */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);

function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return LOOPBACK_HOSTS.has(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
}

/** Whether the request came over TLS: to this server, or (as a proxy in front says) to the proxy. */
function overTls(request: Request): boolean {
  return (request.socket as { encrypted?: boolean }).encrypted === true || request.headers["x-forwarded-proto"] === "https";
}

/** The HTTP status an error from Express or body-parser carries (400 for a body that is not JSON), else 500. */
function statusOf(error: unknown): number {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 400 && status < 500 ? status : 500;
}
