/**
 * One cluster measurement: a fresh redis-server (pinned to core 1, with the
 * load client) and a target's server processes (all pinned to core 0), the
 * fan-out load client's connections split evenly over them (load-run.ts).
 * Over the client's window: each process's CPU time and RSS (/proc),
 * Redis's CPU time (/proc) and its command counts and bytes sent (INFO,
 * told apart by caller with redis-stats.ts).
 * Per-process figures are listed producer first: the wsgen process that won
 * the topic's lease (it says so on stdout), or socket.io's emitting one.
 */
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { CLIENT_FIGURES, runLoadClient, type ClientSummary, type LoadRun } from "../fanout/load-run.js";
import { collectOutput, startNode, stopProcess, waitForOutput } from "../support/processes.js";
import { freePort } from "../../examples/trading/cluster/processes.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import type { Cell } from "../support/matrix.js";
import { RedisWatch, type RedisPerUpdate } from "./redis-stats.js";

const WSGEN = "bench/fanout/servers/wsgen-server.ts";
const SOCKETIO = "bench/fanout/servers/socketio-server.ts";

interface Target {
  /** The load client's dialect. */
  dialect: string;
  /** Each process's script and flags (`url`: Redis, or undefined when the target runs without it). */
  processes: (url: string | undefined) => { script: string; flags: string[] }[];
  redis: boolean;
}

export const TARGETS: Record<string, Target> = {
  // Two wsgen processes on one Redis: whichever wins the topic's lease produces.
  "wsgen-redis": {
    dialect: "wsgen",
    redis: true,
    processes: (url) => [0, 1].map(() => ({ script: WSGEN, flags: ["--redis", url!] })),
  },
  // Two socket.io processes, sharded adapter: A emits to the room, B relays what reaches it through Redis.
  "socketio-sharded": {
    dialect: "socketio",
    redis: true,
    processes: (url) => ["yes", "no"].map((produce) => ({ script: SOCKETIO, flags: ["--redis", url!, "--produce", produce] })),
  },
  // For reference: wsgen in one process, the default in-memory broker (bench:fanout's wsgen target).
  wsgen: { dialect: "wsgen", redis: false, processes: () => [{ script: WSGEN, flags: [] }] },
};

/** Figures of one server process; `cpuMicrosPerDelivery` is over the deliveries to its own connections. */
export const PROCESS_FIGURES = ["cpuPercent", "cpuMicrosPerDelivery", "rssMiB"] as const;
export type ProcessFigures = Record<(typeof PROCESS_FIGURES)[number], number>;

/**
 * Figures of the whole row: `produced…` the updates the service's producer
 * published over the window (what the clients saw, `published…`, lags
 * when they fall behind); `cluster…` is every server process's CPU, plus
 * Redis's, over every delivery; `redisRequests…` the calls the processes
 * sent Redis per published update, `redisCommands…` those plus the
 * commands their scripts ran in Redis.
 */
export const FIGURES = [
  ...CLIENT_FIGURES,
  "producedPerSecond",
  "serversCpuMicrosPerDelivery",
  "clusterCpuMicrosPerDelivery",
  "redisCpuPercent",
  "redisRequestsPerUpdate",
  "redisCommandsPerUpdate",
  "redisBytesPerUpdate",
] as const;
export type Figures = Record<(typeof FIGURES)[number], number>;
type ClientFigures = Record<(typeof CLIENT_FIGURES)[number], number>;

export type ClusterRow = Cell &
  Figures & {
    /** Producer first. */
    processes: ProcessFigures[];
    /** Redis calls per published update by command: the processes' own requests, and what their scripts ran (empty without Redis). */
    commandsPerUpdate: { processes: Record<string, number>; scripts: Record<string, number> };
  };

export interface ClusterOptions {
  seconds: number;
  transport: string;
  maxRssMiB: number;
  /** A folder for V8 CPU profiles of each server process (`<target>-<clients>-<rate>-p<i>`), or "" for none. */
  profileDir: string;
}

interface Started {
  child: ChildProcess;
  output: { readonly text: string };
  port: number;
}

/** Starts every process of the target into `started` (filled as they start, so each is stopped whatever happens next). */
async function startServers(
  target: Target,
  rate: string,
  redis: RedisServer | undefined,
  started: Started[],
  profile: (process: number) => string[],
): Promise<void> {
  for (const { script, flags } of target.processes(redis?.url)) {
    const port = await freePort();
    const child = startNode(0, script, ["--port", String(port), "--rate", rate, ...flags], profile(started.length));
    started.push({ child, output: collectOutput(child), port });
  }
  await Promise.all(started.map(({ child, output }) => waitForOutput(child, output, /server on/)));
}

/**
 * The slots every process has published so far, summed: each is asked with
 * SIGUSR2 and answers `slots N` (pacer.ts), read when its event loop gets
 * to it (an overloaded socket.io process can take seconds). NaN if one
 * does not answer within 30 s.
 */
