/**
 * The fan-out load client (run pinned to its own core by run.ts):
 *   node --import tsx bench/fanout/load-client.ts --target wsgen|ws|socketio --port P --clients C --seconds T
 * Opens C connections, subscribes each to the bars topic, waits a warm-up
 * second, then for T seconds counts deliveries, gaps in each connection's
 * `seq`, how far the publisher's `seq` advanced, and publish-to-receipt
 * latency (the payload's `t` against this process's clock; same machine,
 * same clock source). Prints `window-start`, `window-end` and a JSON summary.
 *
 * Every target is driven through the same LightSocket, so the load client
 * costs the same per message whichever server it measures; socket.io is
 * spoken at its wire level (engine.io 4 packets over a plain WebSocket).
 */
import { FieldReader, hasPrefix, LightSocket } from "./light-socket.js";
import { now, TOPIC } from "./pacer.js";

const arg = (flag: string, fallback: string): string => {
  const index = process.argv.indexOf(flag);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
};
const target = arg("--target", "wsgen");
const port = Number(arg("--port", "8100"));
const clients = Number(arg("--clients", "100"));
const seconds = Number(arg("--seconds", "5"));

const REQUEST = { symbol: "AAPL", resolution: "1D" };
const T = new FieldReader('"t":');
const DUE = new FieldReader('"due":');
const SEQ = new FieldReader('"seq":');

/** How one target frames subscribe, its reply and updates. */
interface Dialect {
  path: string;
  /** Frames to send once the socket is open, and the prefix of the frame that says it is ready to subscribe. */
  hello?: { readyPrefix: Buffer; onOpenPrefix: Buffer; reply: string };
  subscribe: string;
  replyPrefix: Buffer;
  updatePrefix: Buffer;
  /** Application-level keep-alive: a frame equal to `ping` is answered with `pong`. */
  keepAlive?: { ping: Buffer; pong: string };
}

const WIRE_PROTOCOL: Omit<Dialect, "path"> = {
  subscribe: JSON.stringify({ type: "bars.subscribe", payload: REQUEST, id: "1" }),
  replyPrefix: Buffer.from('{"type":"bars.subscribe.response"'),
  updatePrefix: Buffer.from('{"type":"bars.update"'),
};
const DIALECTS: Record<string, Dialect> = {
  wsgen: { path: "/api/v1/datafeed/ws", ...WIRE_PROTOCOL },
  ws: { path: "/", ...WIRE_PROTOCOL },
  // engine.io: "0{…}" open → client "40" (connect to namespace) → "40{…}"; "42[…]" events, "420[…]" with ack 0 → "430[…]".
  socketio: {
    path: "/socket.io/?EIO=4&transport=websocket",
    hello: { onOpenPrefix: Buffer.from("0{"), reply: "40", readyPrefix: Buffer.from("40") },
    subscribe: `420${JSON.stringify(["subscribe", REQUEST])}`,
    replyPrefix: Buffer.from("430"),
    updatePrefix: Buffer.from('42["bars.update"'),
    keepAlive: { ping: Buffer.from("2"), pong: "3" },
  },
};
const dialect = DIALECTS[target];
if (dialect === undefined) {
  console.error(`unknown --target ${target}: use wsgen, ws or socketio`);
  process.exit(2);
}

let measuring = false;
let deliveries = 0;
let gaps = 0;
let highestSeq = 0;
// Every delivery's latency would be millions of numbers: keep a stride sample.
const samples = new Float64Array(2_000_000);
/** Receipt minus the slot's due time: includes any time the publisher itself spent behind schedule. */
const lateness = new Float64Array(samples.length);
let sampled = 0;
const stride = Math.max(1, Math.floor(clients / 50));

/** Opens one connection; resolves with a function that subscribes it (every connection opens before any subscribes). */
async function open(dialect: Dialect): Promise<() => Promise<void>> {
  const socket = await LightSocket.open(port, dialect.path);
  let lastSeq = 0;
  let replied: () => void = () => undefined;
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  if (dialect.hello === undefined) ready();
  socket.onMessage((chunk, start, end) => {
    if (hasPrefix(chunk, start, end, dialect.updatePrefix)) {
      const seq = SEQ.integer(chunk, start, end);
      if (lastSeq !== 0 && seq !== lastSeq + 1 && measuring) gaps += seq - lastSeq - 1;
      lastSeq = seq;
      if (seq > highestSeq) highestSeq = seq;
      if (!measuring) return;
      deliveries += 1;
      if (deliveries % stride === 0 && sampled < samples.length) {
        const receivedAt = now();
        samples[sampled] = receivedAt - T.number(chunk, start, end);
        lateness[sampled++] = receivedAt - DUE.number(chunk, start, end);
      }
    } else if (hasPrefix(chunk, start, end, dialect.replyPrefix)) replied();
    else if (
      dialect.keepAlive !== undefined &&
      end - start === dialect.keepAlive.ping.length &&
      hasPrefix(chunk, start, end, dialect.keepAlive.ping)
    ) {
      socket.sendText(dialect.keepAlive.pong);
    } else if (dialect.hello !== undefined && hasPrefix(chunk, start, end, dialect.hello.onOpenPrefix)) {
      socket.sendText(dialect.hello.reply);
    } else if (dialect.hello !== undefined && hasPrefix(chunk, start, end, dialect.hello.readyPrefix)) ready();
  });
  await isReady;
  return () => {
    const subscribed = new Promise<void>((resolve) => (replied = resolve));
    socket.sendText(dialect.subscribe);
    return subscribed;
  };
}

const subscribers: (() => Promise<void>)[] = [];
while (subscribers.length < clients) {
  const batch = Math.min(200, clients - subscribers.length);
  subscribers.push(...(await Promise.all(Array.from({ length: batch }, () => open(dialect)))));
}
// Every connection subscribes at once, so the publisher starts with (nearly) all of them.
await Promise.all(subscribers.map((subscribe) => subscribe()));
await new Promise((resolve) => setTimeout(resolve, 1_000));
measuring = true;
const seqAtStart = highestSeq;
console.log(`window-start ${Date.now()}`);
const started = now();
const cpuAtStart = process.cpuUsage();
await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
measuring = false;
const elapsed = (now() - started) / 1000;
const cpu = process.cpuUsage(cpuAtStart);
console.log(`window-end ${Date.now()}`);
const sorted = (values: Float64Array): number[] => Array.from(values.subarray(0, sampled)).sort((a, b) => a - b);
const latencies = sorted(samples);
const late = sorted(lateness);
const quantile = (q: number, values = latencies): number =>
  values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? Number.NaN;
console.log(
  JSON.stringify({
    target,
    topic: TOPIC,
    clients,
    deliveries,
    perSecond: deliveries / elapsed,
    // How fast the publisher's slots advanced: below the asked rate when the producer itself fell behind.
    publishedPerSecond: (highestSeq - seqAtStart) / elapsed,
    gaps,
    // Near 100 % the client, not the server, limits deliveries and adds latency.
    clientCpuPercent: ((cpu.user + cpu.system) / 1e6 / elapsed) * 100,
    p50: quantile(0.5),
    p99: quantile(0.99),
    max: latencies.at(-1) ?? Number.NaN,
    p99BehindSchedule: quantile(0.99, late),
  }),
);
process.exit(0);
