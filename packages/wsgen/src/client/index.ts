/**
 * `wsgen/client`: the typed WebSocket client, for browsers and Node. No Node
 * imports here: on Node 20, pass `{ WebSocket }` from `ws`. This is the whole
 * public surface of the client (README, "Public API").
 */
export { createClient } from "./typed-client.js";
export type {
  ClientContract,
  ClientOptions,
  ModuleContract,
  RouteClient,
  RouteContract,
  RouteSubscribeOptions,
  StreamEvent,
  StreamOptions,
  TypedClient,
} from "./typed-client.js";
export type { UpdateStream } from "./update-stream.js";
export type { DeliveryHandlers, Resubscription, StreamReset, StreamResetReason } from "./delivery-events.js";
export type { RecoveryFailureReason, StreamPosition } from "../protocol/positions.js";
export { WsClient } from "./ws-client.js";
export type { SchemaLike, SubscribeOptions, Subscription } from "./subscription.js";
export type { ConnectionState, WsClientOptions } from "./client-options.js";
export type { TokenContext, TokenPlacement, TokenSource } from "./credentials.js";
export type { WebSocketConstructor, WebSocketLike } from "./web-socket.js";
export { WsClientClosedError, WsHandshakeError, WsRequestError, type Issue } from "./errors.js";
export type { BackoffOptions } from "./backoff.js";
export { buildTopic } from "../protocol/topic.js";
export { endpointPath } from "../protocol/paths.js";
