/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`) as self time per function,
 * so RESULTS.md can say where a run's CPU went:
 *   npx tsx bench/profile-summary.ts <file.cpuprofile | folder> [top=15]
 * Given a folder (one process's profiles: its main thread and tsx's loader
 * thread), it summarizes the busiest profile in it, the main thread.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [target, topArg] = process.argv.slice(2);
if (target === undefined) {
  console.error("usage: npx tsx bench/profile-summary.ts <file.cpuprofile | folder> [top]");
  process.exit(2);
}

/** Sampled microseconds that were not idle. */
function busyMicros(profile: CpuProfile): number {
  const idleIds = new Set(profile.nodes.filter((node) => node.callFrame.functionName === "(idle)").map((node) => node.id));
  return profile.samples.reduce((sum, id, index) => sum + (idleIds.has(id) ? 0 : (profile.timeDeltas[index] ?? 0)), 0);
}

const files = statSync(target).isDirectory()
  ? readdirSync(target)
      .filter((name) => name.endsWith(".cpuprofile"))
      .map((name) => join(target, name))
  : [target];
const loaded = files.map((path) => ({ path, profile: JSON.parse(readFileSync(path, "utf8")) as CpuProfile }));
const busiest = loaded.sort((a, b) => busyMicros(b.profile) - busyMicros(a.profile))[0];
if (busiest === undefined) {
  console.error(`no .cpuprofile in ${target}`);
  process.exit(2);
}
const { path: file, profile } = busiest;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicros = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, index) => {
  const node = byId.get(id);
  const delta = profile.timeDeltas[index] ?? 0;
  if (node === undefined) return;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url === "" ? "" : ` ${url.startsWith("file://") ? relative(process.cwd(), new URL(url).pathname) : url}:${lineNumber + 1}`;
  const key = `${functionName || "(anonymous)"}${where}`;
  selfMicros.set(key, (selfMicros.get(key) ?? 0) + delta);
  total += delta;
});
const idle = selfMicros.get("(idle)") ?? 0;
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(((total - idle) / total) * 100).toFixed(0)} % busy`);
console.log("| self % of busy | self ms | function |");
console.log("|---|---|---|");
for (const [key, micros] of [...selfMicros]
  .filter(([key]) => key !== "(idle)")
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(topArg ?? 15))) {
  console.log(`| ${((micros / (total - idle)) * 100).toFixed(1)} | ${(micros / 1000).toFixed(0)} | \`${key}\` |`);
}
