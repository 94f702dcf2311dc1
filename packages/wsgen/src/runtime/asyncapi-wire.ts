/**
 * The wire shapes that every module's AsyncAPI document states the same way
 * (docs/protocol.md): the subscription response, the error payload, a
 * route's update with its stream position, the `since` a subscribe may
 * carry, and the delivery guarantee in words with a route's history policy.
 * Codes and reasons come from the protocol owner, so the documents cannot
 * list other ones than the runtime sends.
 */
import { ERROR_CODES, SUBSCRIPTION_ERROR_CODES } from "../protocol/messages.js";
import { MAX_EPOCH_LENGTH, RECOVERY_FAILURE_REASONS } from "../protocol/positions.js";
import type { LagPolicy } from "./lag-policy.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A route's history, latest-value, linger and lag options, resolved (WsRoute's `deliveryPolicy`). */
export interface DeliveryPolicy {
  historySize: number;
  historyMaxBytes: number;
  historyTtlMs: number;
  latestValue: boolean;
  lingerMs: number;
  lagPolicy: LagPolicy;
}

/** What each lag policy does to a subscriber whose reader fell more than the app's `maxLagMs` behind, in words. */
const LAG_POLICY_WORDS: Readonly<Record<LagPolicy, string>> = {
  conflate:
    "Lag policy: conflate. A subscriber that falls more than maxLagMs behind (measured by protocol ping/pong, so what sits in the network counts) is sent nothing of this route until it has caught up, then only the newest update of each topic: the seq gap says how many it skipped.",
  skip: "Lag policy: skip. A subscriber that falls more than maxLagMs behind (measured by protocol ping/pong, so what sits in the network counts) is sent nothing of this route until it has caught up, then every update it missed, from the history, when it still holds them all; otherwise only the newest one, and the seq gap says how many it missed.",
  close:
    "Lag policy: close. A subscriber that falls more than maxLagMs behind (measured by protocol ping/pong, so what sits in the network counts) is closed with 1013 (try again later); it resubscribes with since.",
};

const seqSchema: JsonObject = {
  type: "integer",
  minimum: 0,
  description: "Position in the topic's stream: 1 for its first update, +1 for each after it (0: no update yet).",
};
const epochSchema: JsonObject = {
  type: "string",
  minLength: 1,
  maxLength: MAX_EPOCH_LENGTH,
  description: "The stream's identity; it changes whenever continuity is lost (server restart, history gone). Compare, never parse.",
};

/** `since`, beside `payload` in a subscribe envelope. */
export const sinceSchema: JsonObject = {
  type: "object",
  required: ["epoch", "seq"],
  additionalProperties: false,
  description:
    "The last position the client holds of the topic. The response then says `recovered`: true, and every update after it follows in order; or false with a `reason`, and nothing is replayed.",
  properties: { epoch: epochSchema, seq: seqSchema },
};

/** A route's `{route}.update` payload, around the schema of its data model. */
export function updateSchema(data: JsonObject): JsonObject {
  return {
    type: "object",
    required: ["topic", "payload", "seq", "epoch"],
    properties: {
      topic: { type: "string", description: "The topic this update belongs to." },
      payload: data,
      seq: { ...seqSchema, minimum: 1 },
      epoch: epochSchema,
    },
  };
}

export const subscriptionResponseSchema: JsonObject = {
  type: "object",
  required: ["status", "message", "topic"],
  properties: {
    status: { type: "string", enum: ["ok", "error"] },
    code: {
      type: "string",
      enum: [...SUBSCRIPTION_ERROR_CODES],
      description: 'Why the request was refused, when status is "error"; "forbidden" when authorization refused it.',
    },
    message: { type: "string" },
    topic: { type: "string", description: 'route + ":" + canonical JSON of the parsed request; "" when the request did not validate.' },
    errors: { type: "array", description: "zod issues, when the request did not validate.", items: { type: "object" } },
    seq: {
      ...seqSchema,
      description: "On an ok subscribe: the topic's position when the subscription started (its last update then; 0 when none).",
    },
    epoch: { ...epochSchema, description: "On an ok subscribe, with seq: the epoch of the topic's stream." },
    recovered: {
      type: "boolean",
      description: "When the subscribe sent since: true if every update after it follows, in order, before any newer one.",
    },
    reason: {
      type: "string",
      enum: [...RECOVERY_FAILURE_REASONS],
      description:
        "With recovered: false: epoch (another stream: the server restarted, or the topic had no subscriber for longer than its route's linger), trimmed (past the history's size), expired (past its age), ahead (since is past the last update), too_large (the replay does not fit what the connection may still buffer, its high-water mark; never sent in part).",
    },
  },
};

export const errorPayloadSchema: JsonObject = {
  type: "object",
  required: ["code", "message"],
  properties: {
    code: { type: "string", enum: [...ERROR_CODES] },
    message: { type: "string" },
    details: {},
  },
};

const GUARANTEE =
  "Delivery: each topic is one stream in total order (seq 1, 2, …, in one epoch); no update reaches a subscriber before its subscribe response. A resubscribe with since gets every missed update while they are in the history, in order and without duplicates; otherwise, or when the replay would not fit the connection's buffer, it is told (recovered: false, reason) and nothing is replayed: never a partial replay. An update the server had to drop keeps its seq, so the gap shows.";

/** The guarantee in words, and the route's own policy when it is known. */
export function deliveryDescription(policy: DeliveryPolicy | undefined): string {
  if (policy === undefined) return GUARANTEE;
  const history =
    policy.historySize === 0
      ? "History: none (a resubscribe recovers only when nothing was published meanwhile)."
      : `History: the last ${policy.historySize} updates per topic, at most ${policy.historyMaxBytes} bytes, each for ${policy.historyTtlMs} ms.`;
  const linger =
    policy.lingerMs > 0
      ? `Linger: a topic's producer and stream stay alive for ${policy.lingerMs} ms after its last subscriber leaves, so a client that was its only subscriber recovers when it resubscribes within that time; then the stream ends and the next subscriber starts a new epoch.`
      : "Linger: none; a topic's stream ends when its last subscriber leaves (its producer stops): the next subscriber starts a new epoch, so recovery needs another subscriber holding the topic meanwhile.";
  const latest = policy.latestValue
    ? "Latest value: a new subscriber gets the topic's latest update right after its subscribe response, at the response's seq."
    : "Latest value: not sent; a new subscriber sees the next update.";
  return `${GUARANTEE} ${history} ${linger} ${latest} ${LAG_POLICY_WORDS[policy.lagPolicy]}`;
}
