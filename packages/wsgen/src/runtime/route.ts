/**
 * WsRoute: one pub/sub route of a module (`orders`, `bars`, …) binding a
 * request schema and a data schema to a service. Generated router classes
 * extend it and only supply the declaration: the route name, the two schemas
 * and their model names.
 *
 * Its topics' lifecycle is a TopicLifecycle (topic-lifecycle.ts), whose
 * topics linger `lingerMs` after their last subscriber left. Updates from
 * the service take RouteUpdates' path (route-updates.ts): a bounded queue,
 * validation, the next position of their topic's stream, frames encoded
 * once and kept in the history, then that topic's holders only. How a
 * subscriber starts on a stream — replay after its `since`, the latest
 * value — is TopicDelivery's (topic-delivery.ts); what a lagging subscriber
 * gets meanwhile is its LaggingHolders' (lag-policy.ts).
 *
 * Mounted with a broker that shares topics (wsgen/redis), the lifecycle
 * tracks local interest only: a topic's first local subscriber opens its
 * stream here (the broker's RouteStreams), the broker runs createTopic on
 * one process of all, positions every update there, and hands back what
 * this process's subscribers are written.
 */
import type { z } from "zod";
import type { DeliveryPolicy } from "./asyncapi-wire.js";
import { authorizeSubscribe, type AuthorizeHook } from "./authorization.js";
import type { ProducerRun, RouteStreams } from "./broker.js";
import type { Subscriber } from "./fan-out.js";
import { describeError, reportToConsole, WsgenError } from "./errors.js";
import { check, isBoolean, isFunction, isService } from "./option-checks.js";
import { LaggingHolders } from "./lag-policy.js";
import { deliveryPolicyOf, historyLimits, lagPolicyOf, lingerOf, producerOf, ROUTE_DEFAULTS, type RouteOptions } from "./route-options.js";
import { isRouteName, operationType, type RouteOperation, type SubscriptionResponse } from "../protocol/messages.js";
import { positionProblem, type StreamPosition } from "../protocol/positions.js";
import { PENDING_POSITION } from "./topic-history.js";
import { REQUEST_SHAPE_DEFAULTS, requestShapeProblem } from "./request-shape.js";
import type { PublishResult, TopicPublisher, TopicUpdater, WsRouteService } from "./service.js";
import { encodeTopic } from "../protocol/topic.js";
import { TopicDelivery } from "./topic-delivery.js";
import type { RouteClient, RouteHost, SubscribeOptions } from "./route-host.js";
import type { RouteStats } from "./route-stats.js";
import { invalidRequest, refused, type RequestFailure } from "./subscription-refusals.js";
import { TopicLifecycle, type TopicGeneration } from "./topic-lifecycle.js";
import { jsonUpdateEncoder, routeDelivery, type TopicCreation } from "./route-delivery.js";
import type { RouteUpdates } from "./route-updates.js";
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
export type WsRouter<Req, Data, User = unknown> = WsRoute<Req, Data, User>;

export type { RouteClient, RouteHost, SubscribeOptions } from "./route-host.js";

/** A subscribe that joined its topic: at which position (undefined: it was live already), and what it asked to recover. */
type Joined = { topic: string; joinedAt: StreamPosition | undefined; since: StreamPosition | undefined; message: string };

export class WsRoute<Req, Data, User = unknown> implements TopicPublisher<Req, Data> {
  /** The route name: the prefix of its operations (`orders.subscribe`) and topics (`orders:{…}`). */
  readonly name: string;
  readonly description: string | undefined;
  readonly requestSchema: z.ZodType<Req>;
  readonly dataSchema: z.ZodType<Data>;
  readonly requestName: string;
  readonly dataName: string;
  readonly service: WsRouteService<Req, Data, User>;
  /** @internal Its history and latest-value options, resolved; stated in the AsyncAPI document. */
  readonly deliveryPolicy: DeliveryPolicy;

