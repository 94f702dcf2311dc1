/**
 * WsClient: one connection to one module endpoint, speaking the wire
 * protocol (docs/protocol.md) with the names and envelopes of src/protocol/. Browser-safe: no Node imports; it uses the global WebSocket
 * unless given one (pass `ws`'s WebSocket on Node 20).
 *
 * Subscriptions live in a registry keyed by topic, computed with the shared
 * topic builder from the parsed request. Many local handlers of one topic
 * share one server subscription (the shared TopicIndex refcount). Handlers
 * are registered before the subscribe frame is sent, so updates that arrive
 * before the subscribe response are delivered. After a disconnect the client
 * reconnects with capped, jittered exponential backoff and resubscribes
 * every live topic; the same handlers keep receiving.
 */
import {
  CloseCode,
  encodeEnvelope,
  isResponseType,
  isUpdateType,
  MessageType,
  operationType,
  parseEnvelope,
  type RouteOperation,
} from "../protocol/messages.js";
import { buildTopic } from "../protocol/topic.js";
import { TopicIndex } from "../runtime/topic-index.js";
import { backoffDelay, type BackoffOptions } from "./backoff.js";
import { deferred, type Deferred } from "./deferred.js";
import { WsClientClosedError, WsRequestError, type Issue } from "./errors.js";

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

/**
 * An event handler property. Declared through a method so that its parameter
 * is compared bivariantly: the browser's and `ws`'s sockets declare handlers
 * taking their own, richer event types, and both must be accepted as they are.
 */
type EventHandler<Event> = { handle(event: Event): void }["handle"];

/** The part of the WHATWG WebSocket the client uses; the browser's and `ws`'s WebSocket both have it. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: EventHandler<unknown> | null;
  onclose: EventHandler<{ code: number; reason: string }> | null;
  onmessage: EventHandler<{ data: unknown }> | null;
  onerror: EventHandler<unknown> | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** A zod-like schema: what the client needs of one (safeParse). */
export interface SchemaLike<Output> {
  safeParse(value: unknown): { success: true; data: Output } | { success: false; error: { issues: Issue[] } };
}

export interface WsClientOptions {
  /** WebSocket implementation. @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /** Reconnection delays (backoff.ts). @default BACKOFF_DEFAULTS */
  backoff?: BackoffOptions;
  /** Milliseconds to wait for a reply before a subscribe rejects. @default 10000 */
  requestTimeout?: number;
  /** Validate incoming updates with the data schema. @default true, except when NODE_ENV is "production" */
  validate?: boolean;
  onStateChange?: (state: ConnectionState) => void;
  /** Server `error` frames, updates that fail validation, handler exceptions, lost resubscriptions. */
  onError?: (error: Error) => void;
}

export interface SubscribeOptions<Req, Data> {
  /** Applied to the request before the topic is built (defaults, stripping), as the server does. */
  requestSchema?: SchemaLike<Req>;
  dataSchema?: SchemaLike<Data>;
  /**
   * Called once when this handler will receive nothing more without having
   * unsubscribed: with no argument when the client was closed, with the error
   * when the server refused the resubscription after a reconnect.
   */
  onEnd?: (error?: Error) => void;
}

export interface Subscription {
  readonly topic: string;
  /** Stops this handler; the server subscription ends with the topic's last local handler. */
  unsubscribe(): Promise<void>;
}

type Listener = {
  handler: (data: unknown, topic: string) => void;
  dataSchema: SchemaLike<unknown> | undefined;
  onEnd: ((error?: Error) => void) | undefined;
};

/** The one server subscription that a topic's local handlers share. */
type ServerSubscription = {
  route: string;
  request: unknown;
  /** Connection generation the subscribe frame was last sent on. */
  sentOn: number;
  confirmed: Deferred;
};

type PendingReply = { resolve: (payload: ReplyPayload | undefined) => void; timer: ReturnType<typeof setTimeout> };
type ReplyPayload = { status?: string; message?: string; topic?: string; errors?: Issue[] };

const OPEN = 1;

/** The defaults of `WsClientOptions` that are plain values. */
export const CLIENT_DEFAULTS = { requestTimeout: 10_000 } as const;

export class WsClient {
  readonly url: string;
  #state: ConnectionState = "connecting";
  #socket: WebSocketLike | undefined;
  #generation = 0;
  #attempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #nextId = 0;
  readonly #options: WsClientOptions;
  readonly #WebSocket: WebSocketConstructor;
  readonly #validate: boolean;
  readonly #listeners = new TopicIndex<Listener>();
  readonly #live = new Map<string, ServerSubscription>();
  readonly #pending = new Map<string, PendingReply>();
  readonly #stateWaiters = new Set<(state: ConnectionState) => void>();

