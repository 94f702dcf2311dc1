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

  /** Runs a script: EVALSHA, and EVAL when Redis does not have it (it restarted, or SCRIPT FLUSH). */
  async run(script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await this.commands.sendCommand(["EVALSHA", script.sha1, ...tail]);
    } catch (error) {
      if (!describeError(error).startsWith("NOSCRIPT")) throw error;
      return await this.commands.sendCommand(["EVAL", script.source, ...tail]);
    }
  }

  /**
   * One listener per shard channel (a second subscribe would add a second
   * listener). Fails at once while the pub/sub connection is down: node-redis
   * would hold the request until it is back, or forever once it is closed.
   */
  async subscribe(channel: string, listener: ChannelListener): Promise<void> {
    if (!this.pubsub.isReady) throw new WsgenError("ERR_BROKER_UNAVAILABLE", "the Redis pub/sub connection is down");
    await this.#bounded(this.pubsub.sSubscribe(channel, listener, true), `SSUBSCRIBE ${channel}`);
  }

  /** Settles within the connect timeout, whatever the connection does (a closed one would never answer). */
  async unsubscribe(channel: string): Promise<void> {
    if (!this.pubsub.isOpen) return;
    await this.#bounded(this.pubsub.sUnsubscribe(channel), `SUNSUBSCRIBE ${channel}`);
  }

  async #bounded(request: Promise<void>, what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new WsgenError("ERR_BROKER_UNAVAILABLE", `${what}: no answer from Redis in ${this.#options.connectTimeoutMs} ms`)),
        this.#options.connectTimeoutMs,
      );
    });
    try {
      await Promise.race([request, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  onPubsub(listener: (event: "lost" | "restored") => void): void {
    this.#pubsubListeners.add(listener);
  }

  get ready(): boolean {
    return this.#states.commands === "ready" && this.#states.pubsub === "ready";
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
