/**
 * TopicLifecycle: the state machine of one route's topics — who holds each
 * topic, and where its producer (the service's createTopic/removeTopic) is.
 *
 * A topic's producer goes through generations. Each generation is in one
 * named state:
 *
 *   waiting   holders joined while the previous generation was removing:
 *             createTopic waits for that removeTopic to settle.
 *   creating  createTopic is running. Holders that join wait for it.
 *   live      createTopic succeeded and the topic has holders.
 *   lingering the last holder left a live generation of a route with a
 *             linger (`lingerMs` > 0): its producer keeps running and its
 *             stream keeps its epoch for that long, so a holder that comes
 *             back (a reconnect) rejoins it without a createTopic.
 *   removing  the last holder left (after the linger, if any): removeTopic is running.
 *   ended     removeTopic settled, createTopic failed, or a waiting
 *             generation was given up (no holder left, or shutdown).
 *
 *   (none) ──join──▶ creating ──created, holders > 0──▶ live
 *                       │ └─────created, no holder left──▶ removing
 *                       └──failed (every holder refused)──▶ ended
 *   live ──last holder leaves / shutdown──▶ removing ──removeTopic settled──▶ ended
 *   live ──last holder leaves, lingerMs > 0──▶ lingering ──join──▶ live
 *                                                 └──linger ran out / shutdown──▶ removing
 *   removing ──join──▶ a new generation, waiting
 *   waiting ──previous removal settled──▶ creating, or ended (no holder left / shutdown)
 *
 * TRANSITIONS lists the legal moves; `#transition` is the only place a state
 * changes, checks the move, and does what entering the state means. The
 * invariants, checked by the property tests of tests/runtime-refcount.test.ts
 * ("invariants under random operation sequences"):
 *   1. createTopic and removeTopic of a topic alternate: a removal follows
 *      each successful creation exactly once, and a creation never overlaps
 *      the previous generation's removal.
 *   2. A topic has at most one generation that is waiting, creating, live
 *      or lingering.
 *   3. A topic with holders has a current generation that is waiting,
 *      creating or live; once its creation settled, a topic is live iff it
 *      has holders, and lingering only without holders, for at most
 *      `lingerMs` (removeTopic then follows: "last one gone → removeTopic
 *      exactly once" holds, delayed).
 *   4. Updates count only while their own generation is creating, live or
 *      lingering: a late update of an ended generation is dropped, never
 *      misdelivered.
 *   5. Shutdown resolves when every removal, superseded ones included, has
 *      settled; after it began no creation starts, no generation lingers
 *      (lingering ones are removed at once, without waiting for their
 *      timers), and every generation that was created is removed (one still
 *      creating at the timeout, once it settles).
 */
import { TopicIndex } from "./topic-index.js";

export type GenerationState = "waiting" | "creating" | "live" | "lingering" | "removing" | "ended";

/** The legal moves of a generation. */
const TRANSITIONS: Readonly<Record<GenerationState, readonly GenerationState[]>> = {
  waiting: ["creating", "ended"],
  creating: ["live", "removing", "ended"],
  live: ["lingering", "removing"],
  lingering: ["live", "removing"],
  removing: ["ended"],
  ended: [],
};

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
  /**
   * `topic` has no holder left and does not linger (the last one left, every
   * one was refused, or its linger ran out): its stream ends.
   */
  onUnheld?(topic: string): void;
}

/** Why a waiting generation was given up; not a service failure, so not reported. */
class GivenUp extends Error {}

class Generation<Req> implements TopicGeneration {
  state: GenerationState;
  /** Settles when createTopic has settled: resolves once it succeeded, rejects with why it did not run or failed. */
  readonly created: Promise<void>;
  settleCreated!: (error?: unknown) => void;
  /** Settles when this generation's removeTopic has settled. */
  ended: Promise<void> = Promise.resolve();
  /** While lingering: the timer that removes it. */
  linger: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly topic: string,
    readonly request: Req,
  ) {
    // Born waiting; one with nothing to wait for starts creating at once.
    this.state = "waiting";
    this.created = new Promise<void>((resolve, reject) => {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- createTopic's own rejection reason, passed on as it is
      this.settleCreated = (error) => (error === undefined ? resolve() : reject(error));
    });
    // A rejection is each joiner's to handle; with no joiner left it must not go unhandled.
    this.created.catch(() => undefined);
  }
}

export class TopicLifecycle<Req, Holder> {
  readonly #index = new TopicIndex<Holder>();
  /** Each topic's current generation, until it has ended. */
  readonly #current = new Map<string, Generation<Req>>();
  /** Every removeTopic in flight, including those of generations a new one has superseded. */
  readonly #removals = new Set<Promise<void>>();
  readonly #hooks: LifecycleHooks<Req>;
  /** Milliseconds a live generation lingers after its last holder left (0: it is removed at once). */
  readonly #lingerMs: number;
  #lingering = 0;
  #closed = false;

