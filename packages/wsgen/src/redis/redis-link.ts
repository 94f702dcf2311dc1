/**
 * RedisLink: a process's two connections to Redis — commands (scripts) and
 * pub/sub (a duplicate, so `CLIENT KILL TYPE pubsub` and resubscribe storms
 * touch only it) — and what their faults mean.
 *
 * - Unreachable at start: `connect` gives up after `connectTimeoutMs` with
 *   ERR_BROKER_UNAVAILABLE naming the URL and the cause (node-redis alone
 *   retries forever).
 * - During the run both reconnect forever, with backoff. Commands fail at
 *   once while a connection is down (no offline queue: a publish answers
 *   its caller instead of hanging). node-redis resubscribes the channels
 *   itself before 'ready'; what was published meanwhile is lost to pub/sub,
 *   so `onPubsub("lost" | "restored")` lets the feeds buffer and resync.
 * - Each outage is logged twice, when it starts and when it ends, never
 *   per failed attempt; attempts are counted.
 */
import { createClient } from "redis";
import { describeError, WsgenError } from "../runtime/errors.js";
import type { Script } from "./scripts.js";

export interface RedisLinkOptions {
  readonly url: string;
  readonly connectTimeoutMs: number;
  readonly name: string;
  readonly log: (level: "warn" | "info", message: string) => void;
}

export type ConnectionState = "connecting" | "ready" | "down" | "closed";

function newClient(url: string, name: string, isStarted: () => boolean, startupDeadline: number) {
  return createClient({
    url,
    name,
    RESP: 3,
    disableOfflineQueue: true,
    // Redis Enterprise's maintenance push notifications: nothing here uses them, and "auto" sends a command per connection.
    maintNotifications: "disabled",
    socket: {
      connectTimeout: Math.max(1, startupDeadline - Date.now()),
      reconnectStrategy: (retries: number, cause: Error) => {
        if (!isStarted() && Date.now() >= startupDeadline) return new Error(describeError(cause));
        return Math.min(50 * 2 ** Math.min(retries, 6), 2_000);
      },
    },
  });
}

type Client = ReturnType<typeof newClient>;

/** Per pub/sub message: the raw bytes, since updates travel as bytes. */
export type ChannelListener = (message: Buffer) => void;

export class RedisLink {
  readonly commands: Client;
  readonly pubsub: Client;
  readonly #options: RedisLinkOptions;
  readonly #states: Record<"commands" | "pubsub", ConnectionState> = { commands: "connecting", pubsub: "connecting" };
  readonly #downSince: Record<"commands" | "pubsub", number> = { commands: 0, pubsub: 0 };
  readonly #pubsubListeners = new Set<(event: "lost" | "restored") => void>();
  /** Per shard channel, an SUNSUBSCRIBE in flight. */
  readonly #unsubscribing = new Map<string, Promise<unknown>>();
  #started = false;
  #reconnects = 0;
  #errors = 0;

  constructor(options: RedisLinkOptions) {
    this.#options = options;
    const deadline = Date.now() + options.connectTimeoutMs;
    const started = (): boolean => this.#started;
    this.commands = newClient(options.url, `${options.name}:commands`, started, deadline);
    this.pubsub = newClient(options.url, `${options.name}:pubsub`, started, deadline);
    this.#watch("commands", this.commands);
    this.#watch("pubsub", this.pubsub);
  }

  /** Connects both; rejects ERR_BROKER_UNAVAILABLE when Redis cannot be reached in time. */
  async connect(): Promise<void> {
    try {
      await Promise.all([this.commands.connect(), this.pubsub.connect()]);
    } catch (error) {
      this.close();
      const cause = error instanceof Error && error.cause !== undefined ? describeError(error.cause) : describeError(error);
      throw new WsgenError(
        "ERR_BROKER_UNAVAILABLE",
        `Redis at ${redactedUrl(this.#options.url)} is unreachable after ${this.#options.connectTimeoutMs} ms: ${cause}. Start Redis (or Valkey) 7+ there, or fix the URL.`,
        { cause: error },
      );
    }
    this.#started = true;
  }

