/**
 * The gates (format, lint, typecheck) on the rendered output: a failing gate
 * exits 2 with a message naming file, line and column (and rule or TS code),
 * and leaves ws_generated/ exactly as it was.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { createProject, snapshotTree, twoModuleFiles, writeFiles } from "./support/project.js";

describe("gate failures", () => {
  async function generatedThenBroken(breakage: Record<string, string>) {
    const root = createProject("gate", twoModuleFiles);
    expect((await runCli(root, ["generate", "--no-lint"])).code).toBe(0);
    const before = snapshotTree(join(root, "src/modules"));
    // A new router, so the failing run has something to write.
    writeFiles(root, {
      "src/modules/broker/ws.ts": `${twoModuleFiles["src/modules/broker/ws.ts"]}\nexport type ExtraWsRouter = WsRouter<OrderSubscriptionRequest, PlacedOrder>;\n`,
      ...breakage,
    });
    const after = (): Record<string, string> => {
      const tree = snapshotTree(join(root, "src/modules"));
      delete tree["broker/ws.ts"];
      const expected = { ...before };
      delete expected["broker/ws.ts"];
      return { tree, expected } as never;
    };
    return { root, after };
  }

  it("format: a prettier that cannot format leaves ws_generated/ as it was", async () => {
    const { root, after } = await generatedThenBroken({ ".prettierrc.json": JSON.stringify({ parser: "no-such-parser" }) });
    const result = await runCli(root, ["generate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the format gate failed; nothing was written/);
    expect(result.stderr).toMatch(
      /src\/modules\/broker\/ws_generated\/extra-ws-router\.ts:1:1: prettier could not format the output: .*no-such-parser/,
    );
    const { tree, expected } = after() as unknown as { tree: object; expected: object };
    expect(tree).toEqual(expected);
  });

  it("lint: a rule the output breaks names file, line and rule, and nothing is written", async () => {
    const { root, after } = await generatedThenBroken({
      "eslint.config.js":
        'import tseslint from "typescript-eslint";\nexport default tseslint.config(...tseslint.configs.recommended, { rules: { "max-lines": ["error", 5] } });\n',
    });
    const result = await runCli(root, ["generate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the lint gate failed; nothing was written/);
    expect(result.stderr).toMatch(
      /src\/modules\/broker\/ws_generated\/extra-ws-router\.ts:6:1: File has too many lines \(\d+\)\. Maximum allowed is 5\. \[max-lines\]/,
    );
    const { tree, expected } = after() as unknown as { tree: object; expected: object };
    expect(tree).toEqual(expected);
  }, 30_000);

  it("typecheck: a type that does not match its schema names the TS code, and nothing is written", async () => {
    const { root, after } = await generatedThenBroken({
      "src/models/broker.ts": twoModuleFiles["src/models/broker.ts"]!.replace(
        "export type PlacedOrder = z.infer<typeof PlacedOrder>;",
        "export type PlacedOrder = { id: number };",
      ),
    });
    const result = await runCli(root, ["generate", "--no-lint"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the typecheck gate failed; nothing was written/);
    expect(result.stderr).toMatch(/src\/modules\/broker\/ws_generated\/extra-ws-router\.ts:\d+:\d+: .* \[TS2322\]/);
    const { tree, expected } = after() as unknown as { tree: object; expected: object };
    expect(tree).toEqual(expected);
  }, 30_000);
});
