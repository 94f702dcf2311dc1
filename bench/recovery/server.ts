/**
 * The recovery bench's wsgen server (bench/recovery/run.ts starts it pinned to core 0):
 *   node --import tsx --conditions=wsgen-source bench/recovery/server.ts --port P [--history N]
 *   (--port 0: any free port, printed)
 * One route, the fan-out bench's generated `bars` router, with `historySize`
 * N (default 1,000) and history bytes enough for all of them, on one shared
 * topic, `bars:{"resolution":"1D","symbol":"AAPL"}`. It publishes only when
 * told, so the bench decides exactly what a client misses. Control, over
 * HTTP on the same port:
 *   POST /bench/publish?count=N   publishes N stamped bars at once; answers {"head": seq}
 *   POST /bench/live?rate=R       publishes R a second until rate=0 (0: stop)
 *   GET  /bench/stats             {"cpuMicros", "rssMiB", "connections", "subscriptions", "recoveries", "updatesReplayed", "recoveriesFailed"}
 * A control request that cannot be served is answered 4xx with a JSON
 * `{"error"}`, never a crash.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createWsApp, LiveTopics, type TopicUpdater } from "wsgen";
import { integerFlag } from "../support/args.js";
import type { BarSubscriptionRequest, StampedBar } from "../fanout/models.js";
import { StampedBarWsRouter } from "../fanout/modules/datafeed/ws_generated/index.js";
import { now, stampedBar, startPacer } from "../fanout/pacer.js";

process.once("SIGTERM", () => process.exit(0));
const port = integerFlag(process.argv, "--port", 8100, 0);
const historySize = integerFlag(process.argv, "--history", 1_000);
/** Room for every kept update: a stamped bar's frame is about 250 bytes. */
const historyMaxBytes = historySize * 1_024;

let topicUpdate: TopicUpdater<StampedBar> | undefined;
/** Updates published on the current topic's stream: its head `seq`, as every update is accepted (no drop, valid). */
let head = 0;
let stopLive: (() => void) | undefined;
const service = new LiveTopics<BarSubscriptionRequest, StampedBar>({
  onCreate: ({ update }) => {
    topicUpdate = update;
    head = 0;
  },
  onRemove: () => {
    topicUpdate = undefined;
    stopLive?.();
    stopLive = undefined;
  },
});
const publish = (): void => topicUpdate?.(stampedBar({ seq: ++head, due: now() }));

const app = createWsApp({
  modules: [
    {
      name: "datafeed",
      routes: [new StampedBarWsRouter({ service, historySize, historyMaxBytes, queueCapacity: 100_000 })],
    },
  ],
  heartbeatInterval: 0,
});

/** Answers a control request with `status` and a JSON body. */
function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function control(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? "/", "http://127.0.0.1");
  const count = Number(url.searchParams.get("count") ?? url.searchParams.get("rate"));
  if (url.pathname === "/bench/stats" && request.method === "GET") {
    const { connections, routes } = app.stats().modules.datafeed!;
    const bars = routes.bars!;
    const cpu = process.cpuUsage();
    return answer(response, 200, {
      cpuMicros: cpu.user + cpu.system,
      rssMiB: process.memoryUsage.rss() / 2 ** 20,
      connections,
      subscriptions: bars.subscriptions,
      recoveries: bars.recoveries,
      updatesReplayed: bars.updatesReplayed,
      recoveriesFailed: bars.recoveriesFailed,
    });
  }
  if (request.method !== "POST" || !["/bench/publish", "/bench/live"].includes(url.pathname)) {
    return answer(response, 404, { error: "use POST /bench/publish?count=N, POST /bench/live?rate=R or GET /bench/stats" });
  }
  if (!Number.isInteger(count) || count < 0) return answer(response, 400, { error: "count and rate are integers of at least 0" });
  if (topicUpdate === undefined) return answer(response, 409, { error: "the topic has no subscriber, so nothing can be published" });
  if (url.pathname === "/bench/publish") {
    for (let i = 0; i < count; i++) publish();
    return answer(response, 200, { head });
  }
  stopLive?.();
  stopLive = count === 0 ? undefined : startPacer(count, publish);
  return answer(response, 200, { head });
}

const server = createServer(control);
app.attach(server);
// A reconnect storm opens every connection at once: a backlog below that would drop SYNs and add 1 s retries.
server.listen({ port, host: "127.0.0.1", backlog: 4_096 }, () =>
  console.log(`wsgen recovery server on ${(server.address() as AddressInfo).port}, historySize ${historySize}`),
);
