/**
 * The fan-out load client (run pinned to its own core by run.ts):
 *   node --import tsx bench/fanout/load-client.ts --target wsgen|ws|socketio --port P[,P2…] --clients C --seconds T [--transport light|ws]
 * Opens C connections (round-robin over the ports: bench/cluster splits
 * them over the processes of one service), subscribes each to the bars
 * topic, waits a warm-up second, then for T seconds counts deliveries,
 * gaps in each connection's `seq`, how far the publisher's `seq` advanced,
 * and the age of delivered updates: receipt time minus the payload's `t`
 * (the publish time), both on the performance.timeOrigin + performance.now()
 * clock of the same machine, read on receipt in this process. Prints
 * `subscribed` (the warm-up starts), `window-start`, `window-end` and a
 * JSON summary (with the deliveries to each port's connections).
 *
 * Every target is driven through the same transport, so the load client
 * costs the same per message whichever server it measures:
 * - `light` (default): LightSocket, which parses frames off the TCP stream
 *   for about 1 µs a message, so the servers are the limit;
 * - `ws`: the `ws` library's client (the overload scenario), which cannot
 *   keep up with a server that delivers at full speed.
 * Either way, per message it reads `seq`, and for a sample `t` and `due`,
 * in place: nothing else, so the transport stays what limits the client.
 */
import { flag, integerFlag, listFlag, usage } from "../support/args.js";
import { quantile } from "../support/figures.js";
import { DIALECTS, type Dialect } from "./dialects.js";
import { FieldReader, hasPrefix, LightSocket, type MessageHandler } from "./light-socket.js";
import { now, TOPIC } from "./pacer.js";
import { WsSocket } from "./ws-socket.js";

const argv = process.argv;
const target = flag(argv, "--target", "wsgen");
const ports = listFlag(argv, "--port", "8100").map((port) =>
  Number.isInteger(Number(port)) && Number(port) > 0 ? Number(port) : usage(`--port takes ports, got ${JSON.stringify(port)}`),
);
const clients = integerFlag(argv, "--clients", 100);
const seconds = integerFlag(argv, "--seconds", 5);
const transport = flag(argv, "--transport", "light");

/** What the load client needs of a connection, whichever library makes it. */
interface Connection {
  onMessage(handler: MessageHandler): void;
  sendText(text: string): void;
}
const TRANSPORTS: Record<string, (port: number, path: string) => Promise<Connection>> = {
  light: (port, path) => LightSocket.open(port, path),
  ws: (port, path) => WsSocket.open(port, path),
};
const connect = TRANSPORTS[transport] ?? usage(`unknown --transport ${transport}: use light or ws`);
const dialect = DIALECTS[target] ?? usage(`unknown --target ${target}: use wsgen, ws or socketio`);

const T = new FieldReader('"t":');
const DUE = new FieldReader('"due":');
const SEQ = new FieldReader('"seq":');

let measuring = false;
let deliveries = 0;
let gaps = 0;
/** Updates each connection skipped during the window (gaps in its `seq`). */
const skipped: number[] = [];
/** Deliveries during the window to the connections of each port (index of `ports`). */
const deliveriesPerPort = ports.map(() => 0);
let highestSeq = 0;
// Every delivery's latency would be millions of numbers: keep a stride sample.
const samples = new Float64Array(2_000_000);
/** Receipt minus the slot's due time: includes any time the publisher itself spent behind schedule. */
const lateness = new Float64Array(samples.length);
let sampled = 0;
const stride = Math.max(1, Math.floor(clients / 50));

/** Opens one connection; resolves with a function that subscribes it (every connection opens before any subscribes). */
async function open(dialect: Dialect, portIndex: number): Promise<() => Promise<void>> {
  const socket = await connect(ports[portIndex]!, dialect.path);
  const index = skipped.push(0) - 1;
  let lastSeq = 0;
  let replied: () => void = () => undefined;
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  if (dialect.hello === undefined) ready();
  socket.onMessage((chunk, start, end) => {
    if (hasPrefix(chunk, start, end, dialect.updatePrefix)) {
      const seq = SEQ.integer(chunk, start, end);
      if (lastSeq !== 0 && seq !== lastSeq + 1 && measuring) {
        gaps += seq - lastSeq - 1;
        skipped[index]! += seq - lastSeq - 1;
      }
      lastSeq = seq;
      if (seq > highestSeq) highestSeq = seq;
      if (!measuring) return;
      deliveries += 1;
      deliveriesPerPort[portIndex]! += 1;
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
  const first = subscribers.length;
  subscribers.push(...(await Promise.all(Array.from({ length: batch }, (_, i) => open(dialect, (first + i) % ports.length)))));
}
// Every connection subscribes at once, so the publisher starts with (nearly) all of them.
await Promise.all(subscribers.map((subscribe) => subscribe()));
console.log(`subscribed ${Date.now()}`);
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
const sorted = (values: Float64Array): Float64Array => values.slice(0, sampled).sort();
const ages = sorted(samples);
const late = sorted(lateness);
console.log(
  JSON.stringify({
    target,
    topic: TOPIC,
    clients,
    deliveries,
    deliveriesPerPort,
    perSecond: deliveries / elapsed,
    // How fast the publisher's slots advanced: below the asked rate when the producer itself fell behind.
    published: highestSeq - seqAtStart,
    publishedPerSecond: (highestSeq - seqAtStart) / elapsed,
    gaps,
    skippedPerClientMax: Math.max(0, ...skipped),
    // Near 100 % the client, not the server, limits deliveries and adds latency.
    clientCpuPercent: ((cpu.user + cpu.system) / 1e6 / elapsed) * 100,
    // Age of delivered updates (receipt − `t`), over the stride sample.
    p50: quantile(ages, 0.5),
    p99: quantile(ages, 0.99),
    max: ages.at(-1) ?? Number.NaN,
    p99BehindSchedule: quantile(late, 0.99),
  }),
);
process.exit(0);
