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

/** What `route.publish` answers: the update was queued for the topic, or nobody subscribes to it (nothing is kept). */
export type PublishResult = { status: "accepted" } | { status: "not_live" };

/** A route as the service it was given sees it: its name, and publishing to a topic by its request. */
export interface TopicPublisher<Req, Data> {
  readonly name: string;
  publish(request: Req, data: Data): Promise<PublishResult>;
}

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
  /** Called once by each route given this service, so the service can publish through it (LiveTopics.publishTo). */
  bindRoute?(route: TopicPublisher<Req, Data>): void;
  /** Called when that route shuts down: it publishes nothing any more. */
  unbindRoute?(route: TopicPublisher<Req, Data>): void;
}
