/**
 * What a subscription is, to the caller and inside WsClient: the options of
 * `subscribe`, the handle it resolves with, a local handler, and the one
 * server subscription that a topic's local handlers share.
 *
 * @module
 */
import type { StreamPosition } from "../protocol/positions.js";
import type { Deferred } from "./deferred.js";
import type { DeliveryHandlers, Resubscription, StreamReset } from "./delivery-events.js";
import type { Issue } from "./errors.js";
import type { SubscriptionPosition } from "./subscription-position.js";

/** A zod-like schema: what the client needs of one (safeParse). */
export interface SchemaLike<Output> {
  safeParse(value: unknown): { success: true; data: Output } | { success: false; error: { issues: Issue[] } };
}

export interface SubscribeOptions<Req, Data> extends DeliveryHandlers {
  /** Applied to the request before the topic is built (defaults, stripping), as the server does. */
  requestSchema?: SchemaLike<Req>;
  dataSchema?: SchemaLike<Data>;
  /**
   * Called once when this handler will receive nothing more without having
   * unsubscribed: with no argument when the client was closed, with the error
   * when the server refused the resubscription after a reconnect, or the
   * connection, or the client closed itself (a token function's answer that
   * cannot be sent).
   */
  onEnd?: (error?: Error) => void;
}

export interface Subscription {
  readonly topic: string;
  /**
   * The last position of the topic's stream this subscription holds: the
   * subscribe response's, then each delivered update's; a reconnect
   * resubscribes with it as `since`. Undefined from a server that states no
   * positions.
   */
  readonly position: StreamPosition | undefined;
  /** Stops this handler; the server subscription ends with the topic's last local handler. */
  unsubscribe(): Promise<void>;
}

/** One local handler of a topic. */
export type Listener = {
  handler: (data: unknown, topic: string) => void;
  dataSchema: SchemaLike<unknown> | undefined;
  onEnd: ((error?: Error) => void) | undefined;
  onReset: ((reset: StreamReset) => void) | undefined;
  onResubscribe: ((resubscription: Resubscription) => void) | undefined;
};

/** The one server subscription that a topic's local handlers share. */
export type ServerSubscription = {
  route: string;
  request: unknown;
  /** Connection generation the subscribe frame was last sent on. */
  sentOn: number;
  confirmed: Deferred;
  /** Where the topic's stream is for the handlers sharing it. */
  position: SubscriptionPosition;
};
