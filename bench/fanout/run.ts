/**
 * `npm run bench:fanout`: every target × subscriber count × publish rate,
 * server pinned to core 0 and load client to core 1 (taskset), side by side
 * in one run. Server CPU time comes from /proc over the client's measurement
 * window; the figure to compare is server CPU microseconds per delivery.
 *
 *   npm run bench:fanout                                  # full matrix, 5 s windows
 *   npx tsx bench/fanout/run.ts --clients 1000 --rates 1000 --seconds 5
 *   … --profile test-output/profiles    # also writes V8 CPU profiles of each server and load client,
 *                                       # one folder per process (summarize with bench/profile-summary.ts)
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
// Each cell is measured this many times, the targets interleaved, and reported as medians.
const repeat = Number(arg("--repeat", "1"));
// A target that buffers without bound under a load it cannot carry is stopped here instead of exhausting the machine.
const maxRssMiB = Number(arg("--max-rss-mib", "4096"));
const profileDir = arg("--profile", "");
const batchWindow = arg("--batch-window", "");
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

const SERVERS: Record<string, string> = {
  wsgen: "bench/fanout/servers/wsgen-server.ts",
  ws: "bench/fanout/servers/raw-ws-server.ts",
  socketio: "bench/fanout/servers/socketio-server.ts",
};

function node(core: number, script: string, args: string[], profileName: string): ChildProcess {
  // One folder per process: tsx's loader thread writes a profile of its own beside the main thread's.
  const profile = profileDir === "" ? [] : ["--cpu-prof", "--cpu-prof-dir", join(profileDir, profileName)];
  return spawn(
    "taskset",
    ["-c", String(core), process.execPath, ...profile, "--import", "tsx", "--conditions=wsgen-source", script, ...args],
    {
      cwd: ROOT,
    },
  );
}

const cpuTicks = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
};
const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

/**
 * The figures the load client prints (load-client.ts). `gaps` counts updates
 * a subscriber never received (its `seq` skipped them): frames dropped for
 * slow consumers.
 */
const CLIENT_FIGURES = [
  "perSecond",
  "publishedPerSecond",
  "deliveries",
  "gaps",
  "clientCpuPercent",
  "p50",
  "p99",
  "max",
  "p99BehindSchedule",
] as const;
/** Every figure of a row: the client's, then the server's (`rssMiB` is the peak, sampled every 100 ms). */
const FIGURES = [...CLIENT_FIGURES, "cpuPercent", "cpuMicrosPerDelivery", "rssMiB"] as const;
type ClientSummary = Record<(typeof CLIENT_FIGURES)[number], number>;
type Figures = Record<(typeof FIGURES)[number], number>;

export type Row = Figures & {
  target: string;
  clients: number;
  rate: string;
  /** Why the row has no result, if it has none. */
  failure?: string;
};

