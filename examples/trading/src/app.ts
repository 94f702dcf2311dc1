/**
 * The trading example as a library: two modules (datafeed, broker) on one
 * node:http server, with the broker's HTTP endpoints and the demo page
 * beside the WebSocket endpoints and their AsyncAPI documents.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createWsApp, type WsApp, type WsAppOptions } from "wsgen";
import { createMetrics } from "wsgen/metrics";
import { tokenAuthenticator } from "./auth.js";
import { Market } from "./market.js";
import { createBrokerModule } from "./modules/broker/module.js";
import { sendJson } from "./modules/broker/http.js";
import type { BrokerService } from "./modules/broker/service.js";
import { createDatafeedModule } from "./modules/datafeed/module.js";
import type { DatafeedService } from "./modules/datafeed/service.js";
import { demoBundle, renderDemoPage } from "./demo-page.js";

export interface TradingAppOptions {
  /** Milliseconds between updates of a datafeed topic and between broker matching passes. Default 1000. */
  tickMs?: number;
  market?: Market;
  /** When set, WebSocket upgrades and broker HTTP requests need it (Bearer header or `token` query parameter). */
  authToken?: string;
  /** Browser origins allowed to open sockets; others get 403. Default: any. */
  allowedOrigins?: string[];
  /** Passed to the wsgen runtime (heartbeat, limits, onError, …). */
  ws?: Omit<WsAppOptions, "modules">;
}

export interface TradingApp {
  server: Server;
  ws: WsApp;
  market: Market;
  broker: BrokerService;
  datafeed: DatafeedService;
  /** Stops accepting, closes clients with 1001, removes every topic, stops the simulators, closes the server. */
  close(): Promise<void>;
}

export function createTradingApp(options: TradingAppOptions = {}): TradingApp {
  const tickMs = options.tickMs ?? 1000;
  const market = options.market ?? new Market();
  const datafeed = createDatafeedModule({ market, tickMs });
  const broker = createBrokerModule({ market, tickMs });
  const authenticate = options.authToken !== undefined && options.authToken !== "" ? tokenAuthenticator(options.authToken) : undefined;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    try {
      if (request.url?.startsWith("/api/v1/broker/") === true && authenticate !== undefined && authenticate(request) === undefined) {
        sendJson(
          response,
          401,
          { error: "authentication required: Authorization: Bearer <token> or ?token=<token>" },
          { "www-authenticate": "Bearer" },
        );
        return;
      }
      if (broker.handleHttp(request, response)) return;
      if (request.method === "GET" && (request.url === "/" || request.url?.startsWith("/?"))) {
        const body = renderDemoPage(request.headers.host ?? "localhost");
        response.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(body) }).end(body);
        return;
      }
      if (request.method === "GET" && request.url === "/metrics") {
        metrics.text().then(
          (text) => response.writeHead(200, { "content-type": metrics.contentType }).end(text),
          (error: unknown) => sendJson(response, 500, { error: (error as Error).message }),
        );
        return;
      }
      if (request.method === "GET" && request.url === "/demo.js") {
        demoBundle().then(
          (script) =>
            response.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" }).end(script),
          (error: unknown) => sendJson(response, 500, { error: `demo bundle failed: ${(error as Error).message}` }),
        );
        return;
      }
      sendJson(response, 404, { error: `no route for ${request.method ?? "?"} ${request.url ?? ""}` });
    } catch (error) {
      sendJson(response, 500, { error: (error as Error).message });
    }
  });
  const ws = createWsApp<unknown>({
    // Limits a public endpoint wants: 100 subscriptions and 50 frames/s (bursts of 100) per connection.
    maxSubscriptionsPerConnection: 100,
    rateLimit: { perSecond: 50, burst: 100 },
    ...options.ws,
    ...(authenticate !== undefined ? { authenticate } : {}),
    ...(options.allowedOrigins !== undefined ? { allowedOrigins: options.allowedOrigins } : {}),
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
