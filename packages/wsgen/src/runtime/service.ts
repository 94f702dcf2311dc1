/**
 * The contract between a route and the module's service that produces its
 * data: the runtime calls `createTopic` when a topic gets its first
 * subscriber and `removeTopic` when it loses its last one (docs/runtime.md,
 * "Topic lifecycle").
 */

/** What the service learns about a topic when it is created. */
export interface TopicContext<Req, User = unknown> {
  route: string;
  topic: string;
  /** The request after zod parsing (defaults applied, unknown keys stripped). */
  request: Req;
  /**
   * The user (what `authenticate` returned; `null` without it) whose
   * subscribe created the topic. Later subscribers of the topic are not
   * shown here: decide per subscriber in `authorize`, which sees each one.
   */
  user: User;
}

/** Pushes one update for the topic it was created for. Never throws, never blocks. */
export type TopicUpdater<Data> = (data: Data) => void;

/**
 * A module's service for one route. `createTopic` is called when a topic
 * gets its first subscriber, `removeTopic` when it loses its last one (after
 * the route's `lingerMs`, if no subscriber came back meanwhile), once per
 * creation. Either may be async; a `createTopic` that throws or rejects
 * refuses the subscription.
 */
export interface WsRouteService<Req = unknown, Data = unknown, User = unknown> {
  createTopic(topic: string, topicUpdate: TopicUpdater<Data>, context: TopicContext<Req, User>): void | Promise<void>;
  removeTopic(topic: string): void | Promise<void>;
}
