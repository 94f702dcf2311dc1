/**
 * WsRoute: one pub/sub route of a module (`orders`, `bars`, …) binding a
 * request schema and a data schema to a service. Generated router classes
 * extend it and only supply the two schemas and their names.
 *
 * A route owns the lifecycle of its topics: the reference count lives in a
 * TopicIndex of connections; the first holder of a topic makes the service
 * `createTopic`, the last one leaving makes it `removeTopic`, exactly once.
 * Updates from the service go through a bounded UpdateQueue, are validated
 * and encoded once as WebSocket frames, and are written to that topic's
 * holders only; updates that drained together reach a holder in one write.
 */
import type { z } from "zod";
import { describeError, WsgenError } from "./errors.js";
import { fanOut, type EncodedUpdate } from "./fan-out.js";
import { encodeTextFrame, type EncodedFrames } from "./frame.js";
import type { SubscriptionResponse } from "./protocol.js";
import { buildTopic } from "./topic.js";
import { TopicIndex } from "./topic-index.js";
import { UpdateQueue } from "./update-queue.js";

/** What a route needs from a connection: an identity and a way to write encoded frames. */
export interface Subscriber {
  readonly id: string;
  /** Writes runs of frames encoded once for every holder, in order; returns how many frames were written. */
  writeFrames(runs: readonly EncodedFrames[]): number;
}

/** What the service learns about a topic when it is created. */
export interface TopicContext<Req> {
  route: string;
  topic: string;
  /** The request after zod parsing (defaults applied, unknown keys stripped). */
  request: Req;
}

/** Pushes one update for the topic it was created for. Never throws, never blocks. */
export type TopicUpdater<Data> = (data: Data) => void;

/**
 * The contract of a module's service. `createTopic` is called when a topic
 * gets its first subscriber, `removeTopic` when it loses its last one. Either
 * may be async; a `createTopic` that throws or rejects refuses the subscription.
 */
export interface WsRouteService<Req = unknown, Data = unknown> {
  createTopic(topic: string, topicUpdate: TopicUpdater<Data>, context: TopicContext<Req>): void | Promise<void>;
  removeTopic(topic: string): void | Promise<void>;
}

export interface WsRouteOptions<Req, Data> {
  /** The route name: the prefix of its operations (`orders.subscribe`) and topics (`orders:{…}`). */
  route: string;
  service: WsRouteService<Req, Data>;
  /** Shown in the AsyncAPI document. */
  description?: string;
  /** Capacity of the update queue; the oldest update is dropped when full. Default 1000. */
  queueCapacity?: number;
  /**
   * Minimum milliseconds between two fan-outs of this route. Updates that come
   * sooner wait and go out together, one write per subscriber instead of one
   * per update, trading up to this much latency for CPU on busy routes (a
   * route that is not busy is never delayed). Default 0: every fan-out on the
   * next turn of the event loop.
   */
  batchWindowMs?: number;
  /** Validate each update against the data schema before sending. Default true. */
  validateUpdates?: boolean;
}

/**
 * Options of a generated router class: its route name is fixed by `ws.ts`
 * (so clients and documents know it statically) and may be restated.
 */
export type WsRouterOptions<Req, Data, Route extends string> = Omit<WsRouteOptions<Req, Data>, "route"> & { route?: Route };

/** The part a generated class supplies: the two schemas and their model names. */
export interface WsRouteSchemas<Req, Data> {
  request: z.ZodType<Req>;
  data: z.ZodType<Data>;
  requestName: string;
  dataName: string;
}

/** What the module hosting a route provides to it. */
export interface RouteHost {
  readonly module: string;
  reportError(error: unknown, where: string): void;
}

export interface RouteStats {
  topics: number;
  subscriptions: number;
  queued: number;
  updatesDropped: number;
  updatesInvalid: number;
  updatesPublished: number;
  framesSent: number;
}

