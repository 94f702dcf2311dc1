/**
 * CLI: the `wsgen` command line. commander parses flags into the pipeline's
 * options; `generate`, `check` and `spec` are thin ends of src/generator.
 * Exit codes (docs/cli.md): 0 success or up to date, 1 drift found by
 * --check, 2 bad usage, config or input or a failed gate, 3 internal error.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import { ASYNCAPI_VERSIONS, type AsyncApiVersion } from "wsgen/internal";
import { generate, type GenerateOptions } from "../generator/codegen.js";
import { CONFIG_DEFAULTS, CONFIG_FILES } from "../generator/config.js";
import { ExitCode, internalMessage } from "../generator/errors.js";
import { writeSpecs } from "../generator/spec.js";
import { watchAndGenerate } from "../generator/watcher.js";
import { defaultOutput, reportGenerate, reportSpec, type Output } from "./report.js";

/** wsgen's own version, from the package.json beside src/ and dist/. */
function packageVersion(): string {
  const manifest = readFileSync(fileURLToPath(new URL("../../package.json", import.meta.url)), "utf8");
  return (JSON.parse(manifest) as { version: string }).version;
}

const modulesList = (value: string): string[] =>
  value
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);

interface CommonFlags {
  modules?: string[];
  config?: string;
  json?: boolean;
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function run(argv: readonly string[], cwd = process.cwd(), output: Output = defaultOutput()): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = new Command("wsgen")
    .description("Typed, validated, documented WebSocket routers from WsRouter<Req, Data> aliases.")
    .version(packageVersion(), "-V, --version", "print the version of wsgen")
    .exitOverride()
    .configureOutput({ writeOut: (text) => output.out(text.trimEnd()), writeErr: (text) => output.err(text.trimEnd()) })
    .showHelpAfterError("(run `wsgen --help` for usage)")
    .addHelpText(
      "after",
      `
Examples:
  npx wsgen generate --modules broker     regenerate one module's routers, with all gates
  npx wsgen check                         CI drift check: exit 1 if generated files are out of date
  npx wsgen spec --asyncapi 2.6.0         write AsyncAPI documents

Exit codes: 0 success or up to date, 1 drift (--check), 2 bad usage/config/input or failed gate, 3 internal error.`,
    );

  const common = (command: Command): Command =>
    command
      .option("--modules <a,b>", "only these modules (default: every module with a ws.ts)", modulesList)
      .option("--config <path>", `config file (default: the first of ${CONFIG_FILES.join(", ")} in the current folder)`)
      .option("--json", "print one machine-readable result object");

  const runGenerate = async (flags: CommonFlags & { check?: boolean; watch?: boolean }, command: Command): Promise<void> => {
    const disabled = (gate: string): false | undefined => (command.getOptionValueSource(gate) === "cli" ? false : undefined);
    const options: GenerateOptions = {
      cwd,
      ...(flags.config !== undefined ? { config: flags.config } : {}),
      ...(flags.modules !== undefined ? { modules: flags.modules } : {}),
      check: flags.check === true,
      ...strip({ format: disabled("format"), lint: disabled("lint"), typecheck: disabled("typecheck") }),
    };
    const print = (result: Awaited<ReturnType<typeof generate>>): void => {
      if (flags.json === true) output.out(JSON.stringify(result));
      else reportGenerate(output, result);
    };
    if (flags.watch === true) {
      if (flags.check === true) throw new CommanderError(ExitCode.input, "wsgen.usage", "--watch and --check cannot be combined.");
      await watchAndGenerate({ ...options, onResult: print });
      if (flags.json !== true) output.err("watching for changes (Ctrl-C to stop)…");
      await new Promise<void>(() => undefined); // until the process is interrupted
    }
    const result = await generate(options);
    print(result);
    exitCode = result.exitCode;
  };

  common(
    program
      .command("generate")
      .description(`render routers and barrels into each module's ${CONFIG_DEFAULTS.outputDir}/, behind the quality gates`),
  )
    .option("--check", "write nothing; print a diff and exit 1 if output is out of date")
    .option("--no-format", "skip the prettier gate")
    .option("--no-lint", "skip the eslint gate")
    .option("--no-typecheck", "skip the tsc gate")
    .option("--watch", "regenerate when a ws.ts or anything it imports changes")
    .addHelpText("after", "\nExamples:\n  npx wsgen generate --modules broker,datafeed\n  npx wsgen generate --no-lint --watch")
    .action(runGenerate);

  common(program.command("check").description("same as generate --check: the CI drift check"))
    .addHelpText("after", "\nExample:\n  npx wsgen check --modules broker")
    .action((flags: CommonFlags, command: Command) => runGenerate({ ...flags, check: true }, command));

  common(
    program
      .command("spec")
      .description(`write AsyncAPI documents: <module>/${CONFIG_DEFAULTS.spec.dir}/<module>_asyncapi.json and the merged one`),
  )
    .option("--out <path>", "where to write the merged document (default: the config's spec.merged)")
    .addOption(
      new Option(
        "--asyncapi <version>",
        `AsyncAPI version (default: the config's spec.version, ${CONFIG_DEFAULTS.spec.version} unless set)`,
      ).choices(ASYNCAPI_VERSIONS),
    )
    .addHelpText("after", "\nExample:\n  npx wsgen spec --out generated/asyncapi.json --asyncapi 3.0.0")
    .action(async (flags: CommonFlags & { out?: string; asyncapi?: AsyncApiVersion }) => {
      const result = await writeSpecs({
        cwd,
        ...strip({ config: flags.config, modules: flags.modules, out: flags.out, version: flags.asyncapi }),
      });
      if (flags.json === true) output.out(JSON.stringify(result));
      else reportSpec(output, result);
      exitCode = result.exitCode;
    });

  if (argv.length === 0) {
    // No command is a usage error, not a request for help.
    output.err(program.helpInformation().trimEnd());
    return ExitCode.input;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help")
        return ExitCode.ok;
      if (error.code === "wsgen.usage") output.err(`error: ${error.message}`);
      return ExitCode.input;
    }
    output.err(`wsgen: internal error\n${internalMessage(error)}`);
    return ExitCode.internal;
  }
  return exitCode;
}

/** Drops undefined members, so optional options stay absent rather than undefined. */
function strip<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
