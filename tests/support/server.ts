/** Starts a WsApp on a plain node:http server on 127.0.0.1 with an ephemeral port. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createWsApp, type WsApp, type WsAppOptions } from "wsgen";
import { endpointPath } from "../../packages/wsgen/src/protocol/paths.js";

export interface RunningApp<User = unknown> {
  app: WsApp<User>;
  server: Server;
  port: number;
  /** `ws://127.0.0.1:PORT/api/v1/{module}/ws` */
  wsUrl(module: string): string;
  httpUrl(path: string): string;
  stop(): Promise<void>;
}

export async function startApp<User = unknown>(
  options: WsAppOptions<User>,
  handler?: Parameters<typeof createServer>[1],
): Promise<RunningApp<User>> {
  const server = handler === undefined ? createServer() : createServer(handler);
  const app = createWsApp(options).attach(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let stopped = false;
  return {
    app,
    server,
    port,
    wsUrl: (module) => `ws://127.0.0.1:${port}${endpointPath(module)}`,
    httpUrl: (path) => `http://127.0.0.1:${port}${path}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Resolves when `condition` holds, polling on a short interval; rejects after `timeoutMs`. */
export async function eventually(condition: () => boolean, timeoutMs = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
