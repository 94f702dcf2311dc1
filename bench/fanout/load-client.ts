/**
 * The fan-out load client (run pinned to its own core by run.ts):
 *   node --import tsx bench/fanout/load-client.ts --target wsgen|ws|socketio --port P --clients C --seconds T
 * Opens C connections, subscribes each to the bars topic, waits a warm-up
 * second, then counts deliveries and publish-to-receipt latency (the payload's
 * `t` against this process's clock; same machine, same clock source) for T
 * seconds. Prints `window-start`, `window-end` and a JSON summary line.
 */
import { io as connectSocketIo, type Socket } from "socket.io-client";
import WebSocket from "ws";
import { now, TOPIC } from "./pacer.js";

const arg = (flag: string, fallback: string): string => {
  const index = process.argv.indexOf(flag);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
};
const target = arg("--target", "wsgen");
const port = Number(arg("--port", "8100"));
const clients = Number(arg("--clients", "100"));
const seconds = Number(arg("--seconds", "5"));

let measuring = false;
let deliveries = 0;
// Every delivery's latency would be millions of numbers: keep a stride sample.
const samples = new Float64Array(2_000_000);
let sampled = 0;
let seen = 0;
const stride = Math.max(1, Math.floor(clients / 50));

function receive(t: number): void {
  if (!measuring) return;
  deliveries += 1;
  seen += 1;
  if (seen % stride === 0 && sampled < samples.length) samples[sampled++] = now() - t;
}

/** Opens one connection; resolves with a function that subscribes it (every connection opens before any subscribes). */
async function openWs(path: string): Promise<() => Promise<void>> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return () => {
    const subscribed = new Promise<void>((resolve) => {
      socket.on("message", (data: Buffer) => {
        const frame = JSON.parse(data.toString("utf8")) as { type: string; payload: { payload: { t: number } } };
        if (frame.type === "bars.update") receive(frame.payload.payload.t);
        else if (frame.type === "bars.subscribe.response") resolve();
      });
    });
    socket.send(JSON.stringify({ type: "bars.subscribe", payload: { symbol: "AAPL", resolution: "1D" }, id: "1" }));
    return subscribed;
  };
}

async function openSocketIo(): Promise<() => Promise<void>> {
  const socket: Socket = connectSocketIo(`http://127.0.0.1:${port}`, { transports: ["websocket"], reconnection: false, forceNew: true });
  socket.on("bars.update", (update: { payload: { t: number } }) => receive(update.payload.t));
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  return () => new Promise<void>((resolve) => socket.emit("subscribe", { symbol: "AAPL", resolution: "1D" }, () => resolve()));
}

const open = (): Promise<() => Promise<void>> =>
  target === "socketio" ? openSocketIo() : openWs(target === "wsgen" ? "/api/v1/datafeed/ws" : "/");
const subscribers: (() => Promise<void>)[] = [];
while (subscribers.length < clients) {
  const batch = Math.min(200, clients - subscribers.length);
  subscribers.push(...(await Promise.all(Array.from({ length: batch }, open))));
}
// Every connection subscribes at once, so the publisher starts with (nearly) all of them.
await Promise.all(subscribers.map((subscribe) => subscribe()));
await new Promise((resolve) => setTimeout(resolve, 1_000));
measuring = true;
console.log(`window-start ${Date.now()}`);
const started = now();
await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
measuring = false;
const elapsed = (now() - started) / 1000;
console.log(`window-end ${Date.now()}`);
const latencies = Array.from(samples.subarray(0, sampled)).sort((a, b) => a - b);
const quantile = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
console.log(
  JSON.stringify({
    target,
    topic: TOPIC,
    clients,
    deliveries,
    perSecond: deliveries / elapsed,
    p50: quantile(0.5),
    p99: quantile(0.99),
    max: latencies.at(-1) ?? Number.NaN,
  }),
);
process.exit(0);