  readonly #authorize: AuthorizeHook<User, Req> | undefined;
  readonly #options: RouteOptions<Req, Data, string, User>;
  // Built for this process at construction; built again at mount over a broker's streams.
  #lifecycle!: TopicLifecycle<TopicCreation, Subscriber>;
  #updates!: RouteUpdates;
  #delivery!: TopicDelivery;
  #lagging!: LaggingHolders;
  #streams: RouteStreams | undefined;
  #host: RouteHost<User> | undefined;
  #subscriptionsForbidden = 0;
  #requestsOverShapeLimits = 0;

  constructor(options: RouteOptions<Req, Data, string, User> & RouteDeclaration<Req, Data>) {
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
    if (options.authorize !== undefined) check("authorize", options.authorize, isFunction, "a function");
    this.#authorize = options.authorize;
    this.name = options.route;
    this.description = options.description ?? ROUTE_DEFAULTS.description;
    this.service = options.service;
    this.requestSchema = options.request;
    this.dataSchema = options.data;
    this.requestName = options.requestName;
    this.dataName = options.dataName;
    this.#options = options;
    producerOf(options);
    this.deliveryPolicy = deliveryPolicyOf(historyLimits(options), { lingerMs: lingerOf(options), lagPolicy: lagPolicyOf(options) });
    this.#wire(undefined);
    this.service.bindRoute?.(this);
  }

