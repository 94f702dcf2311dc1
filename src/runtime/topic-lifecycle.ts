/**
 * TopicLifecycle: the state machine of one route's topics — who holds each
 * topic, and where its producer (the service's createTopic/removeTopic) is.
 *
 * A topic's producer goes through generations. Each generation is in one
 * named state:
 *
 *   creating  createTopic is running (after the previous generation's
 *             removeTopic settled). Holders that join wait for it.
 *   live      createTopic succeeded and the topic has holders.
 *   removing  the last holder left: removeTopic is running.
 *   ended     removeTopic settled, or createTopic failed.
 *
 *   (none) ──join──▶ creating ──created, holders > 0──▶ live
 *                       │ └─────created, no holder left──▶ removing
 *                       └──failed (every holder refused)──▶ ended
 *   live ──last holder leaves / shutdown──▶ removing ──removeTopic settled──▶ ended
 *   removing ──join──▶ a new generation, creating once removeTopic settled
 *
 * Every transition happens in `#transition`. The invariants, checked by the
 * property tests of tests/runtime-refcount.test.ts ("invariants under random
 * operation sequences"):
 *   1. createTopic and removeTopic of a topic alternate: a removal follows
 *      each successful creation exactly once, and a creation never overlaps
 *      the previous generation's removal.
 *   2. A topic has at most one generation that is creating or live.
 *   3. A topic with holders has a current generation that is creating or
 *      live; once its creation settled, a topic is live iff it has holders.
 *   4. Updates count only while their own generation is creating or live:
 *      a late update of an ended generation is dropped, never misdelivered.
 *   5. Shutdown resolves when every removal, superseded ones included, has
 *      settled; after it began no generation starts, and every one that was
 *      created is removed (one still creating at the timeout, once it settles).
 */
import { TopicIndex } from "./topic-index.js";

export type GenerationState = "creating" | "live" | "removing" | "ended";

/** One run of a topic's producer, from createTopic to removeTopic. */
export interface TopicGeneration {
  readonly topic: string;
  readonly state: GenerationState;
}

/** What the lifecycle asks of its route: run the service, and hear about its failures. */
export interface LifecycleHooks<Req> {
  /** Runs the service's createTopic for `generation`; a rejection refuses its holders. */
  create(generation: TopicGeneration, request: Req): Promise<void>;
  /** Runs the service's removeTopic; failures are the hook's to report (it must not reject). */
  remove(topic: string): Promise<void>;
  /** createTopic failed: every holder that waited for it was dropped. */
  onCreateFailed(topic: string, error: unknown): void;
}

class Generation implements TopicGeneration {
  state: GenerationState = "creating";
  /** Settles when createTopic has settled; rejects with its error. */
  created: Promise<void> = Promise.resolve();
  /** Settles when this generation has ended. */
  ended: Promise<void> = Promise.resolve();
  constructor(readonly topic: string) {}
}

/** Refuses a creation that was still waiting for a removal when shutdown began. */
class ShutDown extends Error {
  constructor() {
    super("the route is shutting down");
  }
}

export class TopicLifecycle<Req, Holder> {
  readonly #index = new TopicIndex<Holder>();
  /** Each topic's current generation, until it has ended. */
  readonly #current = new Map<string, Generation>();
  /** Every removeTopic in flight, including those of generations a new one has superseded. */
  readonly #removals = new Set<Promise<void>>();
  readonly #hooks: LifecycleHooks<Req>;
  #closed = false;

  constructor(hooks: LifecycleHooks<Req>) {
    this.#hooks = hooks;
  }

  /** True once shutdown began: no holder may join. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True when `holder` holds `topic` and the topic is live. */
  isLiveFor(topic: string, holder: Holder): boolean {
    return this.#index.has(topic, holder) && this.#current.get(topic)?.state === "live";
  }

  holds(topic: string, holder: Holder): boolean {
    return this.#index.has(topic, holder);
  }

