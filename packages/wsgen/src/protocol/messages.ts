/**
 * The messages of the protocol (docs/protocol.md): JSON text frames
 * `{type, payload?, id?}`, the operation names built from a route's name,
 * the payload shapes, and the error and close codes. The server runtime, the
 * client and the AsyncAPI writer all take names and shapes from here; no
 * other file spells an operation.
 *
 * Browser-safe: no Node imports.
 */
import type { z } from "zod";
import type { RecoveryFailureReason, StreamPosition } from "./positions.js";

export interface Envelope<Type extends string = string, Payload = unknown> {
  type: Type;
  payload?: Payload;
  id?: string;
  /**
   * On `{route}.subscribe` only: the last position (a `StreamPosition`) the
   * client holds of the topic, beside the payload (which stays the route's
   * request model). Unknown as parsed: the route checks its shape.
   */
  since?: unknown;
}

const ROUTE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Route names prefix operation types and topics: a letter, then letters, digits, `_` or `-`. */
export function isRouteName(name: unknown): name is string {
  return typeof name === "string" && ROUTE_NAME.test(name);
}

/** What a client may ask of a route. */
export type RouteOperation = "subscribe" | "unsubscribe";
export const ROUTE_OPERATIONS: readonly RouteOperation[] = ["subscribe", "unsubscribe"];

/** `orders.subscribe`, `orders.unsubscribe`. */
export const operationType = (route: string, operation: RouteOperation): string => `${route}.${operation}`;
/** `orders.subscribe.response`: the answer to a request of type `requestType`. */
export const responseType = (requestType: string): string => `${requestType}.response`;
/** `orders.update`. */
export const updateType = (route: string): string => `${route}.update`;

export const isResponseType = (type: string): boolean => type.endsWith(".response");
export const isUpdateType = (type: string): boolean => type.endsWith(".update");

/** Frame types that belong to no route. */
export const MessageType = { ping: "ping", pong: "pong", error: "error" } as const;

export type SubscriptionStatus = "ok" | "error";

/**
 * Every `code` of a `*.response` with `status: "error"`: why the subscribe
 * or unsubscribe was refused. `forbidden` is the authorization contract's.
 */
export const SUBSCRIPTION_ERROR_CODES = [
  "invalid_request",
  "invalid_since",
  "forbidden",
  "subscription_limit",
  "subscription_refused",
  "not_subscribed",
  "shutting_down",
  "internal_error",
] as const;
export type SubscriptionErrorCode = (typeof SUBSCRIPTION_ERROR_CODES)[number];

/** Payload of `{route}.subscribe.response` and `{route}.unsubscribe.response`. */
export interface SubscriptionResponse {
  status: SubscriptionStatus;
  /** Why it was refused; present exactly when `status` is `"error"`. */
  code?: SubscriptionErrorCode;
  message: string;
  /** The topic the request names; `""` when the request did not validate. */
  topic: string;
  /** The zod issues, when the request did not validate. */
  errors?: z.core.$ZodIssue[];
  /**
   * With `status: "ok"` on a subscribe: the topic's position when the
   * subscription started (its last update then; 0 when none). Every later
   * update follows as `{route}.update`, and nothing older does, except the
   * latest value (at exactly this `seq`) and a recovered replay.
   */
  seq?: number;
  /** With `seq`: the epoch of the topic's stream. */
  epoch?: string;
  /** Present when the subscribe sent `since`: whether every update after it follows, in order. */
  recovered?: boolean;
  /** With `recovered: false`: why nothing was replayed. */
  reason?: RecoveryFailureReason;
}

/** Payload of `{route}.update`: the data, and its position in the topic's stream. */
export interface TopicUpdate<Data> {
  topic: string;
  payload: Data;
  /** 1 for the topic stream's first update, +1 for each after it. */
  seq: number;
  /** Changes whenever the stream's continuity is lost; compare it, never parse it. */
  epoch: string;
}

/** Every `code` of an `error` frame. */
export const ERROR_CODES = ["invalid_message", "unknown_operation", "internal_error"] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Payload of `error`, for frames that name no valid operation. */
export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** WebSocket close codes the runtime uses. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003,
  policyViolation: 1008,
  messageTooBig: 1009,
  tryAgainLater: 1013,
  maxLifespan: 4000,
  /** The expiry `authenticate` gave passed: reconnect with fresh credentials. */
  credentialsExpired: 4001,
} as const;

