/**
 * The markdown tables of `bench:cluster`: the matrix (ratios to
 * socket.io's sharded Redis adapter, the target to beat), and the
 * failover runs. Per-process figures read producer first, then the others,
 * separated by " / ".
 */
import { fmt, ratio, tableHead } from "../support/figures.js";
import type { FailoverResult } from "./failover.js";
import type { ClusterRow, ProcessFigures } from "./measure.js";

const BASELINE = "socketio-sharded";

const perProcess = (row: ClusterRow, figure: keyof ProcessFigures, digits: number): string =>
  row.processes.length === 0 ? "–" : row.processes.map((process) => fmt(process[figure], digits)).join(" / ");

/** Calls per update by command, most first ("–" for none); under 0.005 a call per update reads as "<0.01". */
export function commandBreakdown(commands: Record<string, number>): string {
  const entries = Object.entries(commands).sort(([, a], [, b]) => b - a);
  if (entries.length === 0) return "–";
  return entries.map(([command, calls]) => `${command} ${calls < 0.005 ? "<0.01" : calls.toFixed(2)}`).join(", ");
}

export function clusterTable(rows: readonly ClusterRow[]): string {
  const head = tableHead([
    ...["subscribers", "rate", "target", "updates/s published", "updates/s reaching clients", "deliveries/s", "dropped %"],
    ...["p50 ms", "p99 ms", "max ms"],
    ...["client CPU %", "server CPU % per process", "CPU µs/delivery per process", "servers' CPU µs/delivery"],
    ...["servers' + Redis CPU µs/delivery", "Redis CPU %", "Redis requests/update", "requests by command"],
    ...["Redis commands/update (with scripts')", "run by scripts, by command", "Redis bytes out/update", "peak RSS MiB per process"],
    ...["×socket.io deliveries/s", "×socket.io p99"],
  ]);
  const lines = rows.map((row) => {
    const baseline = rows.find((other) => other.target === BASELINE && other.clients === row.clients && other.rate === row.rate);
    const dropped = (row.gaps / (row.gaps + row.deliveries)) * 100;
    return `| ${row.clients} | ${row.rate} | ${row.target} | ${fmt(row.producedPerSecond, 0)} | ${fmt(row.publishedPerSecond, 0)} | ${fmt(row.perSecond, 0)} | ${fmt(dropped, 1)} | ${fmt(row.p50, 2)} | ${fmt(row.p99, 2)} | ${fmt(row.max, 1)} | ${fmt(row.clientCpuPercent, 0)} | ${perProcess(row, "cpuPercent", 0)} | ${perProcess(row, "cpuMicrosPerDelivery", 2)} | ${fmt(row.serversCpuMicrosPerDelivery, 2)} | ${fmt(row.clusterCpuMicrosPerDelivery, 2)} | ${fmt(row.redisCpuPercent, 1)} | ${fmt(row.redisRequestsPerUpdate, 2)} | ${commandBreakdown(row.commandsPerUpdate.processes)} | ${fmt(row.redisCommandsPerUpdate, 2)} | ${commandBreakdown(row.commandsPerUpdate.scripts)} | ${fmt(row.redisBytesPerUpdate, 0)} | ${perProcess(row, "rssMiB", 0)} | ${ratio(row.perSecond, baseline?.perSecond)} | ${ratio(row.p99, baseline?.p99)} |`;
  });
  return [head, ...lines].join("\n");
}

export function failoverTable(result: FailoverResult): string {
  const head = tableHead([
    "kills",
    "failed",
    "kill → new producer's createTopic, median / max ms",
    "kill → first update of the new epoch at a surviving client, median / max ms",
    "stated bound (leaseMs + tickMs) ms",
    "kills over the bound",
  ]);
  return `${head}\n| ${result.kills} | ${result.failures.length} | ${fmt(result.createTopic.median, 0)} / ${fmt(result.createTopic.max, 0)} | ${fmt(result.firstUpdate.median, 0)} / ${fmt(result.firstUpdate.max, 0)} | ${result.boundMs} | ${result.overBound} |`;
}
