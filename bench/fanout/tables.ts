/** The markdown tables of `bench:fanout`: the fan-out matrix, and the overload scenario. Ratios are to raw `ws` (the floor). */
import { fmt, ratio, tableHead } from "../support/figures.js";
import type { Row } from "./measure.js";

const floorOf = (rows: readonly Row[], row: Row): Row | undefined =>
  rows.find((other) => other.target === "ws" && other.clients === row.clients && other.rate === row.rate);

export function fanoutTable(rows: readonly Row[]): string {
  const head = tableHead([
    ...["subscribers", "rate", "target", "updates/s published", "deliveries/s", "dropped %", "p50 ms", "p99 ms", "max ms"],
    ...["p99 behind schedule ms", "server CPU %", "client CPU %", "server CPU µs/delivery", "×ws CPU/delivery"],
    ...["×ws deliveries/s", "×ws p99", "peak server RSS MiB"],
  ]);
  const lines = rows.map((row) => {
    const floor = floorOf(rows, row);
    return `| ${row.clients} | ${row.rate} | ${row.target} | ${fmt(row.publishedPerSecond, 0)} | ${fmt(row.perSecond, 0)} | ${fmt((row.gaps / (row.gaps + row.deliveries)) * 100, 1)} | ${fmt(row.p50, 2)} | ${fmt(row.p99, 2)} | ${fmt(row.max, 1)} | ${fmt(row.p99BehindSchedule, 1)} | ${fmt(row.cpuPercent, 0)} | ${fmt(row.clientCpuPercent, 0)} | ${fmt(row.cpuMicrosPerDelivery, 2)} | ${ratio(row.cpuMicrosPerDelivery, floor?.cpuMicrosPerDelivery)} | ${ratio(row.perSecond, floor?.perSecond)} | ${ratio(row.p99, floor?.p99)} | ${fmt(row.rssMiB, 0)} |`;
  });
  return [head, ...lines].join("\n");
}

/**
 * The overload table: ages of delivered updates (receipt − publish time),
 * what each client skipped, and the server's peak and final RSS.
 */
export function overloadTable(rows: readonly Row[]): string {
  const head = tableHead([
    ...[
      "subscribers",
      "rate",
      "target",
      "updates/s published",
      "deliveries/s",
      "skipped %",
      "skipped per client, mean",
      "skipped per client, max",
    ],
    ...["age p50 ms", "age p99 ms", "age max ms", "p99 behind schedule ms", "server CPU %", "client CPU %", "server CPU µs/delivery"],
    ...["peak server RSS MiB", "server RSS at end MiB", "×ws deliveries/s", "×ws CPU/delivery", "×ws age p99", "×ws peak RSS"],
  ]);
  const lines = rows.map((row) => {
    const floor = floorOf(rows, row);
    return `| ${row.clients} | ${row.rate} | ${row.target} | ${fmt(row.publishedPerSecond, 0)} | ${fmt(row.perSecond, 0)} | ${fmt((row.gaps / (row.gaps + row.deliveries)) * 100, 1)} | ${fmt(row.gaps / row.clients, 0)} | ${fmt(row.skippedPerClientMax, 0)} | ${fmt(row.p50, 1)} | ${fmt(row.p99, 1)} | ${fmt(row.max, 1)} | ${fmt(row.p99BehindSchedule, 1)} | ${fmt(row.cpuPercent, 0)} | ${fmt(row.clientCpuPercent, 0)} | ${fmt(row.cpuMicrosPerDelivery, 2)} | ${fmt(row.rssMiB, 0)} | ${fmt(row.rssEndMiB, 0)} | ${ratio(row.perSecond, floor?.perSecond)} | ${ratio(row.cpuMicrosPerDelivery, floor?.cpuMicrosPerDelivery)} | ${ratio(row.p99, floor?.p99)} | ${ratio(row.rssMiB, floor?.rssMiB)} |`;
  });
  return [head, ...lines].join("\n");
}