async function slotsPublished(servers: readonly Started[]): Promise<number> {
  const counts = await Promise.all(
    servers.map(async ({ child, output }) => {
      const before = output.text.length;
      child.kill("SIGUSR2");
      const deadline = Date.now() + 30_000;
      for (;;) {
        const match = /slots (\d+)\n/.exec(output.text.slice(before));
        if (match !== null) return Number(match[1]);
        if (Date.now() > deadline || child.exitCode !== null) return Number.NaN;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}

/** The index of the process that produced (printed `producing`), or 0 (socket.io's emitter, or nobody said). */
function producerIndex(servers: readonly Started[]): number {
  return Math.max(
    0,
    servers.findIndex(({ output }) => output.text.includes("producing ")),
  );
}

const failed = (target: string, clients: number, rate: string, failure: string): ClusterRow => {
  const none = Object.fromEntries(FIGURES.map((figure) => [figure, Number.NaN])) as Figures;
  return { target, clients, rate, ...none, processes: [], commandsPerUpdate: { processes: {}, scripts: {} }, failure };
};

export async function measureCluster(name: string, clients: number, rate: string, options: ClusterOptions): Promise<ClusterRow> {
  const target = TARGETS[name]!;
  const servers: Started[] = [];
  let redis: RedisServer | undefined;
  try {
    if (target.redis) redis = await startRedisServer({ core: 1 });
    // One folder per process: tsx's loader thread writes a profile of its own beside the main thread's.
    const profile = (process: number): string[] =>
      options.profileDir === "" ? [] : ["--cpu-prof", "--cpu-prof-dir", join(options.profileDir, `${name}-${clients}-${rate}-p${process}`)];
    await startServers(target, rate, redis, servers, profile);
    const watch = redis === undefined ? undefined : await RedisWatch.on(redis);
    const slots: Partial<Record<"start" | "end", Promise<number>>> = {};
    const pids = [...servers.map(({ child }) => child.pid!), ...(redis?.pid === undefined ? [] : [redis.pid])];
    const run = await runLoadClient({
      ...{ dialect: target.dialect, ports: servers.map(({ port }) => port), clients, seconds: options.seconds },
      ...{ transport: options.transport, pids, maxRssMiB: options.maxRssMiB },
      onPhase: (phase) => {
        if (phase !== "subscribed") slots[phase] = slotsPublished(servers);
        watch?.onPhase(phase);
      },
    });
    const { summary } = run;
    if (summary === undefined || run.failure !== undefined) return failed(name, clients, rate, run.failure ?? "no result");
    const perProcess = servers.map((_, i): ProcessFigures => {
      const { cpuSeconds, peakRssMiB } = run.watched[i]!;
      const deliveries = summary.deliveriesPerPort[i]!;
      return {
        cpuPercent: (cpuSeconds / (run.windowMs / 1000)) * 100,
        cpuMicrosPerDelivery: deliveries > 0 ? (cpuSeconds * 1e6) / deliveries : Number.NaN,
        rssMiB: peakRssMiB,
      };
    });
    const produced = (await slots.end!) - (await slots.start!);
    const producer = producerIndex(servers);
    const processes = [perProcess[producer]!, ...perProcess.filter((_, i) => i !== producer)];
    return {
      target: name,
      clients,
      rate,
      ...rowFigures(summary, run, produced, servers.length, await watch?.perUpdate(produced)),
      processes,
    };
  } catch (error) {
    // A process that would not start (or Redis that went away) fails the row, and the matrix goes on.
    return failed(name, clients, rate, error instanceof Error ? error.message.slice(0, 300) : String(error));
  } finally {
    await Promise.all(servers.map(({ child }) => stopProcess(child)));
    await redis?.stop();
  }
}

/** The row's own figures from the client's summary, the watched processes (servers, then Redis) and Redis's counters. */
function rowFigures(
  summary: ClientSummary,
  run: LoadRun,
  produced: number,
  serverCount: number,
  redis: RedisPerUpdate | undefined,
): Figures & Pick<ClusterRow, "commandsPerUpdate"> {
  const client = Object.fromEntries(CLIENT_FIGURES.map((figure) => [figure, summary[figure]])) as ClientFigures;
  const serversCpu = run.watched.slice(0, serverCount).reduce((sum, { cpuSeconds }) => sum + cpuSeconds, 0);
  const redisCpu = run.watched[serverCount]?.cpuSeconds;
  const perDelivery = (seconds: number): number => (summary.deliveries > 0 ? (seconds * 1e6) / summary.deliveries : Number.NaN);
  const sum = (calls: Record<string, number> | undefined): number =>
    calls === undefined ? Number.NaN : Object.values(calls).reduce((total, value) => total + value, 0);
  return {
    ...client,
    producedPerSecond: produced / (run.windowMs / 1000),
    serversCpuMicrosPerDelivery: perDelivery(serversCpu),
    clusterCpuMicrosPerDelivery: perDelivery(serversCpu + (redisCpu ?? 0)),
    redisCpuPercent: redisCpu === undefined ? Number.NaN : (redisCpu / (run.windowMs / 1000)) * 100,
    redisRequestsPerUpdate: sum(redis?.processes),
    redisCommandsPerUpdate: sum(redis?.processes) + sum(redis?.scripts),
    redisBytesPerUpdate: redis?.bytes ?? Number.NaN,
    commandsPerUpdate: { processes: redis?.processes ?? {}, scripts: redis?.scripts ?? {} },
  };
}
