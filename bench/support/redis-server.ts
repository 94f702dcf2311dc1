/**
 * A real redis-server for a test or a bench: the example's local Redis
 * (examples/trading/cluster/local-redis.ts, the one `npm run start:cluster`
 * starts: a free port of 127.0.0.1, persistence off), with admin clients
 * for the caller's own checks (PUBSUB, CLIENT KILL, INFO, MONITOR…),
 * stopped with the test or the measurement. A bench pins it to a core
 * (`core`: every thread of it, again after a restart) and reads its CPU
 * time from /proc (`pid`). tests/support/redis-server.ts re-exports it.
 */
import { createClient } from "redis";
import { startLocalRedis, type LocalRedis } from "../../examples/trading/cluster/local-redis.js";
import { pinProcess } from "./processes.js";

/** A plain node-redis client on the server. */
export type AdminClient = ReturnType<typeof adminClient>;

function adminClient(url: string) {
  return createClient({ url, socket: { reconnectStrategy: () => 100 } });
}

export interface RedisServer extends LocalRedis {
  /** A plain client for the caller's own checks; stopped with the server. */
  admin(): Promise<AdminClient>;
}

/** `core`: pin the server to that core (taskset), as the benches do; unpinned by default. */
export async function startRedisServer({ core }: { core?: number } = {}): Promise<RedisServer> {
  const server = await startLocalRedis();
  const pin = (): void => {
    if (core !== undefined && server.pid !== undefined) pinProcess(core, server.pid);
  };
  pin();
  const clients: AdminClient[] = [];
  return {
    port: server.port,
    url: server.url,
    get pid() {
      return server.pid;
    },
    async restart(downMs) {
      await server.restart(downMs);
      pin();
    },
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
