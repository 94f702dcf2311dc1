/**
 * The generator under a corrupted or mutated ws.ts, in process and as a
 * separate process: it exits 0 or 2 with a located message, never 3, and
 * never writes part of an output.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runCli, spawnCli, type CliRun } from "./support/cli.js";
import { createProject, snapshotTree, twoModuleFiles, writeFiles } from "./support/project.js";
import { expectConsistent } from "./support/output.js";

const BROKER = "src/modules/broker/ws.ts";
const OUT = "src/modules/broker/ws_generated";

describe("mutated ws.ts", () => {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.string({ maxLength: 12 }) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("garbage" as const), text: fc.string({ minLength: 1, maxLength: 200 }) }),
  );
  type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;
  const apply = (source: string, m: Mutation): string => {
    if (m.kind === "garbage") return m.text;
    const at = m.at % (source.length + 1);
    if (m.kind === "delete") return source.slice(0, at) + source.slice(at + m.length);
    if (m.kind === "insert") return source.slice(0, at) + m.text + source.slice(at);
    return source.slice(0, at);
  };

  /**
   * Runs generate on `root` with a mutated broker ws.ts; checks exit 0 or 2 (never 3), a located message
   * on 2, and no partial write; then restores ws.ts and the output for the next run.
   */
  async function checkMutation(
    root: string,
    pristine: Record<string, string>,
    run: (root: string) => Promise<CliRun>,
    mutations: Mutation[],
  ): Promise<void> {
    writeFileSync(join(root, BROKER), mutations.reduce(apply, twoModuleFiles[BROKER]!));
    const result = await run(root);
    expect([0, 2]).toContain(result.code);
    if (result.code === 2) {
      expect(result.stderr).toMatch(/^wsgen: (bad input|the \w+ gate failed); nothing was written\./);
      expect(result.stderr).toMatch(/src\/modules\/broker\/(ws\.ts|ws_generated\/[\w-]+\.ts):\d+:\d+: /);
      expect(snapshotTree(join(root, OUT))).toEqual(pristine);
    } else {
      expectConsistent(root, OUT);
    }
    writeFileSync(join(root, BROKER), twoModuleFiles[BROKER]!);
    rmSync(join(root, OUT), { recursive: true, force: true });
    writeFiles(join(root, OUT), pristine);
  }

  async function generatedProject(): Promise<{ root: string; pristine: Record<string, string> }> {
    const root = createProject("mutated", twoModuleFiles);
    expect((await runCli(root, ["generate", "--no-lint", "--no-typecheck"])).code).toBe(0);
    return { root, pristine: snapshotTree(join(root, OUT)) };
  }

  it("exits 0 or 2 (never 3) and never writes part of an output, over random mutations", async () => {
    const { root, pristine } = await generatedProject();
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) =>
        checkMutation(root, pristine, (cwd) => runCli(cwd, ["generate", "--no-lint"]), mutations),
      ),
      { numRuns: 30 },
    );
  }, 120_000);

  it("does the same as a separate process", async () => {
    const { root, pristine } = await generatedProject();
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) =>
        checkMutation(root, pristine, (cwd) => spawnCli(cwd, ["generate", "--no-lint"]), mutations),
      ),
      { numRuns: 4 },
    );
  }, 120_000);
});
