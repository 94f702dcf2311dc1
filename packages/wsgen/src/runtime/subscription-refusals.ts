/**
 * The `*.response` payloads that refuse a subscribe or unsubscribe, each
 * with its `code` (protocol/messages.ts, SUBSCRIPTION_ERROR_CODES).
 */
import type { z } from "zod";
import type { SubscriptionErrorCode, SubscriptionResponse } from "../protocol/messages.js";

export function refused(code: SubscriptionErrorCode, message: string, topic: string): SubscriptionResponse {
  return { status: "error", code, message, topic };
}

/** Why a request names no topic (see `WsRoute.parseRequest`). */
export type RequestFailure = { error: z.ZodError } | { shape: string } | { notJson: string };

export function invalidRequest(failure: RequestFailure): SubscriptionResponse {
  if ("shape" in failure) return refused("invalid_request", `invalid request: ${failure.shape}`, "");
  if ("notJson" in failure) return refused("invalid_request", `invalid request: ${failure.notJson}`, "");
  const { issues } = failure.error;
  return { status: "error", code: "invalid_request", message: `invalid request: ${issues.length} issue(s)`, topic: "", errors: issues };
}
