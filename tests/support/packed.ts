/**
 * Packed installs: the two packages as `npm pack` makes them, installed with
 * real packages from the npm registry into fresh projects outside this
 * repository, so that nothing resolves from this repository's node_modules.
 * What a user gets from `npm install wsgen` and `npm install -D @wsgen/cli`.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "./project.js";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its end; never rejects on a non-zero exit (the test asserts on it). */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, ms: Math.round(performance.now() - started) }));
  });
}

/** Throws with the command's output unless it exited 0. */
export async function runOk(command: string, args: string[], cwd: string): Promise<Run> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.code} in ${cwd}\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** What `npm pack --json` reports of one tarball. */
export interface Tarball {
  name: string;
  path: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
}

export interface Packs {
  dir: string;
  runtime: Tarball;
  cli: Tarball;
}

/**
 * Packs the runtime (packages/wsgen) and the CLI (the root) into a fresh
 * folder. Without `prepack`: its build would delete and rewrite both dist/
 * folders while other test files run the CLI from them; the suite's global
 * setup has built them already.
 */
export async function packBoth(): Promise<Packs> {
  const dir = mkdtempSync(join(tmpdir(), "wsgen-packs-"));
  const pack = async (args: string[]): Promise<Tarball> => {
    const result = await runOk("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir, ...args], REPO_ROOT);
    const [entry] = JSON.parse(result.stdout.slice(result.stdout.indexOf("["))) as (Omit<Tarball, "path"> & { filename: string })[];
    if (entry === undefined) throw new Error(`npm pack printed no tarball: ${result.stdout}`);
    return { ...entry, path: join(dir, entry.filename) };
  };
  const runtime = await pack(["--workspace", "wsgen"]);
  const cli = await pack([]);
  return { dir, runtime, cli };
}

/** A fresh project outside this repository: `files` written, then `npm install` from the registry. */
export async function installProject(name: string, files: Record<string, string>, installArgs: string[] = []): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), `wsgen-${name}-`));
  writeFiles(root, files);
  await runOk("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", ...installArgs], root);
  return root;
}

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

export function removeProject(root: string | undefined): void {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
}

/** Bytes on disk of everything under `dir` (files' sizes; links not followed). */
export function treeSize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += treeSize(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

/** The packages npm installed into `root`, by name (from node_modules/.package-lock.json). */
export function installedPackages(root: string): string[] {
  const lock = JSON.parse(readFileSync(join(root, "node_modules/.package-lock.json"), "utf8")) as { packages: Record<string, unknown> };
  return Object.keys(lock.packages)
    .map((path) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length))
    .sort();
}

/** A started server process, stopped by `stop()`; `port` is what it printed as `listening <port>`. */
export interface ServerProcess {
  port: number;
  stop(): Promise<void>;
}

export function startServer(root: string, entry: string): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const fail = (why: string): void => reject(new Error(`${entry} ${why}:\n${output}`));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match === null) return;
      resolve({
        port: Number(match[1]),
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      });
    });
    child.once("exit", (code) => fail(`exited ${code} before listening`));
    child.once("error", (error) => fail(error.message));
  });
}
