/**
 * UpdateQueue: the bounded buffer between a service calling `topicUpdate`
 * and the fan-out to subscribers.
 *
 * `push` never throws and never blocks the producer: when the queue is full
 * the oldest pending update is dropped and counted (a live feed values the
 * newest data). Draining happens on a later macrotask, in batches, so a burst
 * of updates from one synchronous loop costs one wake-up.
 */
export interface UpdateQueueOptions<Item> {
  /** Maximum number of pending items; default 1000. */
  capacity?: number;
  /** Called with each item, in order, when the queue drains. */
  deliver: (item: Item) => void;
  /** Called when `deliver` throws; the queue keeps draining. */
  onDeliverError?: (error: unknown, item: Item) => void;
}

export const DEFAULT_QUEUE_CAPACITY = 1000;

export class UpdateQueue<Item> {
  readonly capacity: number;
  #items: (Item | undefined)[];
  #head = 0;
  #size = 0;
  #dropped = 0;
  #scheduled = false;
  #closed = false;
  readonly #deliver: (item: Item) => void;
  readonly #onDeliverError: (error: unknown, item: Item) => void;

  constructor(options: UpdateQueueOptions<Item>) {
    const capacity = options.capacity ?? DEFAULT_QUEUE_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`UpdateQueue capacity must be a positive integer, got ${String(capacity)}`);
    }
    this.capacity = capacity;
    // A ring buffer: drop-oldest is O(1) and the array never grows past capacity.
    this.#items = new Array<Item | undefined>(capacity);
    this.#deliver = options.deliver;
    this.#onDeliverError = options.onDeliverError ?? (() => undefined);
  }

  /** Pending items. */
  get size(): number {
    return this.#size;
  }

  /** Items dropped because the queue was full, since creation. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Enqueues `item`; drops the oldest pending item when full. Returns false if the queue is closed. */
  push(item: Item): boolean {
    if (this.#closed) return false;
    if (this.#size === this.capacity) {
      this.#items[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.capacity;
      this.#size -= 1;
      this.#dropped += 1;
    }
    this.#items[(this.#head + this.#size) % this.capacity] = item;
    this.#size += 1;
    this.#schedule();
    return true;
  }

  /** Delivers every pending item now, synchronously. */
  drain(): void {
    this.#scheduled = false;
    while (this.#size > 0) {
      const item = this.#items[this.#head] as Item;
      this.#items[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.capacity;
      this.#size -= 1;
      try {
        this.#deliver(item);
      } catch (error) {
        this.#onDeliverError(error, item);
      }
    }
  }

  /** Discards pending items and refuses new ones. */
  close(): void {
    this.#closed = true;
    this.#items = new Array<Item | undefined>(this.capacity);
    this.#head = 0;
    this.#size = 0;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // setImmediate rather than a microtask: the producer's synchronous burst
    // lands in the queue first (so overflow really drops the oldest), and I/O
    // gets a turn between batches.
    setImmediate(() => {
      if (this.#scheduled) this.drain();
    });
  }
}