  constructor(hooks: LifecycleHooks<Req>, lingerMs = 0) {
    this.#hooks = hooks;
    this.#lingerMs = lingerMs;
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
   * that is waiting, creating, live or lingering (a lingering one is live
   * again, with no createTopic). Resolves when createTopic succeeded;
   * rejects with its error (and `holder` is dropped) when it failed, or when
   * it never ran (shutdown).
   */
  join(topic: string, request: Req, holder: Holder): Promise<void> {
    if (this.#closed) return Promise.reject(new GivenUp("the route is shutting down"));
    this.#index.add(topic, holder);
    const current = this.#current.get(topic);
    if (current?.state === "lingering") this.#enter(current, "live");
    if (current !== undefined && current.state !== "removing") return current.created;
    const generation = new Generation(topic, request);
    this.#current.set(topic, generation);
    // Only the closure holds the generation being removed, so a topic re-created again and again keeps no chain of them.
    if (current === undefined) this.#enter(generation, "creating");
    else void current.ended.then(() => this.#previousRemoved(generation));
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

  /** Whether an update of `generation` may still be queued: delivered, or recorded while it lingers. */
  accepts(generation: TopicGeneration): boolean {
    return generation.state === "creating" || generation.state === "live" || generation.state === "lingering";
  }

  /** `topic`'s current generation when it accepts updates (creating, live or lingering), else undefined. */
  accepting(topic: string): TopicGeneration | undefined {
    const current = this.#current.get(topic);
    return current !== undefined && this.accepts(current) ? current : undefined;
  }

  /**
   * Whether an update of `generation` takes a position in its topic's stream:
   * someone holds the topic, or it lingers (no holder now, but one coming
   * back within the linger recovers it from the history).
   */
  streams(generation: TopicGeneration): boolean {
    if (generation.state === "lingering") return true;
    return this.accepts(generation) && this.#index.holders(generation.topic).size > 0;
  }

  holders(topic: string): ReadonlySet<Holder> {
    return this.#index.holders(topic);
  }

  /** Number of topics `holder` holds. */
  heldBy(holder: Holder): number {
    return this.#index.topicsOf(holder).size;
  }

  /** Topics with at least one holder (so not the lingering ones). */
  topics(): string[] {
    return [...this.#index.topics()];
  }

  /** Topics with at least one holder, as `topics()`. */
  get topicCount(): number {
    return this.#index.topicCount;
  }

  /** Topics that linger: no holder, their producer still running. */
  get lingeringCount(): number {
    return this.#lingering;
  }

  get subscriptionCount(): number {
    return this.#index.subscriptionCount;
  }

  /**
   * Refuses new holders, removes lingering topics at once, lets pending
   * creations settle (for at most `timeoutMs`), drops every holder, and
   * resolves when every removal has settled. A creation still pending after
   * the timeout is removed when it settles, as any creation left without
   * holders is; a waiting generation never creates.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    this.#closed = true;
    for (const generation of [...this.#current.values()]) if (generation.state === "lingering") this.#stopLingering(generation);
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

  /** A waiting generation's predecessor is gone: create, unless nobody needs it any more. */
  #previousRemoved(generation: Generation<Req>): void {
    if (this.#closed) this.#enter(generation, "ended", new GivenUp("the route is shutting down"));
    else if (this.#index.holders(generation.topic).size === 0) this.#enter(generation, "ended", new GivenUp("every subscriber left"));
    else this.#enter(generation, "creating");
  }

  #lastHolderLeft(topic: string): void {
    const generation = this.#current.get(topic);
    // Its stream lives on while it lingers; a closed route lingers no more (shutdown removes at once).
    if (generation?.state === "live" && this.#lingerMs > 0 && !this.#closed) {
      this.#enter(generation, "lingering");
      return;
    }
    this.#hooks.onUnheld?.(topic);
    // A waiting or creating generation finds out when it next moves.
    if (generation?.state === "live") this.#enter(generation, "removing");
  }

  /** A linger is over (its timer ran out, or shutdown): the topic's stream ends and its producer is removed. */
  #stopLingering(generation: Generation<Req>): void {
    if (generation.state !== "lingering") return;
    this.#hooks.onUnheld?.(generation.topic);
    this.#enter(generation, "removing");
  }

  /**
   * The one place a generation changes state: checks the move against
   * TRANSITIONS, then does what entering `next` means. `reason` is why a
   * generation that never went live ended.
   */
  #enter(generation: Generation<Req>, next: GenerationState, reason?: unknown): void {
    if (!TRANSITIONS[generation.state].includes(next)) {
      throw new Error(`TopicLifecycle: ${generation.state} → ${next} is not a transition (${generation.topic})`);
    }
    const from = generation.state;
    generation.state = next;
    if (from === "lingering") {
      clearTimeout(generation.linger);
      generation.linger = undefined;
      this.#lingering -= 1;
    }
    switch (next) {
      case "creating":
        this.#hooks.create(generation, generation.request).then(
          () => {
            generation.settleCreated();
            this.#enter(generation, this.#index.holders(generation.topic).size > 0 ? "live" : "removing");
          },
          (error: unknown) => this.#enter(generation, "ended", error),
        );
        break;
      case "removing": {
        const settled = (): void => {
          this.#removals.delete(removal);
          this.#enter(generation, "ended");
        };
        // The hook reports its own failures; should it reject anyway, the removal has still settled.
        const removal = this.#hooks.remove(generation.topic).then(settled, settled);
        this.#removals.add(removal);
        generation.ended = removal;
        break;
      }
      case "ended":
        if (this.#current.get(generation.topic) === generation) this.#current.delete(generation.topic);
        if (from !== "removing") {
          // Refused or given up: every holder joined for this generation, none keeps the topic.
          if (this.#index.holders(generation.topic).size > 0) this.#hooks.onUnheld?.(generation.topic);
          this.#index.deleteTopic(generation.topic);
          generation.settleCreated(reason);
          if (!(reason instanceof GivenUp)) this.#hooks.onCreateFailed(generation.topic, reason);
        }
        break;
      case "lingering":
        this.#lingering += 1;
        generation.linger = setTimeout(() => this.#stopLingering(generation), this.#lingerMs);
        // A lingering topic must not keep the process alive; shutdown removes it anyway.
        generation.linger.unref();
        break;
      case "waiting":
      case "live":
        break;
    }
  }
}
