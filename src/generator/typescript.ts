/**
 * The project's TypeScript, and how the gates can use it. TypeScript 5.8 to
 * 6.x has the JS compiler API: the output is checked in memory
 * (gate-program.ts). TypeScript 7 is the native compiler: its npm package
 * holds the `tsc` binary and, under `typescript/unstable/*`, an IPC API whose
 * shape may change in any 7.x release, but no `ts.createProgram`; its gate
 * runs that `tsc` on the output written beside its real place
 * (typecheck-native.ts). Any other version is refused before the pipeline
 * starts, so it never ends in an internal error halfway.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { InputError } from "./errors.js";
import { projectPackage, resolveFromProject } from "./tools.js";

export type TypeScript = typeof import("typescript");

/** The TypeScript versions the typecheck gate supports: the JS API from `api` on, the native tsc of `native`, nothing from `below`. */
export const SUPPORTED_TYPESCRIPT = { api: [5, 8], native: 7, below: 8 } as const;

/** The project's TypeScript, by the way the gates use it. */
export type ProjectTypeScript =
  | {
      kind: "api";
      version: string;
      /** Requires the compiler (CommonJS, cached per path) and checks that it has the API the gates call. */
      load: () => TypeScript;
    }
  | {
      kind: "native";
      version: string;
      /** Absolute path of the package's `tsc` bin, a Node script that runs the native compiler. */
      tsc: string;
    };

/** The functions of the JS API the gates call: a TypeScript without them is refused. */
const API_FUNCTIONS = [
  "getParsedCommandLineOfConfigFile",
  "createCompilerHost",
  "createProgram",
  "createSourceFile",
  "flattenDiagnosticMessageText",
] as const;

const compilers = new Map<string, TypeScript>();

/**
 * The project's TypeScript, undefined when it has none. Throws
 * ERR_TOOL_VERSION for a version the gates cannot use (before 5.8, 8 and later).
 */
export function projectTypeScript(root: string): ProjectTypeScript | undefined {
  const manifest = projectPackage(root, "typescript");
  if (manifest === undefined) return undefined;
  const { version } = manifest;
  const [major = 0, minor = 0] = (/^(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
  const [apiMajor, apiMinor] = SUPPORTED_TYPESCRIPT.api;
  if (major < apiMajor || (major === apiMajor && minor < apiMinor) || major >= SUPPORTED_TYPESCRIPT.below) {
    throw unsupported(
      version,
      major >= SUPPORTED_TYPESCRIPT.below
        ? "This wsgen knows TypeScript up to 7.x: upgrade @wsgen/cli, or pass --no-typecheck."
        : "npm install --save-dev typescript@6 (or typescript@7), or pass --no-typecheck.",
    );
  }
  if (major >= SUPPORTED_TYPESCRIPT.native) {
    const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin?.tsc;
    const tsc = bin !== undefined ? join(manifest.dir, bin) : undefined;
    if (tsc === undefined || !existsSync(tsc)) {
      throw unsupported(version, "Its package has no tsc binary: reinstall typescript, or pass --no-typecheck.");
    }
    return { kind: "native", version, tsc };
  }
  const load = (): TypeScript => {
    const path = resolveFromProject(root, "typescript", "typecheck");
    let ts = compilers.get(path);
    if (ts === undefined) {
      // Required rather than imported: it is CommonJS, and require is much faster.
      ts = createRequire(path)(path) as TypeScript;
      const missing = API_FUNCTIONS.filter((name) => typeof (ts as Partial<TypeScript>)[name] !== "function");
      if (missing.length > 0) {
        throw unsupported(
          version,
          `It lacks the compiler API wsgen uses (${missing.join(", ")}): reinstall typescript, or pass --no-typecheck.`,
        );
      }
      compilers.set(path, ts);
    }
    return ts;
  };
  return { kind: "api", version, load };
}

function unsupported(version: string, hint: string): InputError {
  return InputError.at(
    undefined,
    `typescript ${version} is installed in this project, and wsgen's typecheck gate supports TypeScript 5.8 through 7.x.`,
    hint,
    "ERR_TOOL_VERSION",
  );
}
