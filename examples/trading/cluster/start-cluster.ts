/**
 * `npm run start:cluster`: the trading example as a local cluster. One
 * redis-server (a free port, persistence off, a temporary directory) and two
 * example processes that share it through REDIS_URL, on ports 8000 and 8001
 * (a free one instead of each that is taken) of HOST (default 127.0.0.1):
 * open both pages side by side, an order placed in one shows in the other.
 *
 *   npm run start:cluster                      # ports 8000 and 8001
 *   npm run start:cluster -- 8000 8001 8002    # three processes (0: a free port)
 *   REDIS_URL=redis://host:6379 npm run start:cluster   # that Redis; none is started
 *
 * Every line a process prints is prefixed with its name. Ctrl-C or SIGTERM
 * stops the example processes (cleanly: clients get 1001), then Redis, and
 * exits 0; if any process dies on its own, the rest are stopped and it exits
 * 1. The children run in their own process groups so that a Ctrl-C reaches
 * them through this script, in that order, rather than all at once.
 */
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { styleText } from "node:util";
import { startLocalRedis, type LocalRedis } from "./local-redis.js";
import { BANNER_END, freePort, listeningUrl, portIsFree, spawnExample } from "./processes.js";

const DEFAULT_PORTS = [8000, 8001];
/** main.ts bounds its own shutdown at 10 s; past this it is killed. */
const STOP_TIMEOUT_MS = 12_000;

interface Member {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  url?: string;
  ready: boolean;
}

const host = process.env.HOST ?? "127.0.0.1";
const colors = process.stdout.isTTY && process.env.NO_COLOR === undefined;
const PALETTE = ["cyan", "magenta", "green", "blue", "yellow"] as const;
const members: Member[] = [];
let redis: LocalRedis | undefined;
let stopping = false;
let width = "cluster".length;
/** How many example processes this run starts (the ports asked for). */
let expected = 0;

/** Prints `text` as `[name] text`, line by line. */
function say(
  name: string,
  text: string,
  color: (typeof PALETTE)[number] | "red" | "gray" = "gray",
  stream: NodeJS.WritableStream = process.stdout,
): void {
  const label = `[${name}]`.padEnd(width + 2);
  for (const line of text.split("\n")) stream.write(`${colors ? styleText(color, label) : label} ${line}\n`);
}

/** Every line `stream` gives, prefixed; `onLine` sees it first. */
function relay(
  stream: Readable | null,
  name: string,
  color: (typeof PALETTE)[number],
  onLine: (line: string) => void = () => undefined,
): void {
  if (stream === null) return;
  createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
    say(name, line, color);
    onLine(line);
  });
}

function parsePorts(args: string[]): number[] {
  if (args.length === 0) return DEFAULT_PORTS;
  return args.map((arg) => {
    const port = Number(arg);
    if (!/^\d+$/.test(arg) || port > 65_535) {
      console.error(`start:cluster: "${arg}" is not a port number (0–65535; 0 picks a free one)`);
      console.error("usage: npm run start:cluster [-- PORT PORT …]   (default: 8000 8001)");
      process.exit(2);
    }
    return port;
  });
}

/** The port to use for `wanted`: it, when free; otherwise a free one, said so. */
async function resolvePort(wanted: number, taken: Set<number>): Promise<number> {
  if (wanted !== 0 && !taken.has(wanted) && (await portIsFree(wanted, host))) return wanted;
  let port = await freePort(host);
  while (taken.has(port)) port = await freePort(host);
  if (wanted !== 0) say("cluster", `port ${wanted} is taken: using ${port}`);
  return port;
}

function startMember(port: number, redisUrl: string, color: (typeof PALETTE)[number]): Member {
  const name = String(port);
  const child = spawnExample({ ...process.env, HOST: host, PORT: name, REDIS_URL: redisUrl }, { detached: true });
  const member: Member = { name, child, exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))), ready: false };
  relay(child.stdout, name, color, (line) => {
    member.url ??= listeningUrl(line);
    if (!member.ready && line.includes(BANNER_END)) {
      member.ready = true;
      if (members.length === expected && members.every((each) => each.ready)) allReady();
    }
  });
  relay(child.stderr, name, color);
  child.once("error", (error) => say("cluster", `${name} could not be started: ${error.message}`, "red", process.stderr));
  child.once("exit", (code, signal) => {
    if (stopping) return;
    say("cluster", `${name} exited (${signal ?? `code ${code}`}): stopping the others`, "red", process.stderr);
    void stop(1);
  });
  say("cluster", `started ${name} (pid ${child.pid})`);
  return member;
}