  /**
   * Adds `holder` to `topic`, starting a generation when the topic has none
   * that is creating or live. Resolves when the topic is live; rejects with
   * createTopic's error (and `holder` is dropped) when it failed.
   */
  join(topic: string, request: Req, holder: Holder): Promise<void> {
    if (this.#closed) return Promise.reject(new ShutDown());
    this.#index.add(topic, holder);
    let generation = this.#current.get(topic);
    if (generation === undefined || generation.state === "removing") generation = this.#start(topic, request, generation);
    return generation.created;
  }

  /** Removes `holder` from `topic`. Returns false when it did not hold it. */
  leave(topic: string, holder: Holder): boolean {
    if (!this.#index.has(topic, holder)) return false;
    if (this.#index.delete(topic, holder)) this.#lastHolderLeft(topic);
    return true;
  }

  /** Removes `holder` from every topic it holds (on disconnect). */
  leaveAll(holder: Holder): void {
    for (const topic of this.#index.deleteHolder(holder)) this.#lastHolderLeft(topic);
  }

  /** Whether an update of `generation` may still be delivered. */
  accepts(generation: TopicGeneration): boolean {
    return generation.state === "creating" || generation.state === "live";
  }

  holders(topic: string): ReadonlySet<Holder> {
    return this.#index.holders(topic);
  }

  /** Number of topics `holder` holds. */
  heldBy(holder: Holder): number {
    return this.#index.topicsOf(holder).size;
  }

  /** Topics with at least one holder. */
  topics(): string[] {
    return [...this.#index.topics()];
  }

  get topicCount(): number {
    return this.#index.topicCount;
  }

  get subscriptionCount(): number {
    return this.#index.subscriptionCount;
  }

  /**
   * Refuses new holders, lets pending creations settle (for at most
   * `timeoutMs`), drops every holder, and resolves when every removal has
   * settled. A creation still pending after the timeout is removed when it
   * settles, as any creation left without holders is; a creation that was
   * still waiting for a removal never starts.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    this.#closed = true;
    const creating = [...this.#current.values()].filter((generation) => generation.state === "creating");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled(creating.map((generation) => generation.created)), timeout]);
    clearTimeout(timer);
    for (const topic of this.topics()) {
      this.#index.deleteTopic(topic);
      this.#lastHolderLeft(topic);
    }
    await Promise.all(this.#removals);
  }

  /** A new generation of `topic`; it creates once `previous` (being removed) has ended. */
  #start(topic: string, request: Req, previous: Generation | undefined): Generation {
    const generation = new Generation(topic);
    this.#current.set(topic, generation);
    generation.created = (async () => {
      if (previous !== undefined) await previous.ended;
      if (this.#closed) throw new ShutDown();
      await this.#hooks.create(generation, request);
    })();
    generation.created.then(
      () => this.#transition(generation, this.#index.holders(topic).size > 0 ? "live" : "removing"),
      (error: unknown) => {
        this.#transition(generation, "ended");
        // Every holder joined while this creation was pending; none keeps the topic.
        this.#index.deleteTopic(topic);
        if (!(error instanceof ShutDown)) this.#hooks.onCreateFailed(topic, error);
      },
    );
    // A rejection is each joiner's to handle; the lifecycle itself has handled it above.
    generation.created.catch(() => undefined);
    return generation;
  }

  #lastHolderLeft(topic: string): void {
    const generation = this.#current.get(topic);
    // A creating generation is removed when its creation settles and finds no holder.
    if (generation?.state === "live") this.#transition(generation, "removing");
  }

  /** The one place a generation changes state, with what each state entered does. */
  #transition(generation: Generation, next: GenerationState): void {
    generation.state = next;
    if (next === "removing") {
      const removal = this.#hooks.remove(generation.topic).then(() => {
        this.#removals.delete(removal);
        this.#transition(generation, "ended");
      });
      this.#removals.add(removal);
      generation.ended = removal;
    }
    if (next === "ended" && this.#current.get(generation.topic) === generation) this.#current.delete(generation.topic);
  }
}
