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
 *
 * `--scenario overload`: the load client cannot keep up. It is built on the
 * `ws` library (`--transport ws`), which takes fewer messages per second on
 * its core than a server sends at 1,000 subscribers × 1,000 msg/s (the
 * defaults; also a burst). The table reports the age of delivered updates,
 * the updates each client skipped, and the server's peak and final RSS.
 *
 *   npx tsx bench/fanout/run.ts --scenario overload --repeat 5
 *   … --lag-policy off,conflate,skip    # wsgen once per lagPolicy (route option; "default": not passed; "off": maxLagMs 0, no lag detection)
 *   … --max-lag-ms 250                  # wsgen's maxLagMs (app option), passed only when given
 *   … --queue-capacity 1000             # wsgen's route queueCapacity (the bench server's own default is 100,000)
 */
import { flag, integerFlag, listFlag, usage } from "../support/args.js";
import { medians } from "../support/figures.js";
import { measureMatrix, okRuns } from "../support/matrix.js";
import { FIGURES, measure, TARGETS, type Row } from "./measure.js";
import { fanoutTable, overloadTable } from "./tables.js";

/** Each scenario's defaults (every one a flag) and its table. */
const SCENARIOS = {
  fanout: { clients: "100,1000,5000", rates: "100,1000,burst", seconds: 5, transport: "light", table: fanoutTable },
  overload: { clients: "1000", rates: "1000,burst", seconds: 10, transport: "ws", table: overloadTable },
} as const;
const LAG_POLICIES = ["default", "off", "conflate", "skip", "close"];

const argv = process.argv;
const scenarioName = flag(argv, "--scenario", "fanout");
const scenario =
  scenarioName in SCENARIOS
    ? SCENARIOS[scenarioName as keyof typeof SCENARIOS]
    : usage(`unknown --scenario ${scenarioName}: use fanout or overload`);
const clientCounts = listFlag(argv, "--clients", scenario.clients).map((count) => {
  const clients = Number(count);
  return Number.isInteger(clients) && clients > 0 ? clients : usage(`--clients takes positive integers, got ${JSON.stringify(count)}`);
});
const rates = listFlag(argv, "--rates", scenario.rates);
for (const rate of rates)
  if (rate !== "burst" && !(Number(rate) > 0)) usage(`--rates takes messages per second or burst, got ${JSON.stringify(rate)}`);
const lagPolicies = listFlag(argv, "--lag-policy", "default", LAG_POLICIES);
// `wsgen` runs once per asked lagPolicy; `wsgen:<policy>` names one run explicitly.
const targetList = listFlag(argv, "--targets", TARGETS.join(",")).flatMap((target) => {
  const [base, policy] = target.split(":");
  if (!TARGETS.includes(base!) || (policy !== undefined && (base !== "wsgen" || !LAG_POLICIES.includes(policy)))) {
    usage(`--targets: ${JSON.stringify(target)} is not one of ${TARGETS.join(", ")} (or wsgen:<${LAG_POLICIES.join("|")}>)`);
  }
  if (target !== "wsgen") return [policy === "default" ? "wsgen" : target];
  return lagPolicies.map((lagPolicy) => (lagPolicy === "default" ? "wsgen" : `wsgen:${lagPolicy}`));
});
const targets = [...new Set(targetList)];
const options = {
  seconds: integerFlag(argv, "--seconds", scenario.seconds),
  transport: listFlag(argv, "--transport", scenario.transport, ["light", "ws"])[0]!,
  maxRssMiB: integerFlag(argv, "--max-rss-mib", 4096),
  profileDir: flag(argv, "--profile", ""),
  batchWindow: flag(argv, "--batch-window", ""),
  queueCapacity: flag(argv, "--queue-capacity", ""),
  maxLagMs: flag(argv, "--max-lag-ms", ""),
};
if (options.maxLagMs !== "") integerFlag(argv, "--max-lag-ms", 1);
// Each cell is measured this many times, the targets interleaved, and reported as medians.
const repeat = integerFlag(argv, "--repeat", 1);

/** The median of each figure over the runs of one cell that produced a result. */
function medianRow(runs: Row[]): Row {
  const ok = okRuns(runs);
  if (ok === undefined) return runs[0]!;
  const { target, clients, rate } = ok[0]!;
  return { target, clients, rate, ...medians(ok, FIGURES) };
}

let port = 8100 + Math.floor(Math.random() * 500);
const rows = await measureMatrix({
  ...{ clientCounts, rates, targets, repeat, median: medianRow },
  measure: (target, clients, rate) => measure(target, clients, rate, port++, options),
  describe: (row) =>
    `${row.perSecond.toFixed(0)} deliveries/s, p99 ${row.p99.toFixed(1)} ms, ${row.cpuMicrosPerDelivery.toFixed(2)} µs CPU/delivery, peak RSS ${row.rssMiB.toFixed(0)} MiB`,
});

console.log(
  `${scenarioName}: node ${process.version}, ${options.seconds} s windows, ${repeat === 1 ? "one run per row" : `medians of ${repeat} runs per row`}, server on core 0, load client (${options.transport} transport) on core 1${options.maxLagMs === "" ? "" : `, wsgen maxLagMs ${options.maxLagMs}`}`,
);
console.log(scenario.table(rows));
for (const row of rows.filter((row) => row.failure !== undefined)) {
  console.log(`\n- ${row.target}, ${row.clients} subscribers, rate ${row.rate}: no result, ${row.failure}.`);
}