async function measure(target: string, clients: number, rate: string, port: number): Promise<Row> {
  const name = `${target}-${clients}-${rate}`;
  const serverFlags = ["--port", String(port), "--rate", rate];
  if (target === "wsgen" && batchWindow !== "") serverFlags.push("--batch-window", batchWindow);
  const server = node(0, SERVERS[target]!, serverFlags, `${name}-server`);
  let serverOut = "";
  server.stdout!.on("data", (chunk: Buffer) => (serverOut += chunk.toString()));
  server.stderr!.on("data", (chunk: Buffer) => (serverOut += chunk.toString()));
  while (!serverOut.includes("server on")) {
    if (server.exitCode !== null) throw new Error(`${target} server exited: ${serverOut}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const pid = server.pid!;
  const client = node(
    1,
    "bench/fanout/load-client.ts",
    ["--target", target, "--port", String(port), "--clients", String(clients), "--seconds", String(seconds)],
    `${name}-client`,
  );
  let buffer = "";
  let startTicks = 0;
  let endTicks = 0;
  let peakRss = 0;
  let failure: string | undefined;
  let summary: ClientSummary | undefined;
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
          // JSON has no NaN: a figure the client could not compute (no samples) arrives as null.
        } else if (line.startsWith("{")) summary = JSON.parse(line, (_key, value: unknown) => value ?? Number.NaN) as typeof summary;
      }
    });
    const sampler = setInterval(() => {
      if (server.exitCode !== null || endTicks !== 0) return;
      peakRss = Math.max(peakRss, rssMiB(pid));
      if (peakRss > maxRssMiB) {
        failure = `server RSS passed the ${maxRssMiB} MiB cap`;
        client.kill("SIGKILL");
      }
    }, 100);
    client.on("close", () => {
      clearInterval(sampler);
      resolve();
    });
    // A run that cannot even connect its clients is reported as failed, and the matrix goes on.
    setTimeout(
      () => {
        failure ??= "the load client did not finish";
        client.kill("SIGKILL");
      },
      (seconds + 90) * 1000,
    ).unref();
  });
  // SIGTERM is a normal exit for the servers (so a profile gets written); SIGKILL if one does not go.
  const exited = new Promise((resolve) => server.once("exit", resolve));
  server.kill("SIGTERM");
  const killer = setTimeout(() => server.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(killer);
  if (summary === undefined || failure !== undefined) {
    failure ??= "the load client printed no result";
    console.error(`${target} C=${clients} rate=${rate}: no result (${failure})`);
    const none = Object.fromEntries(FIGURES.map((figure) => [figure, Number.NaN])) as Figures;
    return { target, clients, rate, ...none, rssMiB: peakRss, failure };
  }
  const cpuSeconds = (endTicks - startTicks) / CLK_TCK;
  const figures = Object.fromEntries(CLIENT_FIGURES.map((figure) => [figure, summary![figure]])) as ClientSummary;
  return {
    target,
    clients,
    rate,
    ...figures,
    cpuPercent: (cpuSeconds / (windowMs / 1000)) * 100,
    cpuMicrosPerDelivery: figures.deliveries > 0 ? (cpuSeconds * 1e6) / figures.deliveries : Number.NaN,
    rssMiB: peakRss,
  };
}

/** The median of each figure over the runs of one cell that produced a result. */
function medianRow(runs: Row[]): Row {
  const ok = runs.filter((run) => run.failure === undefined);
  if (ok.length === 0) return runs[0]!;
  const median = (pick: (row: Row) => number): number => {
    const values = ok.map(pick).sort((a, b) => a - b);
    const middle = Math.floor(values.length / 2);
    return values.length % 2 === 1 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2;
  };
  const { target, clients, rate } = ok[0]!;
  const medians = Object.fromEntries(FIGURES.map((figure) => [figure, median((row) => row[figure])])) as Record<
    (typeof FIGURES)[number],
    number
  >;
  return { target, clients, rate, ...medians };
}

const rows: Row[] = [];
let port = 8100 + Math.floor(Math.random() * 500);
for (const clients of clientCounts) {
  for (const rate of rates) {
    const runs = new Map<string, Row[]>(targets.map((target) => [target, []]));
    for (let run = 0; run < repeat; run++) {
      for (const target of targets) {
        const row = await measure(target, clients, rate, port++);
        runs.get(target)!.push(row);
        console.error(
          `${target} C=${clients} rate=${rate} run ${run + 1}/${repeat}: ${row.perSecond.toFixed(0)} deliveries/s, p99 ${row.p99.toFixed(1)} ms, ${row.cpuMicrosPerDelivery.toFixed(2)} µs CPU/delivery`,
        );
      }
    }
    for (const target of targets) rows.push(medianRow(runs.get(target)!));
  }
}

const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : "–");
console.log(
  `node ${process.version}, ${seconds} s windows, ${repeat === 1 ? "one run per row" : `medians of ${repeat} runs per row`}, server on core 0, load client on core 1`,
);
console.log(
  "| subscribers | rate | target | updates/s published | deliveries/s | dropped % | p50 ms | p99 ms | max ms | p99 behind schedule ms | server CPU % | client CPU % | server CPU µs/delivery | ×ws CPU/delivery | ×ws deliveries/s | ×ws p99 | peak server RSS MiB |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const row of rows) {
  const floor = rows.find((other) => other.target === "ws" && other.clients === row.clients && other.rate === row.rate);
  const ratio = (a: number, b: number | undefined): string => (floor === undefined || b === undefined ? "–" : fmt(a / b, 2));
  console.log(
    `| ${row.clients} | ${row.rate} | ${row.target} | ${fmt(row.publishedPerSecond, 0)} | ${fmt(row.perSecond, 0)} | ${fmt((row.gaps / (row.gaps + row.deliveries)) * 100, 1)} | ${fmt(row.p50, 2)} | ${fmt(row.p99, 2)} | ${fmt(row.max, 1)} | ${fmt(row.p99BehindSchedule, 1)} | ${fmt(row.cpuPercent, 0)} | ${fmt(row.clientCpuPercent, 0)} | ${fmt(row.cpuMicrosPerDelivery, 2)} | ${ratio(row.cpuMicrosPerDelivery, floor?.cpuMicrosPerDelivery)} | ${ratio(row.perSecond, floor?.perSecond)} | ${ratio(row.p99, floor?.p99)} | ${fmt(row.rssMiB, 0)} |`,
  );
}
for (const row of rows.filter((row) => row.failure !== undefined)) {
  console.log(`\n- ${row.target}, ${row.clients} subscribers, rate ${row.rate}: no result, ${row.failure}.`);
}
