/**
 * Servers and clients for the typed-client tests: the example with a
 * generated client, and a small ticks server whose createTopic succeeds or
 * refuses every topic. Everything a test starts is cleaned up after it
 * (register with `useCleanups()` in the test file).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";
import WebSocket, { type WebSocketServer } from "ws";
import type { ClientOptions, WebSocketConstructor } from "wsgen/client";
import { createWsApp, LiveTopics } from "wsgen";
import { createWsClient } from "../../generated/client.js";
import { createTradingApp, type TradingApp } from "../../examples/trading/src/app.js";
import { routeClass } from "./fixtures.js";
import { Tick, TickRequest } from "./ticks-contract.js";

export { Tick, TickRequest, ticksContract } from "./ticks-contract.js";

export const NodeWebSocket: WebSocketConstructor = WebSocket;

/** Cleanups run after each test, last registered first. */
export const cleanups: (() => unknown)[] = [];
/** Listens on an ephemeral port of 127.0.0.1; after the test, terminates `sockets`' clients and closes both. */
export async function listenUntilCleanup(server: Server, sockets: WebSocketServer): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    for (const socket of sockets.clients) socket.terminate();
    await new Promise<void>((resolve) => sockets.close(() => resolve()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
}

export function useCleanups(): void {
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
}

export const TickWsRouter = routeClass(TickRequest, Tick, "TickRequest", "Tick");

/** The example on any port with a typed client connected to it; both are cleaned up after the test. */
export async function exampleWithClient(
  options: Partial<ClientOptions> = {},
): Promise<{ app: TradingApp; port: number; client: ReturnType<typeof createWsClient> }> {
  const { app, port } = await startExample();
  cleanups.push(() => app.close());
  const client = createWsClient(`ws://127.0.0.1:${port}`, { WebSocket: NodeWebSocket, ...options });
  cleanups.push(() => client.close());
  return { app, port, client };
}

/** The example on `port` (0: one the OS picks). */
export async function startExample(port = 0): Promise<{ app: TradingApp; port: number }> {
  const app = createTradingApp({ tickMs: 10, lingerMs: 0 }); // the lifecycle tests see a producer stop as its last subscriber leaves
  await new Promise<void>((resolve) => app.server.listen(port, "127.0.0.1", resolve));
  return { app, port: (app.server.address() as AddressInfo).port };
}

/** A ticks server on `port` (0: one the OS picks) whose createTopic succeeds, or refuses every topic. */
export async function ticksServer(port: number, refuse: boolean): Promise<{ port: number; stop: () => Promise<void> }> {
  const service = new LiveTopics<TickRequest, Tick>({
    onCreate: ({ update }) => {
      if (refuse) throw new Error("ticks are closed today");
      update({ n: 1 });
    },
  });
  const server = createServer();
  const app = createWsApp({ modules: [{ name: "ticks", routes: [new TickWsRouter({ route: "ticks", service })] }] }).attach(server);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
