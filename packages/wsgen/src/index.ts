/**
 * `wsgen`: the runtime that generated routers run on. This is the whole
 * public surface (README, "Public API"); everything else in the package is
 * internal and may change in any release.
 */
export { createWsApp, type AppStats, type WsApp } from "./runtime/ws-app.js";
export { memoryBroker, type Broker, type BrokerStats } from "./runtime/broker.js";
export { defineModule, type WsModuleDefinition } from "./runtime/module.js";
export { WsRoute, type RouteDeclaration, type WsRouter } from "./runtime/route.js";
export type { RouteStats } from "./runtime/route-stats.js";
export type { PublishResult, TopicContext, TopicPublisher, TopicUpdater, WsRouteService } from "./runtime/service.js";
export { LiveTopics, type LiveTopic, type LiveTopicsHooks } from "./runtime/live-topics.js";
export { WsgenError, type ErrorContext, type WsgenErrorCode } from "./runtime/errors.js";
export { buildTopic } from "./protocol/topic.js";
export type { SlowConsumerPolicy, WsAppOptions } from "./runtime/app-options.js";
export { authenticated, type Authenticated, type AuthenticateResult } from "./runtime/authentication.js";
export type { AuthorizeHook, AuthorizeResult, SubscribeAttempt } from "./runtime/authorization.js";
export type { AsyncApiSecurityScheme } from "./runtime/asyncapi-security.js";
export type { RouteOptions } from "./runtime/route-options.js";
export type { LagPolicy } from "./runtime/lag-policy.js";
export type { ModuleStats } from "./runtime/endpoint.js";
export type { RateLimit } from "./runtime/token-bucket.js";
export type { AsyncApiOptions, AsyncApiVersion } from "./runtime/asyncapi.js";
export type { Envelope, ErrorCode, ErrorPayload, SubscriptionErrorCode, SubscriptionResponse, TopicUpdate } from "./protocol/messages.js";
export type { RecoveryFailureReason, StreamPosition } from "./protocol/positions.js";