type Lifecycle = {
  /** Settles when createTopic has settled; rejects with its error. */
  ready: Promise<void>;
  state: "creating" | "live" | "removed";
};

type QueuedUpdate = { topic: string; lifecycle: Lifecycle; data: unknown };

const ROUTE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Route names prefix operation types and topics: a letter, then letters, digits, `_` or `-`. */
export function isRouteName(name: unknown): name is string {
  return typeof name === "string" && ROUTE_NAME.test(name);
}

export class WsRoute<Req, Data> {
  readonly route: string;
  readonly description: string | undefined;
  readonly requestSchema: z.ZodType<Req>;
  readonly dataSchema: z.ZodType<Data>;
  readonly requestName: string;
  readonly dataName: string;
  readonly service: WsRouteService<Req, Data>;

  readonly #index = new TopicIndex<Subscriber>();
  readonly #lifecycles = new Map<string, Lifecycle>();
  /** Pending removeTopic calls, so a re-created topic waits for its removal to finish. */
  readonly #removals = new Map<string, Promise<void>>();
  readonly #queue: UpdateQueue<QueuedUpdate>;
  readonly #validateUpdates: boolean;
  /** `{"type":"orders.update","payload":{"topic":` — the constant head of every update frame. */
  readonly #updateFramePrefix: string;
  #host: RouteHost | undefined;
  #shuttingDown = false;
  #updatesInvalid = 0;
  #updatesPublished = 0;
  #framesSent = 0;

