/**
 * Deferred: a promise settled from outside, that knows whether it has
 * settled, and whose rejection never goes unhandled (nobody may be waiting).
 *
 * @module
 */
export interface Deferred {
  promise: Promise<void>;
  settled: boolean;
  resolve(): void;
  reject(error: Error): void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Nobody may be awaiting (every handler left): a rejection must not go unhandled.
  promise.catch(() => undefined);
  const result: Deferred = {
    promise,
    settled: false,
    resolve: () => {
      result.settled = true;
      resolve();
    },
    reject: (error) => {
      result.settled = true;
      reject(error);
    },
  };
  return result;
}

/** Waits for `promise`, or rejects with `timedOut()` after `ms` milliseconds; the timer never outlives the wait. */
export async function within(promise: Promise<void>, ms: number, timedOut: () => Error): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(timedOut()), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
