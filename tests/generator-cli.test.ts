/** The command line itself: usage errors from a real process, and --help for every command. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, spawnCli } from "./support/cli.js";
import { createProject, REPO_ROOT, twoModuleFiles } from "./support/project.js";

describe("usage errors", () => {
  it("refuses unknown flags and bad values as usage errors (exit 2), from a real process", async () => {
    const root = createProject("usage", twoModuleFiles);
    const unknown = await spawnCli(root, ["generate", "--bogus"]);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringMatching(/unknown option '--bogus'/)]);
    const escape = await spawnCli(root, ["generate", "--modules", "../x"]);
    expect([escape.code, escape.stderr]).toEqual([2, expect.stringMatching(/Invalid module name/)]);
    const noConfig = await spawnCli(join(root, "src"), ["check"]);
    expect([noConfig.code, noConfig.stderr]).toEqual([
      2,
      expect.stringMatching(/No wsgen config in .*\n.*hint: Create wsgen\.config\.json/),
    ]);
  });
});

describe("version", () => {
  it("prints the package's version with --version and -V", async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const result = await runCli(process.cwd(), [flag]);
      expect([result.code, result.stdout.trim()]).toEqual([0, version]);
    }
  });
});

describe("help", () => {
  it.each([
    [[], ["generate", "check", "spec", "Examples:", "Exit codes:"]],
    [["generate"], ["--modules", "--config", "--check", "--no-format", "--no-lint", "--no-typecheck", "--watch", "--json", "Examples:"]],
    [["check"], ["--modules", "--config", "--json", "Example:"]],
    [["spec"], ["--modules", "--config", "--out", "--asyncapi", "--json", "Example:"]],
  ])("wsgen %s --help lists every flag with an example", async (command, expected) => {
    const result = await runCli(process.cwd(), [...command, "--help"]);
    expect(result.code).toBe(0);
    for (const text of expected) expect(result.stdout).toContain(text);
  });
});
