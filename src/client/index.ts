/**
 * `wsgen/client`: the typed WebSocket client, for browsers and Node. No Node
 * imports here: on Node 20, pass `{ WebSocket }` from `ws`.
 */
export { backoffDelay } from "./backoff.js";
export type { BackoffOptions } from "./backoff.js";
export { WsClientClosedError, WsRequestError } from "./errors.js";
export type { Issue } from "./errors.js";
export { createClient } from "./typed-client.js";
export type {
  ClientContract,
  ClientOptions,
  ModuleContract,
  RouteClient,
  RouteContract,
  TypedClient,
  UpdateStream,
} from "./typed-client.js";
export { WsClient } from "./ws-client.js";
export type {
  ConnectionState,
  SchemaLike,
  SubscribeOptions,
  Subscription,
  WebSocketConstructor,
  WebSocketLike,
  WsClientOptions,
} from "./ws-client.js";
export { buildTopic, canonicalJson } from "../runtime/topic.js";
