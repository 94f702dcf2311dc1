/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`) as self time per function,
 * so RESULTS.md can say where a run's CPU went:
 *   npx tsx bench/profile-summary.ts <file.cpuprofile> [top=15]
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";

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

const [file, topArg] = process.argv.slice(2);
if (file === undefined) {
  console.error("usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top]");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
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
