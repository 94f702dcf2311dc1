/**
 * `npm run bench:cluster` (issue 13): several processes as one service on
 * one Redis, against socket.io's sharded Redis adapter, with the fan-out
 * bench's load client (bench/fanout/load-client.ts, the same for every
 * target) splitting its connections evenly over the processes. Server
 * processes pinned to core 0, Redis and the load client to core 1; a fresh
 * Redis per measurement.
 *
 *   npm run bench:cluster                                     # 100,1000 subscribers × 100,1000 msg/s, 4 s windows
 *   npx tsx bench/cluster/run.ts --clients 1000 --rates 1000 --seconds 4 --repeat 3 --targets wsgen-redis,socketio-sharded
 *   npx tsx bench/cluster/run.ts --failover 20                # 3 wsgen processes, kill the producer 20 times
 *   … --failover 20 --lease-ms 1000 --tick-ms 200 --failover-rate 100   (the defaults)
 *   … --profile test-output/profiles    # V8 CPU profiles of each server process, one folder each
 *                                       # (`<target>-<clients>-<rate>-p<i>`; summarize with bench/profile-summary.ts)
 *
 * Targets (measure.ts): `wsgen-redis` (two wsgen processes, redisBroker;
 * the lease winner produces), `socketio-sharded` (two socket.io processes,
 * createShardedAdapter with subscriptionMode "dynamic"; process A emits),
 * `wsgen` (one process, the in-memory default, for reference).
 * What each column is: bench/RESULTS.md, "Cluster".
 */
import { loadavg } from "node:os";
import { flag, integerFlag, listFlag, usage } from "../support/args.js";
import { median, medians } from "../support/figures.js";
import { measureMatrix, okRuns } from "../support/matrix.js";
import { measureFailover } from "./failover.js";
import { FIGURES, measureCluster, PROCESS_FIGURES, TARGETS, type ClusterRow } from "./measure.js";
import { clusterTable, failoverTable } from "./tables.js";

const argv = process.argv;
// The machine is shared: the 1-minute load average before and after says how busy it was besides this run.
const loadBefore = loadavg()[0]!.toFixed(1);
const load = (): string => `load average ${loadBefore} before, ${loadavg()[0]!.toFixed(1)} after`;
const positive = (flag: string, values: string[]): number[] =>
  values.map((value) =>
    Number.isInteger(Number(value)) && Number(value) > 0
      ? Number(value)
      : usage(`${flag} takes positive integers, got ${JSON.stringify(value)}`),
  );

if (argv.includes("--failover")) {
  const options = {
    kills: integerFlag(argv, "--failover", 20),
    leaseMs: integerFlag(argv, "--lease-ms", 1_000),
    tickMs: integerFlag(argv, "--tick-ms", 200),
    rate: integerFlag(argv, "--failover-rate", 100),
    processes: integerFlag(argv, "--processes", 3, 2),
  };
  const result = await measureFailover(options);
  console.log(
    `failover: node ${process.version}, ${options.processes} wsgen processes on one Redis (redisBroker leaseMs ${options.leaseMs}, tickMs ${options.tickMs}), producer at ${options.rate} msg/s, one subscriber per process; servers on core 0, Redis on core 1; ${load()}`,
  );
  console.log(failoverTable(result));
  const frames = Object.entries(result.otherFrames).map(([type, count]) => `${type} ×${count}`);
  if (frames.length > 0) console.log(`\nOther frames the subscribers got: ${frames.join(", ")}.`);
  for (const failure of result.failures) console.log(`\n- ${failure}`);
  process.exit(result.failures.length === 0 ? 0 : 1);
}

const clientCounts = positive("--clients", listFlag(argv, "--clients", "100,1000"));
const rates = listFlag(argv, "--rates", "100,1000");
positive("--rates", rates);
const targets = listFlag(argv, "--targets", Object.keys(TARGETS).join(","), Object.keys(TARGETS));
const options = {
  seconds: integerFlag(argv, "--seconds", 4),
  transport: listFlag(argv, "--transport", "light", ["light", "ws"])[0]!,
  maxRssMiB: integerFlag(argv, "--max-rss-mib", 4096),
  profileDir: flag(argv, "--profile", ""),
};
const repeat = integerFlag(argv, "--repeat", 1);

/** The median of each figure over the runs of a cell that produced a result: per process, and per Redis command too. */
function medianRow(runs: ClusterRow[]): ClusterRow {
  const ok = okRuns(runs);
  if (ok === undefined) return runs[0]!;
  const { target, clients, rate } = ok[0]!;
  const processes = ok[0]!.processes.map((_, i) =>
    medians(
      ok.map((run) => run.processes[i]!),
      PROCESS_FIGURES,
    ),
  );
  const byCommand = (of: (run: ClusterRow) => Record<string, number>): Record<string, number> => {
    const commands = [...new Set(ok.flatMap((run) => Object.keys(of(run))))];
    return Object.fromEntries(commands.map((command) => [command, median(ok.map((run) => of(run)[command] ?? 0))]));
  };
  const commandsPerUpdate = {
    processes: byCommand((run) => run.commandsPerUpdate.processes),
    scripts: byCommand((run) => run.commandsPerUpdate.scripts),
  };
  return { target, clients, rate, ...medians(ok, FIGURES), processes, commandsPerUpdate };
}

const rows = await measureMatrix({
  ...{ clientCounts, rates, targets, repeat, median: medianRow },
  measure: (target, clients, rate) => measureCluster(target, clients, rate, options),
  describe: (row) =>
    row.failure ??
    `${row.perSecond.toFixed(0)} deliveries/s, p99 ${row.p99.toFixed(1)} ms, ${row.serversCpuMicrosPerDelivery.toFixed(2)} µs servers' CPU/delivery, ${row.redisRequestsPerUpdate.toFixed(2)} Redis requests/update`,
});
console.log(
  `cluster: node ${process.version}, ${options.seconds} s windows, ${repeat === 1 ? "one run per row" : `medians of ${repeat} runs per row`}, server processes on core 0, Redis and the load client (${options.transport} transport) on core 1, connections split evenly over the processes; per-process figures producer first; ${load()}`,
);
console.log(clusterTable(rows));
for (const row of rows.filter((row) => row.failure !== undefined)) {
  console.log(`\n- ${row.target}, ${row.clients} subscribers, rate ${row.rate}: no result, ${row.failure}.`);
}
