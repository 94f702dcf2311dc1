/**
 * The wsgen fan-out target, through the generated router as users run it:
 *   node bench/fanout/servers/wsgen-server.js --port P --rate R|burst   (plain Node, built package; --port 0: any free port, printed)
 *     [--batch-window MS] [--queue-capacity N] [--lag-policy conflate|skip|close] [--max-lag-ms N]   (each passed to the runtime only when given)
 *   node --import tsx --conditions=wsgen-source bench/fanout/servers/wsgen-server.ts …   (from source)
 *     [--redis URL [--lease-ms N] [--tick-ms N]]   (bench/cluster: one of several processes on one Redis, redisBroker)
 * listens on 127.0.0.1:P (datafeed module at /api/v1/datafeed/ws) and, while
 * `bars:{"resolution":"1D","symbol":"AAPL"}` has subscribers, publishes
 * `bars.update` at R msg/s (or as fast as it can), each payload carrying `t`
 * (send time), `seq` (publish slot, from 1) and `due` (when that slot was due).
 * With `--redis`, the topic's createTopic runs on the one process of the
 * service that wins its lease: a process prints `producing <topic>` when its
 * createTopic runs and `stopped producing <topic>` when its removeTopic does,
 * so the cluster bench knows which process is the producer.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createWsApp, LiveTopics } from "wsgen";
import { flag, integerFlag } from "../../support/args.js";
import type { BarSubscriptionRequest, StampedBar } from "../models.js";
import { clusterBroker } from "../cluster-broker.js";
import { appLagOptions, routeLagOptions } from "../lag-options.js";
import { StampedBarWsRouter } from "../modules/datafeed/ws_generated/index.js";
import { serverArgs, stampedBar, startPacer } from "../pacer.js";

const { port, rate } = serverArgs(process.argv);
// `--batch-window MS` overrides the route's batchWindowMs (default: the runtime's).
const batchWindowMs = flag(process.argv, "--batch-window") === undefined ? undefined : integerFlag(process.argv, "--batch-window", 0, 0);
// `--queue-capacity N` overrides the route's queue (default here 100,000, so a burst measures fan-out, not the queue's drops).
const queueCapacity = integerFlag(process.argv, "--queue-capacity", 100_000);
// Spread, not written out: a runtime without these options compiles and runs the same (see lag-options.ts).
const lagOptions = routeLagOptions(process.argv);
const maxLagOptions = appLagOptions(process.argv);
const broker = await clusterBroker(process.argv);
const stops = new Map<string, () => void>();
const service = new LiveTopics<BarSubscriptionRequest, StampedBar>({
  onCreate: ({ topic, update }) => {
    console.log(`producing ${topic}`);
    stops.set(
      topic,
      startPacer(rate, (slot) => update(stampedBar(slot))),
    );
  },
  onRemove: ({ topic }) => {
    console.log(`stopped producing ${topic}`);
    stops.get(topic)?.();
    stops.delete(topic);
  },
});
const server = createServer();
// The default 1 MiB high-water mark, but a client past it has frames dropped (the load client counts them
// as gaps) instead of being closed, so an overloaded run still finishes and shows what it lost. No heartbeat.
createWsApp({
  modules: [{ name: "datafeed", routes: [new StampedBarWsRouter({ service, queueCapacity, batchWindowMs, ...lagOptions })] }],
  heartbeatInterval: 0,
  slowConsumer: "drop",
  maxSubscriptionsPerConnection: 10,
  ...maxLagOptions,
  ...(broker === undefined ? {} : { broker }),
}).attach(server);
// The port it got, so `--port 0` (any free port) can be read back by whoever started it; then the lag options asked for.
const asked = Object.entries({ ...lagOptions, ...maxLagOptions }).map(([key, value]) => `, ${key} ${String(value)}`);
server.listen(port, "127.0.0.1", () =>
  console.log(`wsgen fan-out server on ${(server.address() as AddressInfo).port}, rate ${String(rate)}${asked.join("")}`),
);