  /** Builds the route's delivery: over this process's memory (`streams` undefined), or over a broker's shared streams. */
  #wire(streams: RouteStreams | undefined): void {
    const delivery = routeDelivery(this.#options, streams, {
      route: this.name,
      dataName: this.dataName,
      dataSchema: this.dataSchema,
      removeTopic: (topic) => this.#removeTopic(topic),
      report: (error, where) => this.#report(error, where),
    });
    this.#streams = streams;
    ({ delivery: this.#delivery, lagging: this.#lagging, lifecycle: this.#lifecycle, updates: this.#updates } = delivery);
  }

  /** The broker's streams for this route, given the sink through which they reach it. */
  #sharedStreams(host: RouteHost<User>): RouteStreams | undefined {
    if (producerOf(this.#options) === "everywhere") return undefined;
    return host.broker?.routeStreams?.(
      { module: host.module, route: this.name, limits: historyLimits(this.#options), encodeUpdate: jsonUpdateEncoder(this.name) },
      {
        deliver: (updates) => this.#updates.deliver(updates),
        createTopic: (run, request, user) => this.#produce(run, request as Req, user as User),
        removeTopic: (topic) => this.#removeTopic(topic),
        flush: () => this.#updates.flush(),
        report: (error, where) => this.#report(error, where),
      },
    );
  }

  /** @internal Called once by the module that mounts this route. */
  mount(host: RouteHost<User>): void {
    if (this.#host !== undefined) {
      throw new WsgenError(
        "ERR_ROUTE_ALREADY_MOUNTED",
        `Route "${this.name}" is already mounted in module "${this.#host.module}"; create one router instance per module.`,
      );
    }
    this.#host = host;
    const streams = this.#sharedStreams(host);
    if (streams !== undefined) this.#wire(streams);
  }

  /**
   * The topic a (raw) request names, or why it names none: a shape over the
   * module's limits (checked first, so the schema never walks it), the zod
   * error, or a parsed request holding what a topic cannot name (`notJson`:
   * a Set, a Map, a Date… from a transform; see protocol/topic.ts).
   */
  parseRequest(payload: unknown): { ok: true; topic: string; request: Req } | ({ ok: false } & RequestFailure) {
    return this.#parse(payload, true);
  }

  /** parseRequest; `fromClient`: a shape over the limits counts in `requestsOverShapeLimits` (a server-side publish's does not). */
  #parse(payload: unknown, fromClient: boolean): { ok: true; topic: string; request: Req } | ({ ok: false } & RequestFailure) {
    const shape = requestShapeProblem(payload, this.#host?.requestShape ?? REQUEST_SHAPE_DEFAULTS);
    if (shape !== undefined) {
      if (fromClient) this.#requestsOverShapeLimits += 1;
      return { ok: false, shape };
    }
    const parsed = this.requestSchema.safeParse(payload);
    if (!parsed.success) return { ok: false, error: parsed.error };
    const topic = encodeTopic(this.name, parsed.data);
    if (!topic.ok) return { ok: false, notJson: topic.problem };
    return { ok: true, topic: topic.topic, request: parsed.data };
  }

  /**
   * @internal Subscribes `client` to the topic `payload` names, answers
   * through `options.answer` and resolves with that answer. Every subscribe,
   * not only a topic's first, is put to the module's and the route's
   * `authorize`. An ok answer carries the topic's position, and is followed
   * at once by what the client is owed: the replay after its `since`, the
   * latest value, or what was published while its createTopic ran.
   */
  async subscribe(client: RouteClient<User>, payload: unknown, options: SubscribeOptions = {}): Promise<SubscriptionResponse> {
    const answer = options.answer ?? (() => undefined);
    const joined = await this.#join(client, payload, options);
    if ("status" in joined) {
      answer(joined);
      return joined;
    }
    const { topic, joinedAt, since, message } = joined;
    // A replay that does not fit waits for room; meanwhile live updates go to the history, which the start replays.
    if (since !== undefined && joinedAt !== undefined) await this.#delivery.roomFor(topic, client, since);
    // Already live and lagging: what was held back is older than the position this answer states, so it never follows it.
    if (joinedAt === undefined) this.#lagging.leave(topic, client);
    let response: SubscriptionResponse = { status: "ok", message, topic };
    this.#delivery.start(topic, client, joinedAt, since, ({ position }) => {
      response = { ...response, ...position };
      answer(response);
    });
    return response;
  }

  /** Checks, authorizes and joins a subscribe; resolves with where it joined, or the refusal. */
  async #join(client: RouteClient<User>, payload: unknown, options: SubscribeOptions): Promise<SubscriptionResponse | Joined> {
    const parsed = this.parseRequest(payload);
    if (!parsed.ok) return this.#invalidRequest(parsed, "subscribe", client);
    const { topic, request } = parsed;
    const problem = options.since === undefined ? undefined : positionProblem(options.since);
    if (problem !== undefined) return refused("invalid_since", `invalid "since": it ${problem}`, topic);
    const since = options.since as StreamPosition | undefined;
    if (this.#lifecycle.closed) return refused("shutting_down", "server is shutting down", topic);
    const hooks = [this.#host?.authorize, this.#authorize].filter((hook) => hook !== undefined);
    // Without hooks nothing is awaited, so a subscribe joins in the same turn it was read, as it always has.
    if (hooks.length > 0) {
      const refusal = await this.#authorizeOrRefuse(hooks, client, topic, request);
      if (refusal !== undefined) return refusal;
      // The socket may have closed while the hooks ran; its topics are already released, so take none.
      if (!client.isOpen) return refused("shutting_down", "connection closed", topic);
    }
    // Already live: it was written every update since its start, so it is owed only where the topic is now.
    if (this.#lifecycle.isLiveFor(topic, client)) return { topic, joinedAt: undefined, since, message: "already subscribed" };
    // A new subscription must be admitted (the per-connection limit); renewing a held one need not be.
    const refusal = this.#lifecycle.holds(topic, client) ? undefined : options.limitRefusal?.();
    if (refusal !== undefined) return refused("subscription_limit", refusal, topic);
    let joinedAt = this.#delivery.join(topic, client);
    try {
      const { user } = client;
      await this.#lifecycle.join(topic, (generation) => this.#createTopic(generation, request, user), client);
    } catch (error) {
      this.#delivery.abandon(topic, client);
      return refused("subscription_refused", `subscription refused: ${describeError(error)}`, topic);
    }
    // A shared stream opened by this join: it joined where the stream was when it opened here.
    if (joinedAt === PENDING_POSITION) joinedAt = this.#streams?.openedAt(topic) ?? this.#delivery.history.open(topic);
    return { topic, joinedAt, since, message: "subscribed" };
  }

  /** Puts a subscribe to the hooks: undefined when admitted, else the response refusing it. */
  async #authorizeOrRefuse(
    hooks: readonly AuthorizeHook<User, Req>[],
    client: RouteClient<User>,
    topic: string,
    request: Req,
  ): Promise<SubscriptionResponse | undefined> {
    try {
      const attempt = { user: client.user, module: this.#host?.module ?? "", route: this.name, topic, request };
      const verdict = await authorizeSubscribe(hooks, attempt, this.#host?.authorizeTimeout ?? 0);
      if (verdict.admitted) return undefined;
      this.#subscriptionsForbidden += 1;
      return refused("forbidden", verdict.message, topic);
    } catch (error) {
      const where = operationType(this.name, "subscribe");
      this.#report(new WsgenError("ERR_AUTHORIZE_FAILED", `authorize failed: ${describeError(error)}`, { cause: error }), where, client);
      return refused("internal_error", "authorization failed with an internal error", topic);
    }
  }

  /**
   * Publishes `data` to the topic `request` names (built as a subscribe's
   * would be: parsed, defaults applied), from outside any socket handler —
   * an HTTP endpoint, a job. One lookup by topic, however many are live.
   * Resolves `accepted` when the update is queued for the topic's
   * subscribers (or its history, while it lingers), `not_live` when nobody
   * subscribes to it or the route is shutting down. The request may also be
   * the parsed one (what createTopic was handed, where the schema transforms).
   * Rejects ERR_INVALID_REQUEST for a request that names no topic,
   * ERR_INVALID_UPDATE for data its data schema refuses (with
   * `validateUpdates`) or JSON cannot serialize.
   */
  async publish(request: Req, data: Data): Promise<PublishResult> {
    const topic = this.#publishedTopic(request);
    // Told to the caller now: fan-out would find out later and could only report it to onError.
    const encoded = this.#updates.json(data);
    if (!encoded.ok) throw new WsgenError("ERR_INVALID_UPDATE", `route "${this.name}": published data ${encoded.why}`);
    if (this.#streams !== undefined) return this.#lifecycle.closed ? { status: "not_live" } : this.#streams.publish(topic, encoded.json);
    const generation = this.#lifecycle.closed ? undefined : this.#lifecycle.accepting(topic);
    // Only one that takes a position: a topic still being created whose subscribers all left would drop it.
    if (generation === undefined || !this.#lifecycle.streams(generation)) return { status: "not_live" };
    this.#updates.push(generation, data);
    return { status: "accepted" };
  }

  /** The topic a published request names: parsed as a subscribe's, or already parsed (a live topic's own request). */
  #publishedTopic(request: Req): string {
    const parsed = this.#parse(request, false);
    if (parsed.ok) return parsed.topic;
    // A request of the schema's output form (a transform's) fails its input check; as such it names a topic only if that one is live.
    const asParsed = encodeTopic(this.name, request);
    const known = (topic: string): boolean => this.#streams?.holds(topic) ?? this.#lifecycle.accepting(topic) !== undefined;
    if (asParsed.ok && known(asParsed.topic)) return asParsed.topic;
    const why = "error" in parsed ? parsed.error.message : "shape" in parsed ? parsed.shape : parsed.notJson;
    throw new WsgenError("ERR_INVALID_REQUEST", `route "${this.name}": publish to a request that names no topic: ${why}`);
  }

  /** @internal Unsubscribes `subscriber` from the topic `payload` names. */
  unsubscribe(subscriber: Subscriber, payload: unknown): SubscriptionResponse {
    const parsed = this.parseRequest(payload);
    if (!parsed.ok) return this.#invalidRequest(parsed, "unsubscribe", subscriber);
    const { topic } = parsed;
    if (!this.#lifecycle.leave(topic, subscriber)) return refused("not_subscribed", "not subscribed to this topic", topic);
    this.#delivery.leave(topic, subscriber);
    this.#lagging.leave(topic, subscriber);
    return { status: "ok", message: "unsubscribed", topic };
  }

  /** @internal Releases every topic `subscriber` holds (on disconnect). */
  release(subscriber: Subscriber): void {
    this.#lifecycle.leaveAll(subscriber);
    this.#lagging.release(subscriber);
  }

  /** @internal Number of topics `subscriber` holds on this route. */
  subscriptionsOf(subscriber: Subscriber): number {
    return this.#lifecycle.heldBy(subscriber);
  }

  /**
   * @internal Removes every topic (calling `removeTopic` for each created
   * one, lingering ones at once) and stops the queue. Resolves when every
   * removeTopic has settled.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    this.service.unbindRoute?.(this);
    await this.#lifecycle.shutdown(timeoutMs);
    await this.#streams?.shutdown(timeoutMs);
    this.#updates.close();
    this.#delivery.history.close();
  }

  stats(): RouteStats {
    return {
      topics: this.#lifecycle.topicCount,
      lingering: this.#lifecycle.lingeringCount,
      subscriptions: this.#lifecycle.subscriptionCount,
      ...this.#updates.counts,
      subscriptionsForbidden: this.#subscriptionsForbidden,
      requestsOverShapeLimits: this.#requestsOverShapeLimits,
      ...this.#delivery.counts,
      ...this.#lagging.counts,
      laggingSubscribers: this.#lagging.lagging,
      history: this.#delivery.history.stats(),
      ...(this.#streams !== undefined ? { broker: this.#streams.stats() } : {}),
    };
  }

  /** Topics with at least one subscriber: not the lingering ones (`stats().lingering` counts those). */
  topics(): string[] {
    return this.#lifecycle.topics();
  }

  async #createTopic(generation: TopicGeneration, request: Req, user: User): Promise<void> {
    // Shared: opening the stream here is what a first local subscriber asks; the producer runs where the broker says.
    if (this.#streams !== undefined) return this.#streams.open(generation.topic, request, user);
    // Updates for an ended generation of the topic are late, not errors.
    return this.#runCreateTopic(generation, () => this.#lifecycle.accepts(generation), request, user);
  }

  /** This process won `run`'s lease: the service produces here, its updates positioned by the broker. */
  #produce(run: ProducerRun, request: Req, user: User): Promise<void> {
    const streams = this.#streams;
    return this.#runCreateTopic(run, () => streams?.accepts(run) === true, request, user);
  }

  /** The service's createTopic for `generation`, whose updates are queued while `accepts()` says they still count. */
  async #runCreateTopic(generation: TopicGeneration, accepts: () => boolean, request: Req, user: User): Promise<void> {
    const topicUpdate: TopicUpdater<Data> = (data) => {
      if (accepts()) this.#updates.push(generation, data);
    };
    const { topic } = generation;
    await this.service.createTopic(topic, topicUpdate, { route: this.name, topic, request, user });
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

  /**
   * Answers a request that names no topic. A shape over the limits (the
   * client's doing) and a request schema whose output a topic cannot name
   * (the route's) are also reported.
   */
  #invalidRequest(failure: RequestFailure, operation: RouteOperation, client: Subscriber): SubscriptionResponse {
    const where = operationType(this.name, operation);
    if ("shape" in failure) {
      this.#report(new WsgenError("ERR_REQUEST_SHAPE", `a client sent a request over the shape limits: ${failure.shape}`), where, client);
    } else if ("notJson" in failure) {
      this.#report(new WsgenError("ERR_TOPIC_NOT_JSON", `route "${this.name}": ${failure.notJson}`), where, client);
    }
    return invalidRequest(failure);
  }

  #report(error: unknown, where: string, client?: Subscriber): void {
    if (this.#host === undefined) return;
    const context = { module: this.#host.module, where };
    try {
      this.#host.reportError(error, context, client);
    } catch (failure) {
      // A reporter that throws must not leave a topic half-removed: say so where nothing can throw.
      reportToConsole(failure, { ...context, where: `reportError (while reporting ${where})` });
    }
  }
}
