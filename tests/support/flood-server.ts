/**
 * A server for the slow-consumer test, run as its own process so its memory
 * can be measured alone: one route whose service publishes 10 updates every
 * millisecond (10,000 msg/s) to each live topic, each carrying a sequence
 * number. It prints its port, and answers GET /stats with app.stats() and
 * its RSS. SLOW_CONSUMER=drop switches the policy from close to drop;
 * MAX_LAG_MS sets maxLagMs (0: lag detection off, the high-water mark alone)
 * and LAG_POLICY the route's lagPolicy.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { createWsApp, LiveTopics } from "wsgen";
import { routeClass } from "./fixtures.js";

const Tick = z.object({ seq: z.number(), pad: z.string() });
type Tick = z.infer<typeof Tick>;
const TickRequest = z.object({ name: z.string() });
type TickRequest = z.infer<typeof TickRequest>;
const TickWsRouter = routeClass(TickRequest, Tick, "TickRequest", "Tick");

const timers = new Map<string, NodeJS.Timeout>();
const pad = "x".repeat(200);
const service = new LiveTopics<TickRequest, Tick>({
  onCreate: ({ topic, update }) => {
    let seq = 0;
    timers.set(
      topic,
      setInterval(() => {
        for (let i = 0; i < 10; i++) update({ seq: ++seq, pad });
      }, 1),
    );
  },
  onRemove: ({ topic }) => {
    clearInterval(timers.get(topic));
    timers.delete(topic);
  },
});

const server = createServer((request, response) => {
  if (request.url === "/stats") {
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ...app.stats(), rss: process.memoryUsage().rss }));
  } else response.writeHead(404).end();
});
const app = createWsApp({
  modules: [
    {
      name: "feed",
      routes: [new TickWsRouter({ route: "ticks", service, validateUpdates: false, lagPolicy: lagPolicy(process.env.LAG_POLICY) })],
    },
  ],
  slowConsumer: process.env.SLOW_CONSUMER === "drop" ? "drop" : "close",
  maxLagMs: process.env.MAX_LAG_MS === undefined ? undefined : Number(process.env.MAX_LAG_MS),
  closeTimeout: 60_000, // a slow consumer must be let go at once, not after this
}).attach(server);

function lagPolicy(name: string | undefined): "conflate" | "skip" | "close" | undefined {
  return name === "conflate" || name === "skip" || name === "close" ? name : undefined;
}
server.listen(0, "127.0.0.1", () => console.log(`port ${(server.address() as AddressInfo).port}`));
process.on("SIGTERM", () => {
  for (const timer of timers.values()) clearInterval(timer);
  void app.close().then(() => process.exit(0));
});
