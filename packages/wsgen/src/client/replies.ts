/**
 * Requests awaiting their reply, by envelope id. Each resolves with the
 * reply's payload, or with undefined when no reply will come: the connection
 * was lost, or the timeout passed (the caller decides what that means: a
 * subscription is resent on reconnect).
 *
 * @module
 */
import type { Issue } from "./errors.js";

/** The payload of a `*.response`, as far as the client reads it. */
export type ReplyPayload = { status?: string; message?: string; topic?: string; errors?: Issue[] };

type PendingReply = { resolve: (payload: ReplyPayload | undefined) => void; timer: ReturnType<typeof setTimeout> };

export class PendingReplies {
  readonly #pending = new Map<string, PendingReply>();
  #nextId = 0;

  /** A fresh id for a request, and the promise of its reply. */
  expect(timeoutMs: number): { id: string; reply: Promise<ReplyPayload | undefined> } {
    const id = `c${++this.#nextId}`;
    const reply = new Promise<ReplyPayload | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.#pending.set(id, { resolve, timer });
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
