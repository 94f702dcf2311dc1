/**
 * Redis's own counters over a measurement window: `INFO commandstats`
 * (calls per command) and `INFO stats` (bytes sent), read at the window's
 * start and end. Redis also counts, under their own names, the commands a
 * script runs (a publish script's HINCRBY, XADD, SPUBLISH…), so calls
 * alone do not say how many requests the processes sent. A MONITOR sample
 * taken during the warm-up second (before the window, so it costs the
 * window nothing) tells them apart: MONITOR shows a script's commands as
 * coming from `lua`. The INFO calls themselves are left out.
 */
import type { Phase } from "../fanout/load-run.js";
import type { AdminClient, RedisServer } from "../support/redis-server.js";

export interface RedisCounters {
  /** Calls per command (lower case, `cmdstat_` dropped; a subcommand as `client|setname`). */
  calls: Record<string, number>;
  /** total_net_output_bytes: what Redis wrote to its clients, pub/sub messages included. */
  outputBytes: number;
}

export async function readCounters(admin: AdminClient): Promise<RedisCounters> {
  const reply = await admin.sendCommand(["INFO", "commandstats", "stats"]);
  // INFO answers one bulk string (a Buffer when the client asks for buffers).
  const text = typeof reply === "string" ? reply : Buffer.isBuffer(reply) ? reply.toString() : "";
  const calls: Record<string, number> = {};
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2]);
  const outputBytes = Number(/^total_net_output_bytes:(\d+)/m.exec(text)?.[1] ?? Number.NaN);
  return { calls, outputBytes };
}

/** Calls per command between two readings, divided by `per` (the updates published), without the INFO calls. */
export function callsPer(start: RedisCounters, end: RedisCounters, per: number): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [command, calls] of Object.entries(end.calls)) {
    const made = calls - (start.calls[command] ?? 0);
    if (made > 0 && command !== "info") delta[command] = made / per;
  }
  return delta;
}

/** Per command, the share of its calls a script made (0 to 1), from a MONITOR sample. */
export type ScriptShares = Record<string, number>;

/**
 * Starts a MONITOR sample on `monitor` (a client of its own: MONITOR takes
 * the connection); `stop()` ends it and says what share of each command's
 * calls came from scripts.
 */
export async function sampleCallers(monitor: AdminClient): Promise<{ stop: () => ScriptShares }> {
  const seen: Record<string, { scripts: number; all: number }> = {};
  // A MONITOR line: `1700000000.123456 [0 127.0.0.1:53210] "evalsha" …`, or `[0 lua] "hincrby" …` from a script.
  await monitor.monitor((line) => {
    const match = /\[\d+ ([^\]]+)\] "([^"]+)"/.exec(String(line));
    if (match === null) return;
    const command = match[2]!.toLowerCase();
    const counts = (seen[command] ??= { scripts: 0, all: 0 });
    counts.all += 1;
    if (match[1] === "lua") counts.scripts += 1;
  });
  return {
    stop: () => {
      monitor.destroy();
      return Object.fromEntries(Object.entries(seen).map(([command, { scripts, all }]) => [command, scripts / all]));
    },
  };
}

/**
 * `commands` (calls per update) split by who made them. A command the
 * sample never saw counts as the processes' own (so their requests are
 * never undercounted).
 */
export function splitByCaller(
  commands: Record<string, number>,
  shares: ScriptShares,
): { processes: Record<string, number>; scripts: Record<string, number> } {
  const processes: Record<string, number> = {};
  const scripts: Record<string, number> = {};
  for (const [command, calls] of Object.entries(commands)) {
    const share = shares[command] ?? 0;
    if (share < 1) processes[command] = calls * (1 - share);
    if (share > 0) scripts[command] = calls * share;
  }
  return { processes, scripts };
}

/** Redis calls per published update, by command and by who made them (processes or their scripts), and bytes sent per update. */
export interface RedisPerUpdate {
  processes: Record<string, number>;
  scripts: Record<string, number>;
  bytes: number;
}

/**
 * Follows the load client's phases (load-run.ts) on one Redis: the MONITOR
 * sample over the warm-up, the counters at the window's start and end.
 */
export class RedisWatch {
  readonly #redis: RedisServer;
  readonly #admin: AdminClient;
  #sample: Promise<{ stop: () => ScriptShares }> | undefined;
  #shares: ScriptShares = {};
  readonly #counters: Partial<Record<"start" | "end", Promise<RedisCounters>>> = {};

  private constructor(redis: RedisServer, admin: AdminClient) {
    this.#redis = redis;
    this.#admin = admin;
  }

  static async on(redis: RedisServer): Promise<RedisWatch> {
    return new RedisWatch(redis, await redis.admin());
  }

  onPhase(phase: Phase): void {
    if (phase === "subscribed") this.#sample = this.#redis.admin().then(sampleCallers);
    else {
      if (phase === "start") void this.#sample?.then((sample) => (this.#shares = sample.stop()));
      this.#counters[phase] = readCounters(this.#admin);
    }
  }

  /** Over the window, per update of the `published` (by the producer); undefined when the window was not seen or nothing was published. */
  async perUpdate(published: number): Promise<RedisPerUpdate | undefined> {
    const { start, end } = this.#counters;
    if (start === undefined || end === undefined || !(published > 0)) return undefined;
    const [before, after] = await Promise.all([start, end]);
    await this.#sample;
    return {
      ...splitByCaller(callsPer(before, after, published), this.#shares),
      bytes: (after.outputBytes - before.outputBytes) / published,
    };
  }
}
