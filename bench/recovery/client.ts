/**
 * The recovery bench's load client (bench/recovery/run.ts starts it pinned to core 1):
 *   node --import tsx bench/recovery/client.ts --port P --mode since|fresh [--clients 1000] [--missed 500] [--live-rate 0]
 * 1. An anchor connection subscribes and stays, so the topic's stream (and
 *    its history) lives while everyone else is away, as another tab would
 *    keep it (docs/protocol.md, "Delivery").
 * 2. C clients connect and subscribe; the server publishes 10 warm-up
 *    updates and every client holds the last one.
 * 3. All C drop at once (their TCP sockets destroyed); once the server
 *    counts only the anchor, it publishes M updates, which they all miss.
 * 4. Reconnection starts: all C connect at once and resubscribe:
 *    - `since`: with `since` = their last position; a client has caught up
 *      when it received the head `seq` and every update before it. Checked:
 *      `recovered: true`, and exactly the M missed updates, in order, no
 *      duplicate, no gap;
 *    - `fresh`: without `since` (no replay); done at its first live update
 *      after the response. Checked: nothing older than the response's `seq`,
 *      no gap after it.
 *    With `--live-rate R` the server publishes R a second from the start of
 *    reconnection (in both modes); with 0, `fresh` has one update published
 *    once every client is subscribed.
 * Prints one JSON line: times from the start of reconnection, the server's
 * CPU time over it (process.cpuUsage deltas, read from the server), the
 * bytes clients received until each was done, and what the checks found.
 */
import { flag, integerFlag, usage } from "../support/args.js";
import { median } from "../support/figures.js";
import { now } from "../fanout/pacer.js";
import { Subscriber, type Position } from "./subscriber.js";

const argv = process.argv;
const port = integerFlag(argv, "--port", 8100);
const mode = flag(argv, "--mode", "since");
if (mode !== "since" && mode !== "fresh") usage(`--mode must be since or fresh, got ${JSON.stringify(mode)}`);
const clients = integerFlag(argv, "--clients", 1_000);
const missed = integerFlag(argv, "--missed", 500);
const liveRate = integerFlag(argv, "--live-rate", 0, 0);
const timeoutMs = integerFlag(argv, "--timeout-ms", 60_000);
const WARMUP = 10;

interface ServerStats {
  cpuMicros: number;
  rssMiB: number;
  connections: number;
  subscriptions: number;
  recoveries: number;
  updatesReplayed: number;
  recoveriesFailed: number;
}

