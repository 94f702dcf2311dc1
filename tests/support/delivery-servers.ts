/**
 * Servers for the typed client's delivery tests: a ticks app with history
 * whose test can drop the connections of one client (by the `who` query
 * parameter of its upgrade, so a holder that keeps the topic live stays
 * connected) and publish on demand; and a bare `ws` server that answers a
 * subscribe and then sends updates at the `seq`s a test gives, to show what
 * the client makes of duplicates and gaps no correct server sends.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocketServer } from "ws";
import { createWsApp, LiveTopics, type RouteOptions, type WsAppOptions } from "wsgen";
import { buildTopic } from "wsgen/client";
import { endpointPath } from "../../packages/wsgen/src/protocol/paths.js";
import { cleanups, listenUntilCleanup, TickWsRouter, type Tick, type TickRequest } from "./typed-client.js";

export interface TicksApp {
  port: number;
  /** Publishes `{n}` to every live ticks topic. */
  publish(n: number): void;
  /** Destroys the TCP connections of the clients that connected with `?who=<who>`, as a network drop would. */
  drop(who: string): void;
  stop(): Promise<void>;
}

/** A ticks app on `port` (0: one the OS picks) with `options` on its route; stopped after the test. */
export async function ticksApp(
  port = 0,
  options: Partial<RouteOptions<TickRequest, Tick>> = {},
  appOptions: Partial<WsAppOptions> = {},
): Promise<TicksApp> {
  const service = new LiveTopics<TickRequest, Tick>();
  const server = createServer();
  const sockets = new Map<Socket, string>();
  server.on("upgrade", (request: IncomingMessage, socket: Socket) => {
    const who = new URL(request.url ?? "/", "http://localhost").searchParams.get("who");
    if (who !== null) sockets.set(socket, who);
    socket.on("close", () => sockets.delete(socket));
  });
  const routes = [new TickWsRouter({ route: "ticks", service, ...options })];
  const app = createWsApp({ ...appOptions, modules: [{ name: "ticks", routes }] }).attach(server);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await app.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  cleanups.push(stop);
  return {
    port: (server.address() as AddressInfo).port,
    publish: (n) => void service.publish(() => true, { n }),
    drop: (who) => {
      for (const [socket, name] of sockets) if (name === who) socket.destroy();
    },
    stop,
  };
}

/**
 * A bare `ws` server of module `ticks`: it answers a subscribe with `ok` at
 * `seq: 0` of epoch "e1", then sends one update of `{n: seq}` per entry of
 * `seqs`, in that order; it answers an unsubscribe with `ok`.
 */
export async function scriptedServer(seqs: readonly number[]): Promise<{ url: string }> {
  const server = createServer();
  const sockets = new WebSocketServer({ server, path: endpointPath("ticks") });
  sockets.on("connection", (socket) => {
    socket.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string; id: string; payload: TickRequest };
      const topic = buildTopic("ticks", frame.payload);
      if (frame.type === "ticks.unsubscribe") {
        const answer = { status: "ok", message: "unsubscribed", topic };
        socket.send(JSON.stringify({ type: "ticks.unsubscribe.response", payload: answer, id: frame.id }));
      }
      if (frame.type !== "ticks.subscribe") return;
      const response = { status: "ok", message: "subscribed", topic, seq: 0, epoch: "e1" };
      socket.send(JSON.stringify({ type: "ticks.subscribe.response", payload: response, id: frame.id }));
      for (const seq of seqs)
        socket.send(JSON.stringify({ type: "ticks.update", payload: { topic, payload: { n: seq }, seq, epoch: "e1" } }));
    });
  });
  await listenUntilCleanup(server, sockets);
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