  constructor(options: WsRouteOptions<Req, Data> & WsRouteSchemas<Req, Data>) {
    if (!isRouteName(options.route)) {
      throw new WsgenError(
        "ERR_INVALID_ROUTE_NAME",
        `Route name ${JSON.stringify(options.route)} is invalid: use a letter followed by letters, digits, "_" or "-" (for example "orders").`,
      );
    }
    this.route = options.route;
    this.description = options.description;
    this.service = options.service;
    this.requestSchema = options.request;
    this.dataSchema = options.data;
    this.requestName = options.requestName;
    this.dataName = options.dataName;
    this.#validateUpdates = options.validateUpdates ?? true;
    this.#updateFramePrefix = `{"type":${JSON.stringify(`${this.route}.update`)},"payload":{"topic":`;
    this.#queue = new UpdateQueue<QueuedUpdate>({
      capacity: options.queueCapacity,
      batchWindowMs: options.batchWindowMs,
      deliver: (updates) => this.#fanOut(updates),
      onDeliverError: (error) => this.#report(error, `${this.route}.update fan-out`),
    });
  }

  /** Called once by the module that mounts this route. */
  mount(host: RouteHost): void {
    if (this.#host !== undefined) {
      throw new WsgenError(
        "ERR_ROUTE_ALREADY_MOUNTED",
        `Route "${this.route}" is already mounted in module "${this.#host.module}"; create one router instance per module.`,
      );
    }
    this.#host = host;
  }

  /** The topic a (raw) request names, or the zod error. */
  parseRequest(payload: unknown): { ok: true; topic: string; request: Req } | { ok: false; error: z.ZodError } {
    const parsed = this.requestSchema.safeParse(payload);
    if (!parsed.success) return { ok: false, error: parsed.error };
    return { ok: true, topic: buildTopic(this.route, parsed.data), request: parsed.data };
  }

  /**
   * Subscribes `subscriber` to the topic `payload` names. `admit` may refuse a
   * new subscription with a message. Resolves with the response to send.
   */
  async subscribe(
    subscriber: Subscriber,
    payload: unknown,
    admit: () => string | undefined = () => undefined,
  ): Promise<SubscriptionResponse> {
    const parsed = this.parseRequest(payload);
    if (!parsed.ok) return invalidRequest(parsed.error);
    const { topic, request } = parsed;
    if (this.#shuttingDown) return { status: "error", message: "server is shutting down", topic };
    const held = this.#index.has(topic, subscriber);
    if (held && this.#lifecycles.get(topic)?.state === "live") {
      return { status: "ok", message: "already subscribed", topic };
    }
    // A new subscription must be admitted (the per-connection limit); renewing a held one need not be.
    const refusal = held ? undefined : admit();
    if (refusal !== undefined) return { status: "error", message: refusal, topic };
    this.#index.add(topic, subscriber);
    const lifecycle = this.#lifecycles.get(topic) ?? this.#create(topic, request);
    try {
      await lifecycle.ready;
    } catch (error) {
      return { status: "error", message: `subscription refused: ${describeError(error)}`, topic };
    }
    return { status: "ok", message: "subscribed", topic };
  }

  /** Unsubscribes `subscriber` from the topic `payload` names. Never rejects. */
  unsubscribe(subscriber: Subscriber, payload: unknown): SubscriptionResponse {
    const parsed = this.parseRequest(payload);
    if (!parsed.ok) return invalidRequest(parsed.error);
    const { topic } = parsed;
    if (!this.#index.has(topic, subscriber)) {
      return { status: "error", message: "not subscribed to this topic", topic };
    }
    if (this.#index.delete(topic, subscriber)) this.#release(topic);
    return { status: "ok", message: "unsubscribed", topic };
  }

  /** Releases every topic `subscriber` holds (on disconnect). */
  release(subscriber: Subscriber): void {
    for (const topic of this.#index.deleteHolder(subscriber)) this.#release(topic);
  }

  /** Number of topics `subscriber` holds on this route. */
  subscriptionsOf(subscriber: Subscriber): number {
    return this.#index.topicsOf(subscriber).size;
  }

  /**
   * Removes every topic (calling `removeTopic` for each live one) and stops the
   * queue. Resolves when every pending removeTopic has settled.
   */
  async shutdown(timeoutMs = 5_000): Promise<void> {
    this.#shuttingDown = true;
    // Let pending creations settle first (for at most timeoutMs), so each created topic is also removed.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.#lifecycles.values()].map((lifecycle) => lifecycle.ready)), timeout]);
    clearTimeout(timer);
    for (const topic of [...this.#index.topics()]) {
      for (const holder of [...this.#index.holders(topic)]) this.#index.delete(topic, holder);
      this.#release(topic);
    }
    this.#queue.close();
    await Promise.allSettled([...this.#removals.values()]);
  }

  stats(): RouteStats {
    return {
      topics: this.#index.topicCount,
      subscriptions: this.#index.subscriptionCount,
      queued: this.#queue.size,
      updatesDropped: this.#queue.dropped,
      updatesInvalid: this.#updatesInvalid,
      updatesPublished: this.#updatesPublished,
      framesSent: this.#framesSent,
    };
  }

  /** Topics with at least one subscriber. */
  topics(): string[] {
    return [...this.#index.topics()];
  }

  #create(topic: string, request: Req): Lifecycle {
    const lifecycle: Lifecycle = { ready: Promise.resolve(), state: "creating" };
    const topicUpdate: TopicUpdater<Data> = (data) => {
      // Updates for a removed generation of the topic are late, not errors.
      if (lifecycle.state === "removed") return;
      this.#queue.push({ topic, lifecycle, data });
    };
    const previousRemoval = this.#removals.get(topic);
    lifecycle.ready = (async () => {
      if (previousRemoval !== undefined) await previousRemoval;
      await this.service.createTopic(topic, topicUpdate, { route: this.route, topic, request });
    })();
    this.#lifecycles.set(topic, lifecycle);
    lifecycle.ready.then(
      () => {
        if (lifecycle.state !== "creating") return;
        lifecycle.state = "live";
        // Everyone left while the service was starting: stop it again.
        if (this.#index.holders(topic).size === 0) this.#release(topic);
      },
      (error: unknown) => {
        lifecycle.state = "removed";
        if (this.#lifecycles.get(topic) === lifecycle) this.#lifecycles.delete(topic);
        // Every holder joined while this creation was pending; none keeps the subscription.
        for (const holder of [...this.#index.holders(topic)]) this.#index.delete(topic, holder);
        this.#report(
          new WsgenError("ERR_SERVICE_FAILED", `createTopic("${topic}") failed: ${describeError(error)}`, { cause: error }),
          `${this.route}.subscribe`,
        );
      },
    );
    return lifecycle;
  }

  /** Called when `topic` has no holder left: removes a live topic now, a creating one once created. */
  #release(topic: string): void {
    const lifecycle = this.#lifecycles.get(topic);
    if (lifecycle === undefined || lifecycle.state !== "live") return;
    if (this.#index.holders(topic).size > 0) return;
    lifecycle.state = "removed";
    this.#lifecycles.delete(topic);
    const removal = (async () => {
      try {
        await this.service.removeTopic(topic);
      } catch (error) {
        this.#report(
          new WsgenError("ERR_SERVICE_FAILED", `removeTopic("${topic}") failed: ${describeError(error)}`, { cause: error }),
          `${this.route}.unsubscribe`,
        );
      }
    })();
    this.#removals.set(topic, removal);
    void removal.then(() => {
      if (this.#removals.get(topic) === removal) this.#removals.delete(topic);
    });
  }

  /** Validates and encodes a drained batch, then writes it to the holders (fan-out.ts). */
  #fanOut(updates: readonly QueuedUpdate[]): void {
    const encoded: EncodedUpdate[] = [];
    for (const update of updates) {
      try {
        const frame = this.#encode(update);
        if (frame !== undefined) encoded.push({ topic: update.topic, frame });
      } catch (error) {
        // One update that cannot be serialized (a BigInt, a cycle, a throwing toJSON) costs only itself.
        this.#updatesInvalid += 1;
        this.#report(
          new WsgenError("ERR_INVALID_UPDATE", `update for "${update.topic}" could not be serialized: ${describeError(error)}`, {
            cause: error,
          }),
          `${this.route}.update`,
        );
      }
    }
    if (encoded.length > 0) this.#framesSent += fanOut(encoded, (topic) => this.#index.holders(topic));
  }

  /** Validates and encodes one update, or undefined if it goes nowhere or is invalid. */
  #encode({ topic, lifecycle, data }: QueuedUpdate): EncodedFrames | undefined {
    if (lifecycle.state === "removed") return undefined;
    if (this.#index.holders(topic).size === 0) return undefined;
    let payload: unknown = data;
    if (this.#validateUpdates) {
      const parsed = this.dataSchema.safeParse(data);
      if (!parsed.success) {
        this.#updatesInvalid += 1;
        this.#report(
          new WsgenError("ERR_INVALID_UPDATE", `update for "${topic}" does not match ${this.dataName}: ${parsed.error.message}`),
          `${this.route}.update`,
        );
        return undefined;
      }
      payload = parsed.data;
    }
    const frame = encodeTextFrame(`${this.#updateFramePrefix}${JSON.stringify(topic)},"payload":${JSON.stringify(payload)}}}`);
    this.#updatesPublished += 1;
    return frame;
  }

  #report(error: unknown, where: string): void {
    if (this.#host !== undefined) this.#host.reportError(error, where);
  }
}

/**
 * The type a module's `ws.ts` aliases: `export type OrderWsRouter =
 * WsRouter<OrderSubscriptionRequest, PlacedOrder>`. The generator turns each
 * alias into a concrete class of the same name; the alias itself is the type
 * of that class's instances.
 */
export type WsRouter<Req, Data> = WsRoute<Req, Data>;

function invalidRequest(error: z.ZodError): SubscriptionResponse {
  return { status: "error", message: `invalid request: ${error.issues.length} issue(s)`, topic: "", errors: error.issues };
}