async function control<T>(method: "GET" | "POST", path: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${body.error ?? ""}`);
  return body;
}
const stats = (): Promise<ServerStats> => control<ServerStats>("GET", "/bench/stats");
const publish = async (count: number): Promise<number> => (await control<{ head: number }>("POST", `/bench/publish?count=${count}`)).head;

/** Waits until `condition` holds, checking every 5 ms; throws naming `what` after `ms`. */
async function until(condition: () => boolean | Promise<boolean>, what: string, ms = timeoutMs): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function connectAll(subscribers: Subscriber[]): Promise<void> {
  // In batches, as bench:fanout does: this setup is not what is measured.
  for (let from = 0; from < subscribers.length; from += 200) {
    await Promise.all(subscribers.slice(from, from + 200).map((subscriber) => subscriber.subscribe(port, undefined)));
  }
}

const anchor = new Subscriber();
await anchor.subscribe(port, undefined);
const subscribers = Array.from({ length: clients }, () => new Subscriber());
await connectAll(subscribers);
const warm = await publish(WARMUP);
await until(() => subscribers.every((subscriber) => subscriber.position.seq === warm), "every client to hold the warm-up updates");

for (const subscriber of subscribers) subscriber.drop();
await until(async () => (await stats()).subscriptions === 1, "the server to see every client but the anchor leave");
const target = await publish(missed);
await until(() => anchor.position.seq === target, "the anchor to receive the missed updates");
const positions: Position[] = subscribers.map((subscriber) => subscriber.position);

// Reconnection: everything from here is measured.
if (liveRate > 0) await control("POST", `/bench/live?rate=${liveRate}`);
const before = await stats();
const cpuBefore = process.cpuUsage();
const startedAt = now();
const doneAt = new Float64Array(clients).fill(Number.NaN);
const bytes = new Float64Array(clients);
const done = (index: number): void => {
  if (!Number.isNaN(doneAt[index]!)) return;
  doneAt[index] = now();
  bytes[index] = subscribers[index]!.bytesReceived;
};
const reconnecting = subscribers.map((subscriber, index) =>
  subscriber.subscribe(port, mode === "since" ? positions[index] : undefined, (seq) => {
    // Past the head without it is a gap, already recorded as this client's failure: done either way, not waited for.
    if (mode === "fresh" || seq >= target) done(index);
  }),
);
let responded = 0;
reconnecting.forEach(
  (response, index) =>
    void response.then(({ recovered }) => {
      responded += 1;
      // A since that was not recovered gets nothing replayed: that client is done (and counted as failed) at its response.
      if (mode === "since" && recovered !== true) done(index);
    }),
);
// A client that never gets its response is reported as not caught up after the timeout, not waited for forever.
const report = (error: Error): void => console.error(error.message);
if (mode === "fresh" && liveRate === 0) {
  await until(() => responded === clients, "every subscribe response").catch(report);
  await publish(1);
}
await until(() => doneAt.every((at) => !Number.isNaN(at)), "every client to catch up").catch(report);
const cpu = process.cpuUsage(cpuBefore);
const after = await stats();
const elapsedMs = now() - startedAt;
if (liveRate > 0) await control("POST", "/bench/live?rate=0");

/** What went wrong for one client, or undefined: the delivery checks, plus what this mode expects of the response and count. */
function verdict(subscriber: Subscriber, index: number): string | undefined {
  const { response, updates, failure } = subscriber.session;
  if (failure !== undefined) return failure;
  if (Number.isNaN(doneAt[index]!)) return `not caught up within ${timeoutMs} ms`;
  if (mode === "fresh") return response?.recovered === undefined ? undefined : "a subscribe without since was answered recovered";
  if (response?.recovered !== true) return `recovered: false (${response?.reason ?? "no reason"})`;
  if (positions[index]!.seq !== warm) return `its since was ${positions[index]!.seq}, not the warm-up head ${warm}`;
  // Each update was checked to be one past the last, so this holds; counted all the same. Live ones after the head may follow.
  const replayed = updates - (subscriber.position.seq - target);
  return replayed === missed ? undefined : `received ${replayed} of the ${missed} missed updates`;
}
const failures = new Map<string, number>();
subscribers.forEach((subscriber, index) => {
  const why = verdict(subscriber, index);
  if (why !== undefined) failures.set(why, (failures.get(why) ?? 0) + 1);
});
const perClient = Array.from(doneAt, (at) => at - startedAt).filter((ms) => !Number.isNaN(ms));
const respondedAfter = subscribers.map((subscriber) => subscriber.session.respondedAt - startedAt);
console.log(
  JSON.stringify({
    mode,
    clients,
    missed,
    liveRate,
    caughtUpMs: perClient.length === clients ? Math.max(...perClient) : Number.NaN,
    caughtUpP50Ms: median(perClient),
    subscribedMs: Math.max(...respondedAfter),
    serverCpuMs: (after.cpuMicros - before.cpuMicros) / 1_000,
    clientCpuPercent: ((cpu.user + cpu.system) / 1_000 / elapsedMs) * 100,
    bytes: bytes.reduce((sum, value) => sum + value, 0),
    serverReplayed: after.updatesReplayed - before.updatesReplayed,
    serverRssMiB: after.rssMiB,
    correct: clients - [...failures.values()].reduce((sum, count) => sum + count, 0),
    failures: Object.fromEntries([...failures].slice(0, 5)),
  }),
);
process.exit(0);
