/**
 * One run of the fan-out load client (load-client.ts, pinned to core 1)
 * against servers already listening, with the processes that serve it
 * watched over the client's window: CPU time from /proc between its
 * `window-start` and `window-end`, RSS sampled every 100 ms. A process past
 * the RSS cap (a target that buffers without bound under a load it cannot
 * carry) stops the run instead of exhausting the machine. bench/fanout
 * watches its one server; bench/cluster a service's processes and Redis.
 */
import { CLK_TCK, cpuTicks, rssMiB, startNode } from "../support/processes.js";

/**
 * The figures the load client prints. `gaps` counts updates a subscriber
 * never received (its `seq` skipped them): frames dropped, skipped or
 * conflated for slow consumers. `p50`/`p99`/`max` are the age of delivered
 * updates, receipt minus publish time. `published` is how far the highest
 * `seq` advanced over the window.
 */
export const CLIENT_FIGURES = [
  "perSecond",
  "publishedPerSecond",
  "published",
  "deliveries",
  "gaps",
  "skippedPerClientMax",
  "clientCpuPercent",
  "p50",
  "p99",
  "max",
  "p99BehindSchedule",
] as const;
export type ClientSummary = Record<(typeof CLIENT_FIGURES)[number], number> & {
  /** Deliveries to the connections of each port, in the order of `ports`. */
  deliveriesPerPort: number[];
};

/** What /proc said of one watched process: CPU over the window, peak RSS while the client ran, RSS at the window's end. */
export interface Watched {
  cpuSeconds: number;
  peakRssMiB: number;
  endRssMiB: number;
}

export interface LoadRunOptions {
  /** The load client's dialect: wsgen, ws or socketio (dialects.ts). */
  dialect: string;
  /** The connections are spread round-robin over these ports. */
  ports: readonly number[];
  clients: number;
  seconds: number;
  /** The load client's transport: `light` (LightSocket) or `ws` (the `ws` library). */
  transport: string;
  /** Processes to watch (their pids). */
  pids: readonly number[];
  /** The RSS cap of every watched process, MiB. */
  maxRssMiB: number;
  /** Node flags of the load client (a CPU profile). */
  nodeFlags?: readonly string[];
  /** Called when every connection has subscribed (the warm-up second starts), and at the window's start and end, when the CPU times are read. */
  onPhase?: (phase: Phase) => void;
}

export type Phase = "subscribed" | "start" | "end";

export interface LoadRun {
  summary: ClientSummary | undefined;
  /** Why the run has no result, if it has none. */
  failure: string | undefined;
  /** The window as the orchestrator saw it, ms. */
  windowMs: number;
  /** One per watched pid, in order. */
  watched: Watched[];
}

/** /proc of a process that has gone (killed at the cap, crashed) reads as NaN instead of throwing. */
const read = (probe: (pid: number) => number, pid: number): number => {
  try {
    return probe(pid);
  } catch {
    return Number.NaN;
  }
};

export async function runLoadClient(options: LoadRunOptions): Promise<LoadRun> {
  const client = startNode(
    1,
    "bench/fanout/load-client.ts",
    [
      ...["--target", options.dialect, "--port", options.ports.join(","), "--clients", String(options.clients)],
      ...["--seconds", String(options.seconds), "--transport", options.transport],
    ],
    options.nodeFlags,
  );
  const pids = options.pids;
  let buffer = "";
  let startTicks = pids.map(() => Number.NaN);
  let endTicks: number[] | undefined;
  const peakRss = pids.map(() => 0);
  let endRss = pids.map(() => Number.NaN);
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
        if (line.startsWith("subscribed")) options.onPhase?.("subscribed");
        else if (line.startsWith("window-start")) {
          startTicks = pids.map((pid) => read(cpuTicks, pid));
          startedAt = Date.now();
          options.onPhase?.("start");
        } else if (line.startsWith("window-end")) {
          endTicks = pids.map((pid) => read(cpuTicks, pid));
          endRss = pids.map((pid) => read(rssMiB, pid));
          endRss.forEach((rss, i) => (peakRss[i] = Math.max(peakRss[i]!, rss)));
          windowMs = Date.now() - startedAt;
          options.onPhase?.("end");
          // JSON has no NaN: a figure the client could not compute (no samples) arrives as null.
        } else if (line.startsWith("{")) summary = JSON.parse(line, (_key, value: unknown) => value ?? Number.NaN) as ClientSummary;
      }
    });
    const sampler = setInterval(() => {
      if (endTicks !== undefined) return;
      pids.forEach((pid, i) => {
        const rss = read(rssMiB, pid);
        if (rss > peakRss[i]!) peakRss[i] = rss;
        if (rss > options.maxRssMiB) {
          failure = `${pids.length === 1 ? "server" : `process ${pid}`} RSS passed the ${options.maxRssMiB} MiB cap`;
          client.kill("SIGKILL");
        }
      });
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
  if (summary === undefined) failure ??= "the load client printed no result";
  const watched = pids.map((_, i) => ({
    cpuSeconds: ((endTicks?.[i] ?? Number.NaN) - startTicks[i]!) / CLK_TCK,
    peakRssMiB: peakRss[i]!,
    endRssMiB: endRss[i]!,
  }));
  return { summary, failure, windowMs, watched };
}
