/**
 * The callers of `WsClient.until(state)` waiting for a connection state: each
 * resolves when the state is entered, or rejects when the client stops
 * (closed or refused) first.
 *
 * @module
 */
import type { ConnectionState } from "./client-options.js";

export class StateWaiters {
  readonly #waiters = new Set<(state: ConnectionState) => void>();

  /** Waits for `state`; `stopped` says, on each change, the error the client stopped with, if it did. */
  wait(state: ConnectionState, stopped: () => Error | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (current: ConnectionState): void => {
        const error = current === state ? undefined : stopped();
        if (current !== state && error === undefined) return;
        this.#waiters.delete(check);
        if (error === undefined) resolve();
        else reject(error);
      };
      this.#waiters.add(check);
    });
  }

  /** The state entered now. */
  entered(state: ConnectionState): void {
    for (const waiter of [...this.#waiters]) waiter(state);
  }
}
