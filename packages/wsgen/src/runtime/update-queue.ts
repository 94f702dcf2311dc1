/**
 * UpdateQueue: the bounded buffer between a service calling `topicUpdate`
 * and the fan-out to subscribers.
 *
 * `push` never throws and never blocks the producer: when the queue is full
 * the oldest pending update is dropped and counted (a live feed values the
 * newest data). Draining happens on a later macrotask and hands over every
 * pending item at once, so a burst from one synchronous loop costs one
 * wake-up and can be written as one batch.
 */
import { checkInRange, checkPositiveInteger } from "./option-checks.js";
import { ROUTE_DEFAULTS } from "./route-options.js";

export interface UpdateQueueOptions<Item> {
  /** Maximum number of pending items. @default 1000 (a route's `queueCapacity`) */
  capacity?: number;
  /**
   * Milliseconds that must pass between the starts of two drains (to the
   * timer's 1 ms resolution); items pushed sooner wait and drain together.
   * An idle queue drains at once.
   * @default 0 (a route's `batchWindowMs`)
   */
  batchWindowMs?: number;
  /** Called with every pending item, in order, each time the queue drains. */
  deliver: (items: readonly Item[]) => void;
  /** Called when `deliver` throws; later items are still delivered. */
  onDeliverError?: (error: unknown, items: readonly Item[]) => void;
  /** Called with each item dropped because the queue was full, when it is dropped. */
  onDrop?: (item: Item) => void;
}

export class UpdateQueue<Item> {
  readonly capacity: number;
  #items: (Item | undefined)[];
  #head = 0;
  #size = 0;
  #dropped = 0;
  #scheduled = false;
  #lastDrain = -Infinity;
  /** The batch-window timer, so close() can cancel it instead of keeping the process alive. */
  #timer: NodeJS.Timeout | undefined;
  readonly #batchWindowMs: number;
  #closed = false;
  readonly #deliver: (items: readonly Item[]) => void;
  readonly #onDeliverError: (error: unknown, items: readonly Item[]) => void;
  readonly #onDrop: ((item: Item) => void) | undefined;

  constructor(options: UpdateQueueOptions<Item>) {
    // Named as the route options that feed them, since that is where a user sets them.
    this.capacity = checkPositiveInteger("queueCapacity", options.capacity ?? ROUTE_DEFAULTS.queueCapacity);
    this.#batchWindowMs = checkInRange("batchWindowMs", options.batchWindowMs ?? ROUTE_DEFAULTS.batchWindowMs, 0, 1_000);
    // A ring buffer: drop-oldest is O(1) and the array never grows past capacity.
    this.#items = new Array<Item | undefined>(this.capacity);
    this.#deliver = options.deliver;
    this.#onDeliverError = options.onDeliverError ?? (() => undefined);
    this.#onDrop = options.onDrop;
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
      this.#onDrop?.(this.#items[this.#head] as Item);
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

  /** Delivers every pending item now, synchronously, as one batch. */
  drain(): void {
    this.#scheduled = false;
    this.#cancelTimer();
    this.#lastDrain = performance.now();
    if (this.#size === 0) return;
    const batch = new Array<Item>(this.#size);
    for (let i = 0; i < batch.length; i++) {
      batch[i] = this.#items[this.#head] as Item;
      this.#items[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.capacity;
    }
    this.#size = 0;
    try {
      this.#deliver(batch);
    } catch (error) {
      this.#onDeliverError(error, batch);
    }
  }

  /** Discards pending items and refuses new ones. */
  close(): void {
    this.#closed = true;
    this.#scheduled = false;
    this.#cancelTimer();
    this.#items = new Array<Item | undefined>(this.capacity);
    this.#head = 0;
    this.#size = 0;
  }

  #cancelTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    const drain = (): void => {
      if (this.#scheduled) this.drain();
    };
    // A drain that comes too soon after the last one waits out the window, so
    // a fast producer's updates share writes; otherwise setImmediate rather
    // than a microtask: the producer's synchronous burst lands in the queue
    // first (so overflow really drops the oldest), and I/O gets a turn.
    const wait = this.#lastDrain + this.#batchWindowMs - performance.now();
    if (wait > 0) this.#timer = setTimeout(drain, wait);
    else setImmediate(drain);
  }
}
