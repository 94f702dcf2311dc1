/**
 * The wsgen bench server's broker, `--redis URL` (bench/cluster): a
 * redisBroker on that Redis, with `--lease-ms N` and `--tick-ms N` passed
 * only when given (so a run without them measures the broker's defaults).
 * Without `--redis`: undefined, the in-memory default, and `wsgen/redis`
 * (with the `redis` client) is not even loaded. A Redis it cannot reach
 * ends the process with one line saying why (exit code 1).
 */
import type { Broker } from "wsgen";
import { flag, integerFlag } from "../support/args.js";

export async function clusterBroker(argv: readonly string[]): Promise<Broker | undefined> {
  const url = flag(argv, "--redis");
  if (url === undefined) return undefined;
  const timing = {
    ...(flag(argv, "--lease-ms") === undefined ? {} : { leaseMs: integerFlag(argv, "--lease-ms", 1) }),
    ...(flag(argv, "--tick-ms") === undefined ? {} : { tickMs: integerFlag(argv, "--tick-ms", 1) }),
  };
  const { redisBroker } = await import("wsgen/redis");
  try {
    return await redisBroker({ url, ...timing });
  } catch (error) {
    // ERR_BROKER_UNAVAILABLE (its message names the URL and the cause): one line, not a stack trace.
    const { code, message } = error as { code?: string; message?: string };
    console.error(`wsgen fan-out server: ${code ?? "error"}: ${message ?? String(error)}`);
    process.exit(1);
  }
}
