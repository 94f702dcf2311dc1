/**
 * Servers that authenticate WebSocket upgrades, for the client's credential
 * and refusal tests: a ticks app whose `authenticate` takes a token as
 * `Authorization: Bearer <token>` or `?token=<token>` and records every
 * upgrade it sees, and a bare `ws` server that closes every connection at
 * once with a given code (the 1008 form of a refusal, which the runtime
 * does not use). Each is stopped after the test that started it (register
 * with `useCleanups()` in the test file).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { authenticated, LiveTopics, type WsAppOptions } from "wsgen";
import { endpointPath } from "../../packages/wsgen/src/protocol/paths.js";
import { startApp } from "./server.js";
import { cleanups, listenUntilCleanup, TickWsRouter, type Tick, type TickRequest } from "./typed-client.js";

/** One upgrade request as the server saw it. */
export interface SeenUpgrade {
  /** How the token came: the Bearer header, the query, or not at all. */
  via: "header" | "query" | undefined;
  token: string | undefined;
  accepted: boolean;
  /** Every query parameter of the request. */
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
}

export interface AuthTicksServer {
  port: number;
  /** Upgrades that reached `authenticate` (not those refused earlier, by origin). */
  seen: SeenUpgrade[];
  /** Every upgrade request on the server, refused ones included. */
  upgradeRequests(): number;
}

/**
 * The ticks module (`ticks`, route `ticks`: `{name}` → `{n}`, one tick `{n: 1}`
 * on each subscription) behind `authenticate`, which accepts a request whose
 * token passes `accept`.
 */
export async function authTicksServer(
  accept: (token: string) => boolean,
  options: Pick<WsAppOptions, "allowedOrigins" | "maxConnectionLifespan"> & {
    /** Accepted credentials expire this long after the upgrade (`authenticated(user, { expiresAt })`): the runtime closes with 4001. */
    expiresInMs?: number;
  } = {},
): Promise<AuthTicksServer> {
  const { expiresInMs, ...appOptions } = options;
  const seen: SeenUpgrade[] = [];
  const service = new LiveTopics<TickRequest, Tick>({ onCreate: ({ update }) => update({ n: 1 }) });
  const running = await startApp({
    modules: [{ name: "ticks", routes: [new TickWsRouter({ route: "ticks", service })] }],
    ...appOptions,
    authenticate: (request) => {
      const url = new URL(request.url ?? "/", "http://localhost");
      const header = request.headers.authorization;
      const fromHeader = header?.startsWith("Bearer ") === true ? header.slice("Bearer ".length) : undefined;
      const fromQuery = url.searchParams.get("token") ?? undefined;
      const token = fromHeader ?? fromQuery;
      const accepted = token !== undefined && accept(token);
      seen.push({
        via: fromHeader !== undefined ? "header" : fromQuery !== undefined ? "query" : undefined,
        token,
        accepted,
        query: Object.fromEntries(url.searchParams),
        headers: { ...request.headers },
      });
      if (!accepted) return null;
      return expiresInMs === undefined ? { token } : authenticated({ token }, { expiresAt: Date.now() + expiresInMs });
    },
    onError: () => undefined,
  });
  cleanups.push(() => running.stop());
  let upgrades = 0;
  running.server.on("upgrade", () => (upgrades += 1));
  return { port: running.port, seen, upgradeRequests: () => upgrades };
}

/** A `ws` server at the ticks endpoint that accepts every upgrade and closes the connection at once with `code` and `reason`. */
export async function closingServer(code: number, reason: string): Promise<{ url: string; connections(): number }> {
  const server = createServer();
  const sockets = new WebSocketServer({ server, path: endpointPath("ticks") });
  let connections = 0;
  sockets.on("connection", (socket) => {
    connections += 1;
    socket.close(code, reason);
  });
  await listenUntilCleanup(server, sockets);
  const { port } = server.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}`, connections: () => connections };
}