/**
 * The reason texts the runtime closes with, beside their codes. The client
 * reads `rateLimit` and `tooManyQueued` to tell a 1008 for flooding from a
 * 1008 that refuses the connection's credentials.
 */
export const CloseReason = {
  serverShutdown: "server shutdown",
  binaryFrame: "binary frames are not supported; send JSON text frames",
  rateLimit: "rate limit exceeded",
  tooManyQueued: "too many operations waiting for an answer",
  slowConsumer: "slow consumer",
  maxLifespan: "max connection lifespan",
  credentialsExpired: "credentials expired",
} as const;

/** The 1008 reasons that say the connection sent too much, not that its credentials were refused. */
export const FLOODING_CLOSE_REASONS: readonly string[] = [CloseReason.rateLimit, CloseReason.tooManyQueued];

export type ParsedEnvelope = { ok: true; envelope: Envelope } | { ok: false; error: ErrorPayload; id?: string };

const ENVELOPE_SHAPE = 'Send {"type": string, "payload"?: any, "id"?: string, "since"?: {"epoch": string, "seq": integer}}.';

/** Parses a text frame into an envelope, or says why it is not one. */
export function parseEnvelope(text: string): ParsedEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      error: { code: "invalid_message", message: `Frame is not valid JSON (${(error as Error).message}). ${ENVELOPE_SHAPE}` },
    };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: { code: "invalid_message", message: `Frame is not an envelope object. ${ENVELOPE_SHAPE}` } };
  }
  const record = value as Record<string, unknown>;
  const id = typeof record.id === "string" ? record.id : undefined;
  if (record.id !== undefined && id === undefined) {
    return { ok: false, error: { code: "invalid_message", message: 'Envelope "id" must be a string when present.' } };
  }
  if (typeof record.type !== "string" || record.type.length === 0) {
    return {
      ok: false,
      id,
      error: { code: "invalid_message", message: 'Envelope needs a non-empty string "type", such as "bars.subscribe".' },
    };
  }
  const envelope: Envelope = { type: record.type };
  if ("payload" in record) envelope.payload = record.payload;
  if (id !== undefined) envelope.id = id;
  // Passed on unchecked: a bad `since` is the subscribe's to refuse, naming its route and request id.
  if ("since" in record) envelope.since = record.since;
  return { ok: true, envelope };
}

/** Serializes an envelope; `payload`, `id` and `since` (a subscribe's held position) are included only when given. */
export function encodeEnvelope(type: string, payload?: unknown, id?: string, since?: StreamPosition): string {
  const envelope: Envelope = payload === undefined ? { type } : { type, payload };
  if (id !== undefined) envelope.id = id;
  if (since !== undefined) envelope.since = { epoch: since.epoch, seq: since.seq };
  return JSON.stringify(envelope);
}

/** Encodes one update of a route: its topic, its data and its position. */
export type UpdateEncoder = (topic: string, payload: unknown, position: StreamPosition) => string;

/**
 * Encodes `{route}.update` frames for one route: the same text as
 * `encodeEnvelope(updateType(route), {topic, payload, seq, epoch})`, with the
 * constant head serialized once, since this runs once per published update
 * (and once for all of the topic's subscribers: the position is the topic's).
 */
export function updateEncoder(route: string): UpdateEncoder {
  const framing = updateFraming(route);
  return (topic, payload, position) => `${framing.before(topic)}${JSON.stringify(payload)}${framing.after(position)}`;
}

/**
 * The text around an update's data in its `{route}.update` frame: what
 * updateEncoder writes, for data that is JSON already (an update that came
 * from another process as bytes is framed without being parsed).
 */
export function updateFraming(route: string): { before(topic: string): string; after(position: StreamPosition): string } {
  const head = `{"type":${JSON.stringify(updateType(route))},"payload":{"topic":`;
  return {
    before: (topic) => `${head}${JSON.stringify(topic)},"payload":`,
    after: ({ seq, epoch }) => `,"seq":${seq},"epoch":${JSON.stringify(epoch)}}}`,
  };
}
