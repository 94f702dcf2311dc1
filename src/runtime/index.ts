export { buildMergedAsyncApi, buildModuleAsyncApi, moduleTitle, ASYNCAPI_VERSIONS } from "./asyncapi.js";
export type { AsyncApiOptions, AsyncApiVersion, ModuleSpec, RouteSpec } from "./asyncapi.js";
export { renderAsyncApiPage } from "./asyncapi-viewer.js";
export { Connection } from "./connection.js";
export { LiveTopics } from "./live-topics.js";
export type { LiveTopic, LiveTopicsHooks } from "./live-topics.js";
export type { SlowConsumerPolicy } from "./connection.js";
export { WsgenError } from "./errors.js";
export type { WsgenErrorCode } from "./errors.js";
export { CloseCode, encodeFrame, parseFrame, responseType, subscribeType, unsubscribeType, updateType } from "./protocol.js";
export type { Envelope, ErrorCode, ErrorPayload, SubscriptionResponse, SubscriptionStatus, TopicUpdate } from "./protocol.js";
export { isRouteName, WsRoute } from "./route.js";
export type {
  RouteStats,
  Subscriber,
  TopicContext,
  TopicUpdater,
  WsRouteOptions,
  WsRouter,
  WsRouterOptions,
  WsRouteSchemas,
  WsRouteService,
} from "./route.js";
export { buildTopic, canonicalJson, topicRoute } from "./topic.js";
export { TopicIndex } from "./topic-index.js";
export { TokenBucket } from "./token-bucket.js";
export type { RateLimit } from "./token-bucket.js";
export { encodeTextFrame, joinFrames } from "./frame.js";
export type { EncodedFrames } from "./frame.js";
export { DEFAULT_QUEUE_CAPACITY, UpdateQueue } from "./update-queue.js";
export type { UpdateQueueOptions } from "./update-queue.js";
export { API_PREFIX, createWsApp, defineModule, isModuleName, WsApp } from "./ws-app.js";
export type { WsAppOptions, WsAppStats } from "./ws-app.js";
export type { AnyRoute, EndpointStats, WsModuleDefinition } from "./endpoint.js";
export { WsEndpoint } from "./endpoint.js";
