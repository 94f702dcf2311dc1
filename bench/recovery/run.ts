/**
 * `npm run bench:recovery`: 1,000 clients of one topic dropped at once,
 * 500 updates published while they are away, then all reconnecting at once;
 * resubscribing with `since` (replay from the route's history) against
 * without it (no replay), in the same run. A fresh wsgen server (pinned to
 * core 0) and load client (core 1) per measurement; the modes interleaved
 * run by run, each row the median of --repeat runs.
 *
 *   npm run bench:recovery -- --repeat 5
 *   npx tsx bench/recovery/run.ts --clients 1000 --missed 500 --history 1000 --live-rate 0 --repeat 5
 *
 * What each figure is: bench/recovery/client.ts, and bench/RESULTS.md.
 */
import { integerFlag, listFlag } from "../support/args.js";
import { fmt, medians, ratio, tableHead } from "../support/figures.js";
import { collectOutput, startNode, stopProcess, waitForOutput } from "../support/processes.js";

const argv = process.argv;
const clients = integerFlag(argv, "--clients", 1_000);
const missed = integerFlag(argv, "--missed", 500);
const history = integerFlag(argv, "--history", 1_000);
const liveRate = integerFlag(argv, "--live-rate", 0, 0);
const repeat = integerFlag(argv, "--repeat", 1);
const modes = listFlag(argv, "--modes", "since,fresh", ["since", "fresh"]);
if (missed > history) console.error(`note: --missed ${missed} is more than --history ${history}: expect recovered: false (trimmed)`);

const FIGURES = [
  "caughtUpMs",
  "caughtUpP50Ms",
  "subscribedMs",
  "serverCpuMs",
  "clientCpuPercent",
  "bytes",
  "serverReplayed",
  "serverRssMiB",
] as const;
type Figures = Record<(typeof FIGURES)[number], number>;
type Result = Figures & { correct: number; failures: Record<string, number> };
interface Row extends Figures {
  mode: string;
  /** The fewest correct clients of any run, and every failure seen. */
  correct: number;
  failures: Record<string, number>;
  runs: number;
}

async function measure(mode: string, port: number): Promise<Result | string> {
  const server = startNode(0, "bench/recovery/server.ts", ["--port", String(port), "--history", String(history)]);
  try {
    await waitForOutput(server, collectOutput(server), /server on/);
    const client = startNode(1, "bench/recovery/client.ts", [
      ...["--port", String(port), "--mode", mode, "--clients", String(clients)],
      ...["--missed", String(missed), "--live-rate", String(liveRate)],
    ]);
    const output = collectOutput(client);
    // The client gives up on its own after 60 s of waiting in any phase; this is for one that hangs past that.
    const killer = setTimeout(() => client.kill("SIGKILL"), 300_000);
    const code = await new Promise<number | null>((resolve) => client.once("close", resolve));
    clearTimeout(killer);
    const line = output.text.split("\n").find((text) => text.startsWith("{"));
    if (code !== 0 || line === undefined) return `the load client exited ${code}: ${output.text.trim().slice(-500)}`;
    // JSON has no NaN: a figure the client could not compute arrives as null.
    return JSON.parse(line, (_key, value: unknown) => value ?? Number.NaN) as Result;
  } finally {
    await stopProcess(server);
  }
}

const results = new Map<string, Result[]>(modes.map((mode) => [mode, []]));
const errors: string[] = [];
let port = 8600 + Math.floor(Math.random() * 500);
for (let run = 0; run < repeat; run++) {
  for (const mode of modes) {
    const result = await measure(mode, port++);
    if (typeof result === "string") {
      errors.push(`${mode}, run ${run + 1}: ${result}`);
      console.error(`${mode} run ${run + 1}/${repeat}: no result (${result})`);
      continue;
    }
    results.get(mode)!.push(result);
    console.error(
      `${mode} run ${run + 1}/${repeat}: all caught up in ${fmt(result.caughtUpMs, 0)} ms, server CPU ${fmt(result.serverCpuMs, 0)} ms, ${fmt(result.bytes / 2 ** 20, 1)} MiB, ${result.correct}/${clients} correct`,
    );
  }
}

const rows: Row[] = modes.flatMap((mode) => {
  const runs = results.get(mode)!;
  if (runs.length === 0) return [];
  const failures: Record<string, number> = {};
  for (const run of runs) for (const [why, count] of Object.entries(run.failures)) failures[why] = (failures[why] ?? 0) + count;
  return [{ mode, ...medians(runs, FIGURES), correct: Math.min(...runs.map((run) => run.correct)), failures, runs: runs.length }];
});
const fresh = rows.find((row) => row.mode === "fresh");
const MODE_NAMES: Record<string, string> = { since: "resubscribe with since (replay)", fresh: "resubscribe without since" };

console.log(
  `recovery: node ${process.version}, ${clients} clients, ${missed} updates missed, historySize ${history}, live rate ${liveRate === 0 ? "0 (fresh: one update once all are subscribed)" : `${liveRate}/s`}, ${repeat === 1 ? "one run per row" : `medians of ${repeat} runs per row`}, server on core 0, load client on core 1`,
);
console.log(
  tableHead([
    ...["mode", "all caught up ms", "p50 client caught up ms", "all subscribed ms", "server CPU ms", "server CPU µs/client"],
    ...["bytes received MiB", "bytes/client", "updates replayed (server)", "correct clients", "client CPU %", "server RSS after MiB"],
    ...["×fresh time", "×fresh CPU", "×fresh bytes"],
  ]),
);
for (const row of rows) {
  console.log(
    `| ${MODE_NAMES[row.mode]} | ${fmt(row.caughtUpMs, 0)} | ${fmt(row.caughtUpP50Ms, 0)} | ${fmt(row.subscribedMs, 0)} | ${fmt(row.serverCpuMs, 0)} | ${fmt((row.serverCpuMs * 1_000) / clients, 0)} | ${fmt(row.bytes / 2 ** 20, 2)} | ${fmt(row.bytes / clients, 0)} | ${fmt(row.serverReplayed, 0)} | ${row.correct}/${clients} | ${fmt(row.clientCpuPercent, 0)} | ${fmt(row.serverRssMiB, 0)} | ${ratio(row.caughtUpMs, fresh?.caughtUpMs)} | ${ratio(row.serverCpuMs, fresh?.serverCpuMs)} | ${ratio(row.bytes, fresh?.bytes)} |`,
  );
}
for (const row of rows) {
  for (const [why, count] of Object.entries(row.failures))
    console.log(`\n- ${row.mode}: ${count} client(s) over ${row.runs} run(s): ${why}`);
}
for (const error of errors) console.log(`\n- no result for ${error}`);
