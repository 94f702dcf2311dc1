/**
 * A real redis-server for a test (examples/trading/cluster/local-redis.ts,
 * the one `npm run start:cluster` starts: a free port of 127.0.0.1,
 * persistence off), with admin clients for the test's own checks, stopped
 * with the test.
 */
import { createClient } from "redis";
import { startLocalRedis, type LocalRedis } from "../../examples/trading/cluster/local-redis.js";

export { freePort } from "../../examples/trading/cluster/processes.js";

/** A plain node-redis client on the test server. */
export type AdminClient = ReturnType<typeof adminClient>;

function adminClient(url: string) {
  return createClient({ url, socket: { reconnectStrategy: () => 100 } });
}

export interface RedisServer extends LocalRedis {
  /** A plain client for the test's own checks (PUBSUB, CLIENT KILL, INFO, MONITOR…). */
  admin(): Promise<AdminClient>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const server = await startLocalRedis();
  const clients: AdminClient[] = [];
  return {
    port: server.port,
    url: server.url,
    get pid() {
      return server.pid;
    },
    restart: (downMs) => server.restart(downMs),
    async admin() {
      const client = adminClient(server.url);
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
