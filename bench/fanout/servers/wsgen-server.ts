/**
 * The wsgen fan-out target, through the generated router as users run it:
 *   node --import tsx bench/fanout/servers/wsgen-server.ts --port P --rate R|burst
 * listens on 127.0.0.1:P (datafeed module at /api/v1/datafeed/ws) and, while
 * `bars:{"resolution":"1D","symbol":"AAPL"}` has subscribers, publishes
 * `bars.update` at R msg/s (or as fast as it can), each payload carrying `t`
 * (send time) and `seq` (publish slot, from 1).
 */
import { createServer } from "node:http";
import { createWsApp, LiveTopics } from "wsgen";
import type { BarSubscriptionRequest, StampedBar } from "../models.js";
import { StampedBarWsRouter } from "../modules/datafeed/ws_generated/index.js";
import { serverArgs, stampedBar, startPacer } from "../pacer.js";

const { port, rate } = serverArgs(process.argv);
const stops = new Map<string, () => void>();
const service = new LiveTopics<BarSubscriptionRequest, StampedBar>({
  onCreate: ({ topic, update }) =>
    void stops.set(
      topic,
      startPacer(rate, (seq) => update(stampedBar(seq))),
    ),
  onRemove: ({ topic }) => {
    stops.get(topic)?.();
    stops.delete(topic);
  },
});
const server = createServer();
// A benchmark peer is never slow by policy: a generous high-water mark, no heartbeat.
createWsApp({
  modules: [{ name: "datafeed", routers: [new StampedBarWsRouter({ service, queueCapacity: 100_000 })] }],
  heartbeatInterval: 0,
  highWaterMark: 64 * 1024 * 1024,
  maxSubscriptionsPerConnection: 10,
}).attach(server);
server.listen(port, "127.0.0.1", () => console.log(`wsgen fan-out server on ${port}, rate ${String(rate)}`));