function allReady(): void {
  const urls = members.map((member) => `${member.url ?? member.name}/`);
  say("cluster", `${members.length} processes share ${redis?.url ?? "REDIS_URL"}: open ${urls.join(" and ")} side by side;`);
  say("cluster", "an order placed in one shows in the other. Ctrl-C stops them all.");
}

/** Stops the example processes (SIGTERM, then SIGKILL after STOP_TIMEOUT_MS), then Redis; exits with `code` (1 if a stop failed). */
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const codes = await Promise.all(
    members.map(async (member) => {
      if (member.child.exitCode !== null || member.child.signalCode !== null) return member.exited;
      member.child.kill("SIGTERM");
      const timer = setTimeout(() => {
        say("cluster", `${member.name} did not stop within ${STOP_TIMEOUT_MS / 1000} s: killing it`, "red", process.stderr);
        member.child.kill("SIGKILL");
      }, STOP_TIMEOUT_MS);
      const exited = await member.exited;
      clearTimeout(timer);
      return exited;
    }),
  );
  if (redis !== undefined) {
    await redis.stop();
    say("cluster", "redis-server stopped");
  }
  const failed = code !== 0 || codes.some((each) => each !== 0);
  say("cluster", failed ? "stopped, not cleanly" : "stopped", failed ? "red" : "gray");
  process.exit(failed ? 1 : 0);
}

/** Under `npm run` one Ctrl-C can arrive more than once (from the terminal and relayed by npm and tsx): those count once. */
const SAME_SIGNAL_MS = 1_000;
let firstSignalAt: number | undefined;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (firstSignalAt !== undefined) {
      if (Date.now() - firstSignalAt < SAME_SIGNAL_MS) return;
      // Another Ctrl-C later on: the user will not wait for a clean stop (the exit handler kills the rest).
      say("cluster", `${signal} again: killing every process`, "red", process.stderr);
      process.exit(130);
    }
    firstSignalAt = Date.now();
    say("cluster", `${signal}: stopping every process`);
    void stop(0);
  });
}
// However this process ends, no child outlives it (they are in their own process groups).
process.on("exit", () => {
  for (const member of members) if (member.child.exitCode === null && member.child.signalCode === null) member.child.kill("SIGKILL");
  const pid = redis?.pid;
  if (pid !== undefined) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});
// A reader that went away (`| head`): nothing more to print, keep running.
process.stdout.on("error", () => undefined);

async function main(): Promise<void> {
  const wanted = parsePorts(process.argv.slice(2));
  expected = wanted.length;
  width = Math.max(width, "redis".length, ...wanted.map((port) => String(port === 0 ? 65_535 : port).length));
  let redisUrl = process.env.REDIS_URL;
  if (redisUrl === undefined || redisUrl === "") {
    redis = await startLocalRedis({
      detached: true,
      onOutput: (text) => say("redis", text.trimEnd(), "yellow"),
      onExit: (code, signal) => {
        if (stopping) return;
        say("cluster", `redis-server exited (${signal ?? `code ${code}`}): stopping the others`, "red", process.stderr);
        void stop(1);
      },
    });
    redisUrl = redis.url;
    say("cluster", `redis-server on ${redis.url} (pid ${redis.pid}), persistence off`);
  } else say("cluster", `using REDIS_URL (no redis-server started)`);
  const taken = new Set<number>();
  for (const [index, want] of wanted.entries()) {
    const port = await resolvePort(want, taken);
    taken.add(port);
    if (stopping) return;
    members.push(startMember(port, redisUrl, PALETTE[index % PALETTE.length]!));
  }
}

main().catch((error: unknown) => {
  say("cluster", `cannot start: ${(error as Error).message}`, "red", process.stderr);
  void stop(1);
});
