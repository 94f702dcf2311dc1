/**
 * The wire protocol of DESIGN.md: JSON text frames `{type, payload?, id?}`.
 * Shared by the server runtime and the client, so both agree on names.
 */
import type { z } from "zod";

export interface Envelope<Type extends string = string, Payload = unknown> {
  type: Type;
  payload?: Payload;
  id?: string;
}

export type SubscriptionStatus = "ok" | "error";

/** Payload of `{route}.subscribe.response` and `{route}.unsubscribe.response`. */
export interface SubscriptionResponse {
  status: SubscriptionStatus;
  message: string;
  /** The topic the request names; `""` when the request did not validate. */
  topic: string;
  /** The zod issues, when the request did not validate. */
  errors?: z.core.$ZodIssue[];
}

/** Payload of `{route}.update`. */
export interface TopicUpdate<Data> {
  topic: string;
  payload: Data;
}

export type ErrorCode = "invalid_message" | "unknown_operation" | "rate_limited" | "internal_error";

/** Payload of `error`, for frames that name no valid operation. */
export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** WebSocket close codes the runtime uses, per DESIGN.md. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003,
  policyViolation: 1008,
  messageTooBig: 1009,
  tryAgainLater: 1013,
  maxLifespan: 4000,
} as const;

export const Operation = {
  subscribe: "subscribe",
  unsubscribe: "unsubscribe",
  update: "update",
  response: "response",
} as const;

export const subscribeType = (route: string): string => `${route}.subscribe`;
export const unsubscribeType = (route: string): string => `${route}.unsubscribe`;
export const responseType = (requestType: string): string => `${requestType}.response`;
export const updateType = (route: string): string => `${route}.update`;

export type ParsedFrame = { ok: true; envelope: Envelope } | { ok: false; error: ErrorPayload; id?: string };

/** Parses a text frame into an envelope, or says why it is not one. */
export function parseFrame(text: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      error: {
        code: "invalid_message",
        message: `Frame is not valid JSON (${(error as Error).message}). Send {"type": string, "payload"?: any, "id"?: string}.`,
      },
    };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      ok: false,
      error: {
        code: "invalid_message",
        message: 'Frame is not an envelope object. Send {"type": string, "payload"?: any, "id"?: string}.',
      },
    };
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
  return { ok: true, envelope };
}

/** Serializes an envelope; `id` is included only when given. */
export function encodeFrame(type: string, payload?: unknown, id?: string): string {
  const envelope: Envelope = payload === undefined ? { type } : { type, payload };
  if (id !== undefined) envelope.id = id;
  return JSON.stringify(envelope);
}
