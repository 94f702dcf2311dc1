/**
 * The parts of a route's delivery, built together (route.ts): its topics'
 * lifecycle, the update path, how subscribers start on a stream, and what a
 * lagging one gets — over a stream history in this process's memory, or
 * over a broker's shared streams (`streams`), whose mirror they read and to
 * which updates are handed for positioning.
 */
import type { z } from "zod";
import { operationType, updateEncoder, updateFraming } from "../protocol/messages.js";
import type { RouteStreams, RouteStreamsSpec } from "./broker.js";
import { describeError, WsgenError } from "./errors.js";
import type { Subscriber } from "./fan-out.js";
import { encodeRetainedFrameAround } from "./frame.js";
import { LaggingHolders } from "./lag-policy.js";
import { historyLimits, lagPolicyOf, lingerOf, ROUTE_DEFAULTS, type RouteOptions } from "./route-options.js";
import { RouteUpdates } from "./route-updates.js";
import { TopicDelivery } from "./topic-delivery.js";
import { MemoryTopicHistory } from "./topic-history.js";
import { TopicLifecycle, type TopicGeneration } from "./topic-lifecycle.js";

/**
 * How a topic is created, bound to the subscribe that asks first (its
 * request and user). A closure keeps the user type out of the lifecycle, so
 * a route typed for any user fits a module typed for a narrower one.
 */
export type TopicCreation = (generation: TopicGeneration) => Promise<void>;

export interface RouteDelivery {
  readonly lifecycle: TopicLifecycle<TopicCreation, Subscriber>;
  readonly updates: RouteUpdates;
  readonly delivery: TopicDelivery;
  readonly lagging: LaggingHolders;
}

export interface RouteDeliveryContext {
  readonly route: string;
  readonly dataName: string;
  readonly dataSchema: z.ZodType;
  /** Runs the service's removeTopic (it reports its own failures). */
  removeTopic(topic: string): Promise<void>;
  report(error: unknown, where: string): void;
}

/** The route options delivery is built from. */
type DeliveryOptions = Pick<
  RouteOptions<unknown, unknown>,
  | "historySize"
  | "historyMaxBytes"
  | "historyTtlMs"
  | "latestValue"
  | "lagPolicy"
  | "lingerMs"
  | "validateUpdates"
  | "queueCapacity"
  | "batchWindowMs"
>;

export function routeDelivery(options: DeliveryOptions, streams: RouteStreams | undefined, context: RouteDeliveryContext): RouteDelivery {
  const limits = historyLimits(options);
  const delivery = new TopicDelivery(streams?.history ?? new MemoryTopicHistory(limits), limits.keepLatest);
  const lagging = new LaggingHolders({
    policy: lagPolicyOf(options),
    history: delivery.history,
    onHeldBack: (subscriber, topic, position) => delivery.heldBack(subscriber, topic, position),
  });
  const lifecycle = new TopicLifecycle<TopicCreation, Subscriber>(
    {
      create: (generation, creation) => creation(generation),
      // Shared: the last local subscriber leaving closes the stream here; the broker decides whether removeTopic runs.
      remove: (topic) => (streams === undefined ? context.removeTopic(topic) : streams.close(topic)),
      onUnheld: (topic) => delivery.history.release(topic),
      onCreateFailed: (topic, error) =>
        context.report(
          new WsgenError("ERR_SERVICE_FAILED", `createTopic("${topic}") failed: ${describeError(error)}`, { cause: error }),
          operationType(context.route, "subscribe"),
        ),
    },
    lingerOf(options),
  );
  const updates = new RouteUpdates({
    route: context.route,
    dataName: context.dataName,
    dataSchema: context.dataSchema,
    validate: options.validateUpdates ?? ROUTE_DEFAULTS.validateUpdates,
    encode: updateEncoder(context.route),
    queueCapacity: options.queueCapacity,
    batchWindowMs: options.batchWindowMs,
    topics: lifecycle,
    delivery,
    lagging,
    remote: streams,
    report: (error, where) => context.report(error, where),
  });
  return { lifecycle, updates, delivery, lagging };
}

/** The frame of an update whose data arrived as JSON bytes (from another process): framed without being parsed. */
export function jsonUpdateEncoder(route: string): RouteStreamsSpec["encodeUpdate"] {
  const framing = updateFraming(route);
  return (topic, payloadJson, position) => ({
    topic,
    position,
    frame: encodeRetainedFrameAround(framing.before(topic), payloadJson, framing.after(position)),
  });
}
