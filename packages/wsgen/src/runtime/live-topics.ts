/**
 * LiveTopics: a ready-made WsRouteService that remembers every live topic
 * with its parsed request and updater, so code outside any socket handler
 * (an HTTP endpoint, a market-data callback, a job) can publish to the
 * topics whose request matches.
 *
 *   const orders = new LiveTopics<OrderSubscriptionRequest, PlacedOrder>();
 *   new OrderWsRouter({ service: orders });
 *   orders.publish((request) => request.accountId === order.accountId, order);
 *
 * Optional hooks start and stop a producer per topic (a timer, a feed).
 * A topic stays here until its removeTopic, so also while it lingers after
 * its last subscriber left (a route's `lingerMs`): publishes to it are still
 * recorded in its history, for a subscriber that comes back.
 */
import type { TopicContext, TopicUpdater, WsRouteService } from "./service.js";

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