  constructor(url: string, options: WsClientOptions = {}) {
    this.url = url;
    this.#options = options;
    const Implementation = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (Implementation === undefined)
      throw new TypeError("No WebSocket implementation: pass options.WebSocket (e.g. `ws`'s WebSocket on Node 20).");
    this.#WebSocket = Implementation;
    // Decided once: browsers have no `process`, and bundlers replace process.env.NODE_ENV in production builds.
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    this.#validate = options.validate ?? env?.NODE_ENV !== "production";
    this.#connect();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Resolves when the state is `state` (now or later); rejects if the client is closed first. */
  until(state: ConnectionState): Promise<void> {
    if (this.#state === state) return Promise.resolve();
    if (this.#state === "closed") return Promise.reject(new WsClientClosedError());
    return new Promise((resolve, reject) => {
      const check = (current: ConnectionState): void => {
        if (current !== state && current !== "closed") return;
        this.#stateWaiters.delete(check);
        if (current === state) resolve();
        else reject(new WsClientClosedError());
      };
      this.#stateWaiters.add(check);
    });
  }

  /**
   * Subscribes `handler` to the topic `request` names on `route`. Resolves
   * once the server confirmed the subscription; rejects with WsRequestError
   * (carrying the zod issues) when it refused it.
   */
  async subscribe<Req, Data>(
    route: string,
    request: unknown,
    handler: (data: Data, topic: string) => void,
    options: SubscribeOptions<Req, Data> = {},
  ): Promise<Subscription> {
    if (this.#state === "closed") throw new WsClientClosedError();
    let parsed: unknown = request;
    if (options.requestSchema !== undefined) {
      const result = options.requestSchema.safeParse(request);
      if (!result.success) throw new WsRequestError(operationType(route, "subscribe"), "invalid request", "", result.error.issues);
      parsed = result.data;
    }
    const topic = buildTopic(route, parsed);
    const listener: Listener = { handler: handler as Listener["handler"], dataSchema: options.dataSchema, onEnd: options.onEnd };
    this.#listeners.add(topic, listener);
    let live = this.#live.get(topic);
    if (live === undefined) {
      live = { route, request, sentOn: -1, confirmed: deferred() };
      this.#live.set(topic, live);
      if (this.#state === "open") this.#sendSubscribe(topic, live);
    }
    const subscription: Subscription = { topic, unsubscribe: () => this.#unsubscribe(topic, listener) };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new WsRequestError(operationType(route, "subscribe"), `no answer within ${this.#requestTimeout} ms`, topic)),
        this.#requestTimeout,
      );
    });
    try {
      await Promise.race([live.confirmed.promise, timeout]);
      return subscription;
    } catch (error) {
      this.#listeners.delete(topic, listener);
      if (this.#listeners.holders(topic).size === 0 && this.#live.get(topic) === live) {
        this.#live.delete(topic);
        // Timed out after the frame went out: a late "ok" must not leave the server sending to nobody.
        if (live.sentOn === this.#generation && this.#state === "open") void this.#request(route, "unsubscribe", request);
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection for good: no reconnect; pending subscribes reject. */
  close(): void {
    if (this.#state === "closed") return;
    clearTimeout(this.#reconnectTimer);
    this.#setState("closed");
    for (const live of this.#live.values()) live.confirmed.reject(new WsClientClosedError());
    this.#live.clear();
    this.#abandonPending();
    for (const topic of [...this.#listeners.topics()]) this.#endListeners(topic, undefined);
    this.#socket?.close(CloseCode.normal, "client closed");
  }

  get #requestTimeout(): number {
    return this.#options.requestTimeout ?? CLIENT_DEFAULTS.requestTimeout;
  }

  #connect(): void {
    this.#generation += 1;
    const generation = this.#generation;
    const socket = new this.#WebSocket(this.url);
    this.#socket = socket;
    socket.onopen = () => {
      if (generation !== this.#generation || this.#state === "closed") return;
      this.#attempt = 0;
      this.#setState("open");
      for (const [topic, live] of this.#live) this.#sendSubscribe(topic, live);
    };
    socket.onmessage = (event) => {
      if (generation === this.#generation) this.#receive(event.data);
    };
    socket.onerror = () => undefined; // a close event follows; that is where we act
    socket.onclose = () => {
      if (generation !== this.#generation || this.#state === "closed") return;
      this.#abandonPending();
      this.#setState("reconnecting");
      const delay = backoffDelay(this.#attempt, this.#options.backoff);
      this.#attempt += 1;
      this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
    };
  }

  #sendSubscribe(topic: string, live: ServerSubscription): void {
    if (live.sentOn === this.#generation) return;
    live.sentOn = this.#generation;
    void this.#request(live.route, "subscribe", live.request).then((reply) => {
      if (reply === undefined || this.#live.get(topic) !== live) return; // connection lost (resent on reconnect) or gone
      if (reply.status === "ok") {
        live.confirmed.resolve();
        return;
      }
      const error = new WsRequestError(
        operationType(live.route, "subscribe"),
        reply.message ?? "refused",
        reply.topic ?? topic,
        reply.errors ?? [],
      );
      this.#live.delete(topic);
      // A first subscribe rejects its caller; a refused resubscription ends its handlers, with the error.
      if (live.confirmed.settled) {
        this.#report(error);
        this.#endListeners(topic, error);
      } else {
        this.#listeners.deleteTopic(topic);
      }
      live.confirmed.reject(error);
    });
  }

  async #unsubscribe(topic: string, listener: Listener): Promise<void> {
    if (!this.#listeners.delete(topic, listener)) return;
    const live = this.#live.get(topic);
    this.#live.delete(topic);
    if (live === undefined || this.#state !== "open" || live.sentOn !== this.#generation) return;
    const reply = await this.#request(live.route, "unsubscribe", live.request);
    if (reply !== undefined && reply.status !== "ok")
      this.#report(new WsRequestError(operationType(live.route, "unsubscribe"), reply.message ?? "refused", topic, reply.errors ?? []));
  }

  /** Sends a request with a fresh id; resolves with the reply payload, or undefined if the connection is lost first. */
  #request(route: string, operation: RouteOperation, payload: unknown): Promise<ReplyPayload | undefined> {
    const socket = this.#socket;
    if (socket === undefined || socket.readyState !== OPEN) return Promise.resolve(undefined);
    const id = `c${++this.#nextId}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(undefined);
      }, this.#requestTimeout);
      this.#pending.set(id, { resolve, timer });
      socket.send(encodeEnvelope(operationType(route, operation), payload, id));
    });
  }

  #receive(data: unknown): void {
    const parsed = parseEnvelope(typeof data === "string" ? data : String(data));
    if (!parsed.ok) {
      // The parser's message advises a sender; the client only says what it received.
      this.#report(new Error('the server sent a frame that is not an envelope {"type": string, "payload"?, "id"?: string}'));
      return;
    }
    const frame = parsed.envelope;
    if (frame.id !== undefined && isResponseType(frame.type)) {
      const pending = this.#pending.get(frame.id);
      if (pending === undefined) return;
      this.#pending.delete(frame.id);
      clearTimeout(pending.timer);
      pending.resolve(frame.payload ?? {});
      return;
    }
    if (frame.type === MessageType.error) {
      const payload = (frame.payload ?? {}) as { code?: string; message?: string };
      this.#report(new Error(`server error ${payload.code ?? ""}: ${payload.message ?? ""}`));
      return;
    }
    if (isUpdateType(frame.type)) this.#deliver(frame.payload as { topic?: unknown; payload?: unknown } | undefined);
  }

  #deliver(update: { topic?: unknown; payload?: unknown } | undefined): void {
    if (update === undefined || typeof update.topic !== "string") return;
    const { topic } = update;
    for (const listener of this.#listeners.holders(topic)) {
      let data = update.payload;
      if (listener.dataSchema !== undefined && this.#validate) {
        const result = listener.dataSchema.safeParse(data);
        if (!result.success) {
          this.#report(new WsRequestError("update", `update for ${topic} does not match the data schema`, topic, result.error.issues));
          continue;
        }
        data = result.data;
      }
      try {
        listener.handler(data, topic);
      } catch (error) {
        this.#report(asError(error));
      }
    }
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#options.onStateChange?.(state);
    for (const waiter of [...this.#stateWaiters]) waiter(state);
  }

  /** The connection is gone: requests in flight resolve with no reply (subscriptions are resent on reconnect). */
  #abandonPending(): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.resolve(undefined);
    }
    this.#pending.clear();
  }

  /** Drops every handler of `topic`, telling each it has ended. */
  #endListeners(topic: string, error: Error | undefined): void {
    for (const listener of this.#listeners.deleteTopic(topic)) {
      try {
        listener.onEnd?.(error);
      } catch (failure) {
        this.#report(asError(failure));
      }
    }
  }

  #report(error: Error): void {
    this.#options.onError?.(error);
  }
}

/** A thrown value as an Error, for onError. */
function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
