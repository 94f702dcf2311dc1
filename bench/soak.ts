/**
 * Soak: the example server in its own process, CONNECTIONS clients churning
 * for SECONDS (default 1,000 for 300 s). Each client subscribes to one to
 * three topics from a shared pool (bars, quotes, orders), lives 1–5 s, then
 * drops (half terminate, half close) and is replaced at once; orders are
 * placed over HTTP throughout. Reports the server's RSS over time and, after
 * every client has left, any topics, subscriptions or connections left over.
 *
 *   npx tsx bench/soak.ts [seconds=300] [connections=1000]
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";

const SECONDS = Number(process.argv[2] ?? 300);
const CONNECTIONS = Number(process.argv[3] ?? 1000);
const ROOT = join(import.meta.dirname, "..");

// `node --import tsx`, not the tsx CLI: the CLI runs the script in a child process, and we measure this pid.
const server = spawn(process.execPath, ["--import", "tsx", "--conditions=wsgen-source", "examples/trading/src/main.ts"], {
  cwd: ROOT,
  env: { ...process.env, PORT: "0", TICK_MS: "100" },
});
let banner = "";
server.stdout.on("data", (chunk: Buffer) => (banner += chunk.toString()));
while (!/listening on (http:\/\/[\d.]+:\d+)/.test(banner)) await new Promise((resolve) => setTimeout(resolve, 50));
const base = /listening on (http:\/\/[\d.]+:\d+)/.exec(banner)![1]!;
const wsBase = base.replace("http", "ws");

const rssMiB = (): number => {
  const status = readFileSync(`/proc/${server.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
};
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const symbols = Array.from({ length: 20 }, (_, i) => `SYM${i}`);
const accounts = Array.from({ length: 50 }, (_, i) => `ACC-${i}`);

let opened = 0;
let running = true;
const live = new Set<WebSocket>();

function churn(): void {
  if (!running) return;
  const broker = Math.random() < 0.3;
  const socket = new WebSocket(`${wsBase}/api/v1/${broker ? "broker" : "datafeed"}/ws`);
  live.add(socket);
  socket.on("error", () => undefined);
  socket.on("open", () => {
    opened += 1;
    const count = 1 + Math.floor(Math.random() * 3);
    for (let i = 0; i < count; i++) {
      const frame = broker
        ? { type: "orders.subscribe", payload: { accountId: pick(accounts) } }
        : Math.random() < 0.7
          ? { type: "bars.subscribe", payload: { symbol: pick(symbols), resolution: pick(["1D", "5"]) } }
          : { type: "quotes.subscribe", payload: { symbols: [pick(symbols), pick(symbols)] } };
      socket.send(JSON.stringify(frame));
    }
    setTimeout(() => (Math.random() < 0.5 ? socket.terminate() : socket.close()), 1000 + Math.random() * 4000);
  });
  socket.on("close", () => {
    live.delete(socket);
    churn();
  });
}

const start = Date.now();
for (let i = 0; i < CONNECTIONS; i++) churn();
const orders = setInterval(() => {
  void fetch(`${base}/api/v1/broker/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ accountId: pick(accounts), symbol: pick(symbols), side: pick(["buy", "sell"]), type: "market", qty: 1 }),
  }).catch(() => undefined);
}, 20);

await new Promise((resolve) => setTimeout(resolve, 10_000));
const samples: [number, number][] = [[10, rssMiB()]];
console.log(`after warm-up (10 s): RSS ${samples[0]![1].toFixed(1)} MiB, ${live.size} clients`);
while (Date.now() - start < SECONDS * 1000) {
  await new Promise((resolve) => setTimeout(resolve, 30_000));
  const sample: [number, number] = [Math.round((Date.now() - start) / 1000), rssMiB()];
  samples.push(sample);
  console.log(`t=${sample[0]} s: RSS ${sample[1].toFixed(1)} MiB, ${live.size} clients, ${opened} connections opened so far`);
}

running = false;
clearInterval(orders);
for (const socket of live) socket.terminate();
while (live.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
await new Promise((resolve) => setTimeout(resolve, 2_000));
const metrics = await (await fetch(`${base}/metrics`)).text();
const leftover = metrics
  .split("\n")
  .filter((line) => /^wsgen_(connections|topics|subscriptions)\{/.test(line))
  .map((line) => line.trim());
console.log(`\nsoak: ${SECONDS} s, ${CONNECTIONS} concurrent churning clients, ${opened} connections opened in all`);
console.log(
  `RSS start (after warm-up) ${samples[0]![1].toFixed(1)} MiB, end ${samples.at(-1)![1].toFixed(1)} MiB, max ${Math.max(...samples.map((s) => s[1])).toFixed(1)} MiB`,
);
console.log(`after all clients left: ${leftover.join(", ")}`);
console.log(`RSS after all clients left: ${rssMiB().toFixed(1)} MiB`);
server.kill("SIGTERM");
