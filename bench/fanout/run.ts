/**
 * `npm run bench:fanout`: every target × subscriber count × publish rate,
 * server pinned to core 0 and load client to core 1 (taskset), side by side
 * in one run. Server CPU time comes from /proc over the client's measurement
 * window; the figure to compare is server CPU microseconds per delivery.
 *
 *   npm run bench:fanout                                  # full matrix, 5 s windows
 *   npx tsx bench/fanout/run.ts --clients 1000 --rates 1000 --seconds 5
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");
const arg = (flag: string, fallback: string): string => {
  const index = process.argv.indexOf(flag);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
};
const clientCounts = arg("--clients", "100,1000,5000").split(",").map(Number);
const rates = arg("--rates", "100,1000,burst").split(",");
const targets = arg("--targets", "wsgen,ws,socketio").split(",");
const seconds = Number(arg("--seconds", "5"));
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

const SERVERS: Record<string, string> = {
  wsgen: "bench/fanout/servers/wsgen-server.ts",
  ws: "bench/fanout/servers/raw-ws-server.ts",
  socketio: "bench/fanout/servers/socketio-server.ts",
};

function node(core: number, script: string, args: string[]): ChildProcess {
  return spawn("taskset", ["-c", String(core), process.execPath, "--import", "tsx", "--conditions=wsgen-source", script, ...args], {
    cwd: ROOT,
  });
}

const cpuTicks = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
};
const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

export interface Row {
  target: string;
  clients: number;
  rate: string;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  cpuPercent: number;
  cpuMicrosPerDelivery: number;
  rssMiB: number;
}

async function measure(target: string, clients: number, rate: string, port: number): Promise<Row> {
  const server = node(0, SERVERS[target]!, ["--port", String(port), "--rate", rate]);
  let serverOut = "";
  server.stdout!.on("data", (chunk: Buffer) => (serverOut += chunk.toString()));
  server.stderr!.on("data", (chunk: Buffer) => (serverOut += chunk.toString()));
  while (!serverOut.includes("server on")) {
    if (server.exitCode !== null) throw new Error(`${target} server exited: ${serverOut}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const pid = server.pid!;
  const client = node(1, "bench/fanout/load-client.ts", [
    "--target",
    target,
    "--port",
    String(port),
    "--clients",
    String(clients),
    "--seconds",
    String(seconds),
  ]);
  let buffer = "";
  let startTicks = 0;
  let endTicks = 0;
  let rss = 0;
  let summary: { perSecond: number; p50: number; p99: number; max: number; deliveries: number } | undefined;
  let windowMs = 0;
  let startedAt = 0;
  client.stderr!.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  await new Promise<void>((resolve) => {
    client.stdout!.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (line.startsWith("window-start")) {
          startTicks = cpuTicks(pid);
          startedAt = Date.now();
        } else if (line.startsWith("window-end")) {
          endTicks = cpuTicks(pid);
          windowMs = Date.now() - startedAt;
          rss = rssMiB(pid);
        } else if (line.startsWith("{")) summary = JSON.parse(line) as typeof summary;
      }
    });
    client.on("close", () => resolve());
    // A run that cannot even connect its clients is reported as failed, and the matrix goes on.
    setTimeout(() => client.kill("SIGKILL"), (seconds + 90) * 1000).unref();
  });
  server.kill("SIGKILL");
  if (summary === undefined) {
    console.error(`${target} C=${clients} rate=${rate}: no result (client did not finish)`);
    return {
      target,
      clients,
      rate,
      perSecond: Number.NaN,
      p50: Number.NaN,
      p99: Number.NaN,
      max: Number.NaN,
      cpuPercent: Number.NaN,
      cpuMicrosPerDelivery: Number.NaN,
      rssMiB: Number.NaN,
    };
  }
  const cpuSeconds = (endTicks - startTicks) / CLK_TCK;
  return {
    target,
    clients,
    rate,
    perSecond: summary.perSecond,
    p50: summary.p50,
    p99: summary.p99,
    max: summary.max,
    cpuPercent: (cpuSeconds / (windowMs / 1000)) * 100,
    cpuMicrosPerDelivery: summary.deliveries > 0 ? (cpuSeconds * 1e6) / summary.deliveries : Number.NaN,
    rssMiB: rss,
  };
}

const rows: Row[] = [];
let port = 8100 + Math.floor(Math.random() * 500);
for (const clients of clientCounts) {
  for (const rate of rates) {
    for (const target of targets) {
      const row = await measure(target, clients, rate, port++);
      rows.push(row);
      console.error(
        `${target} C=${clients} rate=${rate}: ${row.perSecond.toFixed(0)} deliveries/s, ${row.cpuMicrosPerDelivery.toFixed(2)} µs CPU/delivery`,
      );
    }
  }
}

const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : "–");
console.log(`node ${process.version}, ${seconds} s windows, server on core 0, load client on core 1`);
console.log(
  "| subscribers | rate | target | deliveries/s | p50 ms | p99 ms | max ms | server CPU % | server CPU µs/delivery | ×ws CPU/delivery | ×ws deliveries/s | ×ws p99 | server RSS MiB |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const row of rows) {
  const floor = rows.find((other) => other.target === "ws" && other.clients === row.clients && other.rate === row.rate);
  const ratio = (a: number, b: number | undefined): string => (floor === undefined || b === undefined ? "–" : fmt(a / b, 2));
  console.log(
    `| ${row.clients} | ${row.rate} | ${row.target} | ${fmt(row.perSecond, 0)} | ${fmt(row.p50, 2)} | ${fmt(row.p99, 2)} | ${fmt(row.max, 1)} | ${fmt(row.cpuPercent, 0)} | ${fmt(row.cpuMicrosPerDelivery, 2)} | ${ratio(row.cpuMicrosPerDelivery, floor?.cpuMicrosPerDelivery)} | ${ratio(row.perSecond, floor?.perSecond)} | ${ratio(row.p99, floor?.p99)} | ${fmt(row.rssMiB, 0)} |`,
  );
}
