/**
 * One wsgen process of a test cluster (tests/cluster-processes.test.ts): a
 * bars route on a redisBroker (REDIS_URL, NODE_NAME; leaseMs 1000, tickMs
 * 200). While it produces a topic its service publishes a bar every TICK_MS
 * (0: never), whose `volume` is this process's pid, so a client can tell
 * which producer an update came from. It prints `port N` once listening and
 * one JSON line per createTopic/removeTopic and per error; POST /publish
 * `{symbol, close}` publishes from anywhere, GET /stats answers app.stats().
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createWsApp, LiveTopics } from "wsgen";
import { redisBroker } from "wsgen/redis";
import { Bar, BarSubscriptionRequest, BarWsRouter, bar } from "./fixtures.js";

const tickMs = Number(process.env.TICK_MS ?? "0");
const say = (line: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify({ pid: process.pid, ...line })}\n`);

const broker = await redisBroker({
  url: process.env.REDIS_URL!,
  nodeName: process.env.NODE_NAME,
  leaseMs: 1_000,
  tickMs: 200,
  log: (level, message) => say({ event: "log", level, message }),
}).catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});

const timers = new Map<string, NodeJS.Timeout>();
let close = 0;
const service = new LiveTopics<BarSubscriptionRequest, Bar>({
  onCreate: (live) => {
    say({ event: "create", topic: live.topic });
    if (tickMs > 0)
      timers.set(
        live.topic,
        setInterval(() => live.update({ ...bar((close += 1)), volume: process.pid }), tickMs),
      );
  },
  onRemove: (live) => {
    say({ event: "remove", topic: live.topic });
    clearInterval(timers.get(live.topic));
    timers.delete(live.topic);
  },
});
const route = new BarWsRouter({ route: "bars", service, historySize: 1000, historyMaxBytes: 1 << 20 });

const server = createServer((request, response) => {
  if (request.method === "GET" && request.url === "/stats") {
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(app.stats()));
    return;
  }
  if (request.method === "POST" && request.url === "/publish") {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      const { symbol, close: value } = JSON.parse(body) as { symbol: string; close: number };
      route.publish({ symbol, resolution: "1D" }, { ...bar(value), volume: process.pid }).then(
        (result) => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result)),
        (error: unknown) => response.writeHead(503).end((error as Error).message),
      );
    });
    return;
  }
  response.writeHead(404).end();
});
const app = createWsApp({
  modules: [{ name: "datafeed", routes: [route] }],
  broker,
  heartbeatInterval: 0,
  onError: (error) => say({ event: "error", code: (error as { code?: string }).code, message: (error as Error).message }),
});
app.attach(server);
server.listen(0, "127.0.0.1", () => {
  console.log(`port ${(server.address() as AddressInfo).port}`);
});
process.on("SIGTERM", () => {
  void app
    .close()
    .then(() => broker.close())
    .then(() => process.exit(0));
});
