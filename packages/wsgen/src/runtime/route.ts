/**
 * WsRoute: one pub/sub route of a module (`orders`, `bars`, …) binding a
 * request schema and a data schema to a service. Generated router classes
 * extend it and only supply the declaration: the route name, the two schemas
 * and their model names.
 *
 * Its topics' lifecycle is a TopicLifecycle (topic-lifecycle.ts). Updates
 * from the service go through a bounded UpdateQueue, are validated and
 * encoded once as WebSocket frames, and are written to that topic's holders
 * only (fan-out.ts).
 */
import type { z } from "zod";
import { fanOut, type EncodedUpdate, type Subscriber } from "./fan-out.js";
import { encodeTextFrame, type EncodedFrames } from "./frame.js";
import { describeError, reportToConsole, WsgenError, type ErrorContext } from "./errors.js";
import { check, isBoolean, isService } from "./option-checks.js";
import { ROUTE_DEFAULTS, type RouteOptions } from "./route-options.js";
import { isRouteName, operationType, updateEncoder, updateType, type SubscriptionResponse } from "../protocol/messages.js";
import type { TopicUpdater, WsRouteService } from "./service.js";
import { buildTopic } from "../protocol/topic.js";
import { TopicLifecycle, type TopicGeneration } from "./topic-lifecycle.js";
import { UpdateQueue } from "./update-queue.js";
import { checkZodSchema } from "./zod-check.js";

/** What a generated class supplies: the route name, the two schemas and their model names. */
export interface RouteDeclaration<Req, Data> {
  route: string;
  request: z.ZodType<Req>;
  data: z.ZodType<Data>;
  requestName: string;
  dataName: string;
}

/**
 * The type a module's `ws.ts` aliases: `export type OrderWsRouter =
 * WsRouter<OrderSubscriptionRequest, PlacedOrder>`. The generator turns each
 * alias into a concrete class of the same name; the alias itself is the type
 * of that class's instances.
 */
export type WsRouter<Req, Data> = WsRoute<Req, Data>;

/** @internal What the module hosting a route provides to it. */
export interface RouteHost {
  readonly module: string;
  reportError(error: unknown, context: ErrorContext): void;
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

type QueuedUpdate = { generation: TopicGeneration; data: unknown };

export class WsRoute<Req, Data> {
  /** The route name: the prefix of its operations (`orders.subscribe`) and topics (`orders:{…}`). */
  readonly name: string;
  readonly description: string | undefined;
  readonly requestSchema: z.ZodType<Req>;
  readonly dataSchema: z.ZodType<Data>;
  readonly requestName: string;
  readonly dataName: string;
  readonly service: WsRouteService<Req, Data>;

  readonly #lifecycle: TopicLifecycle<Req, Subscriber>;
  readonly #queue: UpdateQueue<QueuedUpdate>;
  readonly #validateUpdates: boolean;
  readonly #encodeUpdate: (topic: string, payload: unknown) => string;
  #host: RouteHost | undefined;
  #updatesInvalid = 0;
  #updatesPublished = 0;
  #framesSent = 0;

