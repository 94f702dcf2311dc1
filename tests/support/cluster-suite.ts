/**
 * The hooks of a cluster test file (tests/cluster-edges-*.test.ts): one
 * redis-server for the file, a fresh Cluster per test, apps of a test's own
 * routes, all stopped after each test and Redis flushed.
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import type { WsRoute } from "wsgen";
import { redisBroker, type RedisBroker } from "wsgen/redis";
import { clientId, Cluster, nodeOf, type ClusterApp } from "./cluster-apps.js";
import { startDelayProxy, type DelayProxy } from "./delay-proxy.js";
import { startRedisServer, type RedisServer } from "./redis-server.js";
import { startApp, type RunningApp } from "./server.js";

export interface ClusterSuite {
  readonly redis: RedisServer;
  /** A new cluster for this test (stopped after it). */
  fresh(): Cluster;
  /** An app serving one route of a test's own on its own broker (stopped after the test). */
  startOther(route: WsRoute<any, any>): Promise<RunningApp>;
  /** Stops `running` (and closes `broker`) after the test. */
  stopAfter(running: RunningApp, broker?: RedisBroker): void;
  /** Runs `test` with a fresh cluster and a delay proxy in front of the redis-server; stops the cluster, then closes the proxy. */
  withProxy(test: (cluster: Cluster, proxy: DelayProxy) => Promise<void>): Promise<void>;
  /** Drops `app`'s pub/sub connection (CLIENT KILL): it reconnects and resubscribes by itself. */
  killPubsub(app: ClusterApp): Promise<void>;
}

export function useClusterSuite(): ClusterSuite {
  let redis: RedisServer | undefined;
  let cluster: Cluster | undefined;
  const others: { running: RunningApp; broker: RedisBroker | undefined }[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
    for (const { running, broker } of others.splice(0)) {
      await running.stop().catch(() => undefined);
      await broker?.close();
    }
    const admin = await redis!.admin();
    await admin.flushAll();
  });
  const suite: ClusterSuite = {
    get redis() {
      return redis!;
    },
    fresh: () => (cluster = new Cluster(redis!)),
    async startOther(route) {
      const broker = await redisBroker({ url: redis!.url, leaseMs: 600, tickMs: 100, log: () => undefined });
      const running = await startApp({
        modules: [{ name: "datafeed", routes: [route] }],
        heartbeatInterval: 0,
        broker,
        onError: () => undefined,
      });
      others.push({ running, broker });
      return running;
    },
    stopAfter(running, broker) {
      others.push({ running, broker });
    },
    async withProxy(test) {
      const proxy = await startDelayProxy(redis!.port);
      const cluster = suite.fresh();
      try {
        await test(cluster, proxy);
      } finally {
        await cluster.stop();
        await proxy.close();
      }
    },
    async killPubsub(app) {
      const admin = await redis!.admin();
      await admin.sendCommand(["CLIENT", "KILL", "ID", await clientId(admin, `${nodeOf(app)}:pubsub`)]);
    },
  };
  return suite;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
