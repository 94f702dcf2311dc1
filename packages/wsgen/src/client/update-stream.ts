/**
 * A subscription as an async iterable (`stream()` and `events()` of the
 * typed client): items are buffered until the loop reads them, at most
 * `capacity` of them (the oldest dropped first, counted in `dropped`: a loop
 * that falls that far behind is told, not left to guess); leaving the loop
 * unsubscribes; a subscription that ends with an error (a refused
 * resubscription) throws from the loop, one ended by `close()` ends it.
 *
 * @module
 */
import type { Subscription } from "./subscription.js";

/** An async iterable of updates that can also be ended from outside the loop. */
export interface UpdateStream<Item> extends AsyncIterable<Item> {
  readonly topic: Promise<string>;
  /** Items dropped, oldest first, because more than `buffer` were waiting for the loop. */
  readonly dropped: number;
  close(): Promise<void>;
}

/** Subscribes with `push` as the handler of every item and `onEnd` told when the subscription ends. */
export type StreamSource<Item> = (push: (item: Item) => void, onEnd: (error?: Error) => void) => Promise<Subscription>;

export function createStream<Item>(subscribe: StreamSource<Item>, capacity: number): UpdateStream<Item> {
  const buffer: Item[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  let failure: Error | undefined;
  let iterated = false;
  let dropped = 0;
  const subscription = subscribe(
    (item) => {
      buffer.push(item);
      if (buffer.length > capacity) {
        buffer.shift();
        dropped += 1;
      }
      wake?.();
    },
    (error) => {
      // The client closed (the loop ends) or refused a resubscription (the loop throws).
      done = true;
      failure = error;
      wake?.();
    },
  );
  const topic = subscription.then((active) => active.topic);
  // Whoever iterates sees a refusal thrown from the loop; the derived promise must not also go unhandled.
  topic.catch(() => undefined);
  const close = async (): Promise<void> => {
    done = true;
    wake?.();
    await (await subscription).unsubscribe();
  };
  return {
    topic,
    get dropped() {
      return dropped;
    },
    close,
    async *[Symbol.asyncIterator]() {
      if (iterated) throw new TypeError("a stream can be iterated once; call stream() again for another loop");
      iterated = true;
      await subscription; // surfaces a refused subscription as a throw from the loop
      try {
        for (;;) {
          if (buffer.length > 0) {
            yield buffer.shift() as Item; // not undefined: the buffer was not empty (an item itself may be undefined)
            continue;
          }
          if (done) break;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
        if (failure !== undefined) throw failure;
      } finally {
        if (!done) await close();
      }
    },
  };
}