  constructor(options: RouteOptions<Req, Data> & RouteDeclaration<Req, Data>) {
    if (!isRouteName(options.route)) {
      throw new WsgenError(
        "ERR_INVALID_ROUTE_NAME",
        `Route name ${JSON.stringify(options.route)} is invalid: use a letter followed by letters, digits, "_" or "-" (for example "orders").`,
      );
    }
    check("service", options.service, isService, "an object with createTopic and removeTopic methods");
    checkZodSchema(options.route, "request", options.requestName, options.request);
    checkZodSchema(options.route, "data", options.dataName, options.data);
    if (options.validateUpdates !== undefined) check("validateUpdates", options.validateUpdates, isBoolean, "true or false");
    this.name = options.route;
    this.description = options.description ?? ROUTE_DEFAULTS.description;
    this.service = options.service;
    this.requestSchema = options.request;
    this.dataSchema = options.data;
    this.requestName = options.requestName;
    this.dataName = options.dataName;
    this.#validateUpdates = options.validateUpdates ?? ROUTE_DEFAULTS.validateUpdates;
    this.#encodeUpdate = updateEncoder(this.name);
    this.#queue = new UpdateQueue<QueuedUpdate>({
      capacity: options.queueCapacity ?? ROUTE_DEFAULTS.queueCapacity,
      batchWindowMs: options.batchWindowMs ?? ROUTE_DEFAULTS.batchWindowMs,
      deliver: (updates) => this.#fanOut(updates),
      onDeliverError: (error) => this.#report(error, `${updateType(this.name)} fan-out`),
    });
    this.#lifecycle = new TopicLifecycle<Req, Subscriber>({
      create: (generation, request) => this.#createTopic(generation, request),
      remove: (topic) => this.#removeTopic(topic),
      onCreateFailed: (topic, error) =>
        this.#report(
          new WsgenError("ERR_SERVICE_FAILED", `createTopic("${topic}") failed: ${describeError(error)}`, { cause: error }),
          operationType(this.name, "subscribe"),
        ),
    });
  }

  /** @internal Called once by the module that mounts this route. */
  mount(host: RouteHost): void {
    if (this.#host !== undefined) {
      throw new WsgenError(
        "ERR_ROUTE_ALREADY_MOUNTED",
        `Route "${this.name}" is already mounted in module "${this.#host.module}"; create one router instance per module.`,
      );
    }
    this.#host = host;
  }

  /** The topic a (raw) request names, or the zod error. */
  parseRequest(payload: unknown): { ok: true; topic: string; request: Req } | { ok: false; error: z.ZodError } {
    const parsed = this.requestSchema.safeParse(payload);
    if (!parsed.success) return { ok: false, error: parsed.error };
    return { ok: true, topic: buildTopic(this.name, parsed.data), request: parsed.data };
  }

  /**
   * @internal Subscribes `subscriber` to the topic `payload` names and
   * resolves with the response to send. `limitRefusal` is asked before a new
   * subscription is added: it returns why the subscriber may hold no more,
   * or undefined.
   */
  async subscribe(
    subscriber: Subscriber,
    payload: unknown,
    limitRefusal: () => string | undefined = () => undefined,
  ): Promise<SubscriptionResponse> {
    const parsed = this.parseRequest(payload);
    if (!parsed.ok) return invalidRequest(parsed.error);
    const { topic, request } = parsed;
    if (this.#lifecycle.closed) return { status: "error", message: "server is shutting down", topic };
    if (this.#lifecycle.isLiveFor(topic, subscriber)) return { status: "ok", message: "already subscribed", topic };
    // A new subscription must be admitted (the per-connection limit); renewing a held one need not be.
    const refusal = this.#lifecycle.holds(topic, subscriber) ? undefined : limitRefusal();
    if (refusal !== undefined) return { status: "error", message: refusal, topic };
    try {
      await this.#lifecycle.join(topic, request, subscriber);
    } catch (error) {
      return { status: "error", message: `subscription refused: ${describeError(error)}`, topic };
    }
    return { status: "ok", message: "subscribed", topic };
  }

  /** @internal Unsubscribes `subscriber` from the topic `payload` names. */
  unsubscribe(subscriber: Subscriber, payload: unknown): SubscriptionResponse {
    const parsed = this.parseRequest(payload);
    if (!parsed.ok) return invalidRequest(parsed.error);
    const { topic } = parsed;
    if (!this.#lifecycle.leave(topic, subscriber)) return { status: "error", message: "not subscribed to this topic", topic };
    return { status: "ok", message: "unsubscribed", topic };
  }

  /** @internal Releases every topic `subscriber` holds (on disconnect). */
  release(subscriber: Subscriber): void {
    this.#lifecycle.leaveAll(subscriber);
  }

  /** @internal Number of topics `subscriber` holds on this route. */
  subscriptionsOf(subscriber: Subscriber): number {
    return this.#lifecycle.heldBy(subscriber);
  }

  /**
   * @internal Removes every topic (calling `removeTopic` for each created
   * one) and stops the queue. Resolves when every removeTopic has settled.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    await this.#lifecycle.shutdown(timeoutMs);
    this.#queue.close();
  }

  stats(): RouteStats {
    return {
      topics: this.#lifecycle.topicCount,
      subscriptions: this.#lifecycle.subscriptionCount,
      queued: this.#queue.size,
      updatesDropped: this.#queue.dropped,
      updatesInvalid: this.#updatesInvalid,
      updatesPublished: this.#updatesPublished,
      framesSent: this.#framesSent,
    };
  }

  /** Topics with at least one subscriber. */
  topics(): string[] {
    return this.#lifecycle.topics();
  }

  async #createTopic(generation: TopicGeneration, request: Req): Promise<void> {
    const topicUpdate: TopicUpdater<Data> = (data) => {
      // Updates for an ended generation of the topic are late, not errors.
      if (this.#lifecycle.accepts(generation)) this.#queue.push({ generation, data });
    };
    const { topic } = generation;
    await this.service.createTopic(topic, topicUpdate, { route: this.name, topic, request });
  }

  async #removeTopic(topic: string): Promise<void> {
    try {
      await this.service.removeTopic(topic);
    } catch (error) {
      this.#report(
        new WsgenError("ERR_SERVICE_FAILED", `removeTopic("${topic}") failed: ${describeError(error)}`, { cause: error }),
        operationType(this.name, "unsubscribe"),
      );
    }
  }

  /** Validates and encodes a drained batch, then writes it to the holders (fan-out.ts). */
  #fanOut(updates: readonly QueuedUpdate[]): void {
    const encoded: EncodedUpdate[] = [];
    for (const update of updates) {
      const { topic } = update.generation;
      try {
        const frame = this.#encode(update);
        if (frame !== undefined) encoded.push({ topic, frame });
      } catch (error) {
        // One update that cannot be serialized (a BigInt, a cycle, a throwing toJSON) costs only itself.
        this.#updatesInvalid += 1;
        this.#report(
          new WsgenError("ERR_INVALID_UPDATE", `update for "${topic}" could not be serialized: ${describeError(error)}`, { cause: error }),
          updateType(this.name),
        );
      }
    }
    if (encoded.length > 0) this.#framesSent += fanOut(encoded, (topic) => this.#lifecycle.holders(topic));
  }

  /** Validates and encodes one update, or undefined if it goes nowhere or is invalid. */
  #encode({ generation, data }: QueuedUpdate): EncodedFrames | undefined {
    const { topic } = generation;
    if (!this.#lifecycle.accepts(generation) || this.#lifecycle.holders(topic).size === 0) return undefined;
    let payload: unknown = data;
    if (this.#validateUpdates) {
      const parsed = this.dataSchema.safeParse(data);
      if (!parsed.success) {
        this.#updatesInvalid += 1;
        this.#report(
          new WsgenError("ERR_INVALID_UPDATE", `update for "${topic}" does not match ${this.dataName}: ${parsed.error.message}`),
          updateType(this.name),
        );
        return undefined;
      }
      payload = parsed.data;
    }
    const frame = encodeTextFrame(this.#encodeUpdate(topic, payload));
    this.#updatesPublished += 1;
    return frame;
  }

  #report(error: unknown, where: string): void {
    if (this.#host === undefined) return;
    const context = { module: this.#host.module, where };
    try {
      this.#host.reportError(error, context);
    } catch (failure) {
      // A reporter that throws must not leave a topic half-removed: say so where nothing can throw.
      reportToConsole(failure, { ...context, where: `reportError (while reporting ${where})` });
    }
  }
}

function invalidRequest(error: z.ZodError): SubscriptionResponse {
  return { status: "error", message: `invalid request: ${error.issues.length} issue(s)`, topic: "", errors: error.issues };
}
