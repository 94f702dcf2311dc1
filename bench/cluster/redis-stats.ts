/**
 * Redis's own counters over a measurement window: `INFO commandstats`
 * (calls per command) and `INFO stats` (bytes sent), read at the window's
 * start and end. Commands run inside a script (EVALSHA, FCALL) are counted
 * by Redis under their own names too, so a publish script that does INCR,
 * XADD and PUBLISH shows as four commands per update: the breakdown says
 * which. The INFO calls themselves are left out.
 */
import type { AdminClient } from "../support/redis-server.js";

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
