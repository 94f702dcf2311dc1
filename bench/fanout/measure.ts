/**
 * One fan-out measurement: a target's server pinned to core 0, the load
 * client pinned to core 1, the server's CPU time (/proc) over the client's
 * window and its RSS sampled every 100 ms. A target that buffers without
 * bound under a load it cannot carry is stopped at a cap instead of
 * exhausting the machine, and its row reported as failed.
 */
import { join } from "node:path";
import { CLK_TCK, collectOutput, cpuTicks, rssMiB, startNode, stopProcess, waitForOutput } from "../support/processes.js";

const SERVERS: Record<string, string> = {
  wsgen: "bench/fanout/servers/wsgen-server.ts",
  ws: "bench/fanout/servers/raw-ws-server.ts",
  socketio: "bench/fanout/servers/socketio-server.ts",
};
export const TARGETS = Object.keys(SERVERS);

/**
 * The figures the load client prints (load-client.ts). `gaps` counts updates
 * a subscriber never received (its `seq` skipped them): frames dropped,
 * skipped or conflated for slow consumers. `p50`/`p99`/`max` are the age of
 * delivered updates, receipt minus publish time.
 */
const CLIENT_FIGURES = [
  "perSecond",
  "publishedPerSecond",
  "deliveries",
  "gaps",
  "skippedPerClientMax",
  "clientCpuPercent",
  "p50",
  "p99",
  "max",
  "p99BehindSchedule",
] as const;
/** Every figure of a row: the client's, then the server's (`rssMiB` is the peak, `rssEndMiB` at the end of the window). */
export const FIGURES = [...CLIENT_FIGURES, "cpuPercent", "cpuMicrosPerDelivery", "rssMiB", "rssEndMiB"] as const;
type ClientSummary = Record<(typeof CLIENT_FIGURES)[number], number>;
type Figures = Record<(typeof FIGURES)[number], number>;

export type Row = Figures & {
  /** The target's label: `wsgen`, `ws`, `socketio`, or `wsgen:<lagPolicy>`. */
  target: string;
  clients: number;
  rate: string;
  /** Why the row has no result, if it has none. */
  failure?: string;
};

export interface MeasureOptions {
  seconds: number;
  /** The load client's transport: `light` (LightSocket) or `ws` (the `ws` library). */
  transport: string;
  maxRssMiB: number;
  /** A folder for V8 CPU profiles of both processes, or "" for none. */
  profileDir: string;
  /** wsgen only: `--batch-window`, `--queue-capacity`, `--max-lag-ms` (passed when not ""). */
  batchWindow: string;
  queueCapacity: string;
  maxLagMs: string;
}

/** The server's flags for a target label (`wsgen:conflate` runs wsgen with `--lag-policy conflate`). */
function serverFlags(target: string, port: number, rate: string, options: MeasureOptions): string[] {
  const [base, lagPolicy] = target.split(":");
  const flags = ["--port", String(port), "--rate", rate];
  if (base !== "wsgen") return flags;
  // "off" is no policy but no lag detection at all: the high-water mark alone, as before lag policies.
  if (lagPolicy === "off") flags.push("--max-lag-ms", "0");
  else if (lagPolicy !== undefined) flags.push("--lag-policy", lagPolicy);
  if (options.batchWindow !== "") flags.push("--batch-window", options.batchWindow);
  if (options.queueCapacity !== "") flags.push("--queue-capacity", options.queueCapacity);
  if (options.maxLagMs !== "" && lagPolicy !== "off") flags.push("--max-lag-ms", options.maxLagMs);
  return flags;
}

export async function measure(target: string, clients: number, rate: string, port: number, options: MeasureOptions): Promise<Row> {
  const base = target.split(":")[0]!;
  const name = `${target.replace(":", "-")}-${clients}-${rate}`;
  // One folder per process: tsx's loader thread writes a profile of its own beside the main thread's.
  const profile = (who: string): string[] =>
    options.profileDir === "" ? [] : ["--cpu-prof", "--cpu-prof-dir", join(options.profileDir, `${name}-${who}`)];
  const server = startNode(0, SERVERS[base]!, serverFlags(target, port, rate, options), profile("server"));
  await waitForOutput(server, collectOutput(server), /server on/);
  const pid = server.pid!;
  const client = startNode(
    1,
    "bench/fanout/load-client.ts",
    [
      ...["--target", base, "--port", String(port), "--clients", String(clients)],
      ...["--seconds", String(options.seconds), "--transport", options.transport],
    ],
    profile("client"),
  );
  let buffer = "";
  let startTicks = 0;
  let endTicks = 0;
  let peakRss = 0;
  let endRss = Number.NaN;
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
          endRss = rssMiB(pid);
          peakRss = Math.max(peakRss, endRss);
          windowMs = Date.now() - startedAt;
          // JSON has no NaN: a figure the client could not compute (no samples) arrives as null.
        } else if (line.startsWith("{")) summary = JSON.parse(line, (_key, value: unknown) => value ?? Number.NaN) as ClientSummary;
      }
    });
    const sampler = setInterval(() => {
      if (server.exitCode !== null || endTicks !== 0) return;
      peakRss = Math.max(peakRss, rssMiB(pid));
      if (peakRss > options.maxRssMiB) {
        failure = `server RSS passed the ${options.maxRssMiB} MiB cap`;
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
      (options.seconds + 90) * 1000,
    ).unref();
  });
  await stopProcess(server);
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
    rssEndMiB: endRss,
  };
}
