/**
 * LiveTopics: a ready-made WsRouteService that remembers every live topic
 * with its parsed request and updater, so code outside any socket handler
 * (an HTTP endpoint, a market-data callback, a job) can publish to the
 * topics whose request matches.
 *
 *   const orders = new LiveTopics<OrderSubscriptionRequest, PlacedOrder>();
 *   new OrderWsRouter({ service: orders });
 *   await orders.publishTo({ accountId: order.accountId }, order);   // the one topic it names
 *   orders.publish((request) => request.accountId === order.accountId, order); // every match
 *
 * `publishTo` goes through the route the service was given (route.publish:
 * one lookup by topic, built by the one topic builder); `publish` scans the
 * live topics, for updates that reach several (a predicate over requests).
 *
 * Optional hooks start and stop a producer per topic (a timer, a feed).
 * A topic stays here until its removeTopic, so also while it lingers after
 * its last subscriber left (a route's `lingerMs`): publishes to it are still
 * recorded in its history, for a subscriber that comes back.
 */
import { WsgenError } from "./errors.js";
import type { PublishResult, TopicContext, TopicPublisher, TopicUpdater, WsRouteService } from "./service.js";

export interface LiveTopic<Req, Data> {
  topic: string;
  request: Req;
  update: TopicUpdater<Data>;
}

export interface LiveTopicsHooks<Req, Data> {
  /** Called after a topic is registered; may start a producer. A throw refuses the subscription. */
  onCreate?: (topic: LiveTopic<Req, Data>) => void | Promise<void>;
  /** Called after a topic is forgotten; stop its producer here. */
  onRemove?: (topic: LiveTopic<Req, Data>) => void | Promise<void>;
}

export class LiveTopics<Req, Data> implements WsRouteService<Req, Data> {
  readonly #topics = new Map<string, LiveTopic<Req, Data>>();
  readonly #hooks: LiveTopicsHooks<Req, Data>;
  readonly #routes: TopicPublisher<Req, Data>[] = [];

  constructor(hooks: LiveTopicsHooks<Req, Data> = {}) {
    this.#hooks = hooks;
  }

  async createTopic(topic: string, update: TopicUpdater<Data>, context: TopicContext<Req>): Promise<void> {
    const live: LiveTopic<Req, Data> = { topic, request: context.request, update };
    this.#topics.set(topic, live);
    try {
      await this.#hooks.onCreate?.(live);
    } catch (error) {
      this.#topics.delete(topic);
      throw error;
    }
  }

  async removeTopic(topic: string): Promise<void> {
    const live = this.#topics.get(topic);
    this.#topics.delete(topic);
    if (live !== undefined) await this.#hooks.onRemove?.(live);
  }

  /** @internal Called by each route given this service. */
  bindRoute(route: TopicPublisher<Req, Data>): void {
    this.#routes.push(route);
  }

  /** @internal Called by a route given this service when it shuts down. */
  unbindRoute(route: TopicPublisher<Req, Data>): void {
    const at = this.#routes.indexOf(route);
    if (at !== -1) this.#routes.splice(at, 1);
  }

  /**
   * Sends `data` to the topic `request` names, through the route this
   * service was given (`route.publish`): `accepted`, or `not_live` when
   * nobody subscribes to it. Rejects ERR_NOT_BOUND before the service was
   * given to a router, or when it was given to several (publish through the
   * route you mean instead), and as `route.publish` does for a bad request or data.
   */
  publishTo(request: Req, data: Data): Promise<PublishResult> {
    if (this.#routes.length !== 1) {
      const routes = this.#routes.map((route) => `"${route.name}"`).join(", ");
      const why =
        this.#routes.length === 0
          ? "it was not given to a router yet: pass it as a router's `service` first"
          : `it serves several routes (${routes}): call publish on the route you mean`;
      return Promise.reject(new WsgenError("ERR_NOT_BOUND", `LiveTopics.publishTo: ${why}.`));
    }
    return this.#routes[0]!.publish(request, data);
  }

  /** Sends `data` to every live topic whose request satisfies `matches`. Returns how many topics got it. */
  publish(matches: (request: Req) => boolean, data: Data): number {
    let count = 0;
    for (const live of this.#topics.values()) {
      if (!matches(live.request)) continue;
      live.update(data);
      count += 1;
    }
    return count;
  }

  get size(): number {
    return this.#topics.size;
  }

  topics(): IterableIterator<LiveTopic<Req, Data>> {
    return this.#topics.values();
  }
}
