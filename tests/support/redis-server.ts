/**
 * A real redis-server for a test (examples/trading/cluster/local-redis.ts,
 * the one `npm run start:cluster` starts: a free port of 127.0.0.1,
 * persistence off), with admin clients for the test's own checks, stopped
 * with the test.
 */
import { createClient } from "redis";
import { startLocalRedis, type LocalRedis } from "../../examples/trading/cluster/local-redis.js";

export { freePort } from "../../examples/trading/cluster/processes.js";

export interface RedisServer extends LocalRedis {
  /** A plain client for the test's own checks (PUBSUB, CLIENT KILL, INFO, MONITOR…). */
  admin(): Promise<ReturnType<typeof createClient>>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const server = await startLocalRedis();
  const clients: ReturnType<typeof createClient>[] = [];
  return {
    port: server.port,
    url: server.url,
    get pid() {
      return server.pid;
    },
    restart: (downMs) => server.restart(downMs),
    async admin() {
      const client = createClient({ url: server.url, socket: { reconnectStrategy: () => 100 } });
      client.on("error", () => undefined);
      await client.connect();
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients.splice(0)) client.destroy();
      await server.stop();
    },
  };
}
