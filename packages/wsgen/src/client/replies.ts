/**
 * Requests awaiting their reply, by envelope id. Each resolves with the
 * reply's payload, or with undefined when no reply will come: the connection
 * was lost, or the timeout passed (the caller decides what that means: a
 * subscription is resent on reconnect).
 *
 * @module
 */
import { operationType, type RouteOperation } from "../protocol/messages.js";
import { WsRequestError, type Issue } from "./errors.js";

/** The payload of a `*.response`, as far as the client reads it. */
export type ReplyPayload = {
  status?: string;
  message?: string;
  topic?: string;
  errors?: Issue[];
  /** A subscribe's position and recovery (docs/protocol.md, "Delivery"); read by subscription-position.ts. */
  seq?: unknown;
  epoch?: unknown;
  recovered?: unknown;
  reason?: unknown;
};

/** Told of the reply at once, before the next frame is read: updates right behind a subscribe response depend on it. */
export type OnReply = (payload: ReplyPayload | undefined) => void;

/** The error a `*.response` of status "error" to `operation` on `route` stands for (its topic, else `topic`). */
export function refusedBy(route: string, operation: RouteOperation, reply: ReplyPayload, topic: string): WsRequestError {
  return new WsRequestError(operationType(route, operation), reply.message ?? "refused", reply.topic ?? topic, reply.errors ?? []);
}

type PendingReply = { resolve: OnReply; timer: ReturnType<typeof setTimeout> };

export class PendingReplies {
  readonly #pending = new Map<string, PendingReply>();
  #nextId = 0;

  /** A fresh id for a request, and the promise of its reply. */
  expect(timeoutMs: number, onReply?: OnReply): { id: string; reply: Promise<ReplyPayload | undefined> } {
    const id = `c${++this.#nextId}`;
    const reply = new Promise<ReplyPayload | undefined>((resolve) => {
      const settle: OnReply = (payload) => {
        onReply?.(payload);
        resolve(payload);
      };
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        settle(undefined);
      }, timeoutMs);
      this.#pending.set(id, { resolve: settle, timer });
    });
    return { id, reply };
  }

  /** Settles the request `id` with `payload`; ignored when none waits for it (answered after its timeout). */
  settle(id: string, payload: ReplyPayload): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(payload);
  }

  /** No reply can come any more: every waiting request resolves with undefined. */
  abandon(): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.resolve(undefined);
    }
    this.#pending.clear();
  }
}
