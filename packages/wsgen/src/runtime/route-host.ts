/**
 * What a route is given by the endpoint that mounts it (endpoint.ts): its
 * host module, the clients it serves, and how a subscribe frame asks.
 */
import type { AuthorizeHook } from "./authorization.js";
import type { Broker } from "./broker.js";
import type { ErrorContext } from "./errors.js";
import type { Subscriber } from "./fan-out.js";
import type { SubscriptionResponse } from "../protocol/messages.js";
import type { RequestShapeLimits } from "./request-shape.js";

/** @internal What the module hosting a route provides to it. */
export interface RouteHost<User = unknown> {
  readonly module: string;
  /** The module's `authorize`, asked before the route's own. */
  readonly authorize?: AuthorizeHook<User> | undefined;
  /** Milliseconds the hooks have to decide a subscribe (0: no limit). */
  readonly authorizeTimeout?: number;
  readonly requestShape?: RequestShapeLimits;
  /** Where its topics live: undefined (or a memory broker) keeps them in this process. */
  readonly broker?: Broker | undefined;
  /** Reports an error; `client` names the connection it came from, so one client cannot flood the log. */
  reportError(error: unknown, context: ErrorContext, client?: Subscriber): void;
}

/** @internal A subscriber as the endpoint hands it over: with its user and whether its socket is still open. */
export interface RouteClient<User> extends Subscriber {
  readonly user: User;
  readonly isOpen: boolean;
  /** Resolves once its send buffer drained, it closed, or `timeoutMs` passed; undefined for one without a send buffer. */
  whenDrained?(timeoutMs: number): Promise<void>;
}

/** How a subscribe frame asks, beside its payload (endpoint.ts fills it in). */
export interface SubscribeOptions {
  /** The envelope's `since`, unchecked. */
  since?: unknown;
  /** Why the client may hold no more subscriptions, or undefined (asked before a new one is added). */
  limitRefusal?: () => string | undefined;
  /**
   * Writes the response. Called exactly once, before any update of the
   * topic reaches the client: the updates it is owed follow it at once.
   */
  answer?: (response: SubscriptionResponse) => void;
}
