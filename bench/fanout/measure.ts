/**
 * One fan-out measurement: a target's server pinned to core 0, the load
 * client pinned to core 1, the server's CPU time (/proc) over the client's
 * window and its RSS sampled every 100 ms (load-run.ts). A target that
 * buffers without bound under a load it cannot carry is stopped at a cap
 * instead of exhausting the machine, and its row reported as failed.
 */
import { join } from "node:path";
import { collectOutput, startNode, stopProcess, waitForOutput } from "../support/processes.js";
import { CLIENT_FIGURES, runLoadClient, type Watched } from "./load-run.js";

const SERVERS: Record<string, string> = {
  wsgen: "bench/fanout/servers/wsgen-server.ts",
  ws: "bench/fanout/servers/raw-ws-server.ts",
  socketio: "bench/fanout/servers/socketio-server.ts",
};
export const TARGETS = Object.keys(SERVERS);

/** Every figure of a row: the client's (load-run.ts), then the server's (`rssMiB` is the peak, `rssEndMiB` at the end of the window). */
export const FIGURES = [...CLIENT_FIGURES, "cpuPercent", "cpuMicrosPerDelivery", "rssMiB", "rssEndMiB"] as const;
type ClientFigures = Record<(typeof CLIENT_FIGURES)[number], number>;
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
  const run = await runLoadClient({
    ...{ dialect: base, ports: [port], clients, seconds: options.seconds, transport: options.transport },
    ...{ pids: [server.pid!], maxRssMiB: options.maxRssMiB, nodeFlags: profile("client") },
  });
  await stopProcess(server);
  const [watched] = run.watched as [Watched];
  const { summary } = run;
  if (summary === undefined || run.failure !== undefined) {
    console.error(`${target} C=${clients} rate=${rate}: no result (${run.failure})`);
    const none = Object.fromEntries(FIGURES.map((figure) => [figure, Number.NaN])) as Figures;
    return { target, clients, rate, ...none, rssMiB: watched.peakRssMiB, failure: run.failure };
  }
  const figures = Object.fromEntries(CLIENT_FIGURES.map((figure) => [figure, summary[figure]])) as ClientFigures;
  return {
    target,
    clients,
    rate,
    ...figures,
    cpuPercent: (watched.cpuSeconds / (run.windowMs / 1000)) * 100,
    cpuMicrosPerDelivery: figures.deliveries > 0 ? (watched.cpuSeconds * 1e6) / figures.deliveries : Number.NaN,
    rssMiB: watched.peakRssMiB,
    rssEndMiB: watched.endRssMiB,
  };
}