  /**
   * Runs a script: EVALSHA, and EVAL when Redis does not have it (it
   * restarted, or SCRIPT FLUSH). Bounded by the connect timeout: node-redis
   * waits forever on a Redis that stopped answering (a network black hole,
   * a paused server), and the caller's outcome is then unknown.
   */
  async run(script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args.map(String)];
    return this.#bounded(
      (async () => {
        try {
          return await this.commands.sendCommand(["EVALSHA", script.sha1, ...tail]);
        } catch (error) {
          if (!describeError(error).startsWith("NOSCRIPT")) throw error;
          return await this.commands.sendCommand(["EVAL", script.source, ...tail]);
        }
      })(),
      `the ${script.name} script`,
    );
  }

  /**
   * One listener per subscriber of a shard channel. Fails at once while the
   * pub/sub connection is down: node-redis would hold the request until it
   * is back, or forever once it is closed. Waits for an unsubscribe of the
   * same channel still in flight: node-redis drops the channel's listeners
   * when that reply comes, a listener added meanwhile included.
   */
  async subscribe(channel: string, listener: ChannelListener): Promise<void> {
    const leaving = this.#unsubscribing.get(channel);
    if (leaving !== undefined) await this.#bounded(leaving, `SUNSUBSCRIBE ${channel}`);
    if (!this.pubsub.isReady) throw new WsgenError("ERR_BROKER_UNAVAILABLE", "the Redis pub/sub connection is down");
    await this.#bounded(this.pubsub.sSubscribe(channel, listener, true), `SSUBSCRIBE ${channel}`);
  }

  /** Removes one listener (the channel is left when it was the last); settles within the connect timeout. */
  async unsubscribe(channel: string, listener: ChannelListener): Promise<void> {
    if (!this.pubsub.isOpen) return;
    const request = this.pubsub.sUnsubscribe(channel, listener, true).catch(() => undefined);
    this.#unsubscribing.set(channel, request);
    void request.finally(() => {
      if (this.#unsubscribing.get(channel) === request) this.#unsubscribing.delete(channel);
    });
    await this.#bounded(request, `SUNSUBSCRIBE ${channel}`);
  }

  async #bounded<T>(request: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new WsgenError("ERR_BROKER_UNAVAILABLE", `${what}: no answer from Redis in ${this.#options.connectTimeoutMs} ms`)),
        this.#options.connectTimeoutMs,
      );
    });
    try {
      return await Promise.race([request, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  onPubsub(listener: (event: "lost" | "restored") => void): void {
    this.#pubsubListeners.add(listener);
  }

  get pubsubReady(): boolean {
    return this.pubsub.isReady;
  }

  stats(): { commands: ConnectionState; pubsub: ConnectionState; reconnects: number; connectionErrors: number } {
    return { ...this.#states, reconnects: this.#reconnects, connectionErrors: this.#errors };
  }

  close(): void {
    for (const [name, client] of [
      ["commands", this.commands],
      ["pubsub", this.pubsub],
    ] as const) {
      this.#states[name] = "closed";
      if (client.isOpen) client.destroy();
    }
  }

  #watch(name: "commands" | "pubsub", client: Client): void {
    // Without an 'error' listener a failed attempt would take the process down.
    client.on("error", (error: unknown) => {
      this.#errors += 1;
      this.#down(name, describeError(error));
    });
    client.on("end", () => this.#down(name, "connection closed"));
    client.on("ready", () => {
      const state = this.#states[name];
      this.#states[name] = "ready";
      if (state !== "down") return;
      this.#reconnects += 1;
      const seconds = ((Date.now() - this.#downSince[name]) / 1000).toFixed(1);
      this.#options.log("info", `wsgen: Redis ${name} connection restored after ${seconds} s`);
      if (name === "pubsub") for (const listener of this.#pubsubListeners) listener("restored");
    });
  }

  #down(name: "commands" | "pubsub", cause: string): void {
    if (this.#states[name] !== "ready") return;
    this.#states[name] = "down";
    this.#downSince[name] = Date.now();
    this.#options.log("warn", `wsgen: Redis ${name} connection to ${redactedUrl(this.#options.url)} lost (${cause}); reconnecting`);
    if (name === "pubsub") for (const listener of this.#pubsubListeners) listener("lost");
  }
}

/** The URL without its password, for logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return url;
  }
}

/** A Redis failure as the caller sees it (ERR_BROKER_UNAVAILABLE); a WsgenError (a service's failure) passes as it is. */
export function unavailable(error: unknown, doing: string): Error {
  if (error instanceof WsgenError) return error;
  if (error instanceof Error && !/offline|closed|ECONN|socket|timeout/i.test(error.message)) return error;
  return new WsgenError("ERR_BROKER_UNAVAILABLE", `${doing} failed: Redis is unreachable (${describeError(error)})`, { cause: error });
}
