/**
 * TopicIndex: which holders (server connections, or client-side handlers)
 * are subscribed to which topics, in both directions.
 *
 * This is the reference-counting rule of wsgen, implemented once: a holder
 * counts once per topic however often it subscribes, a topic exists while it
 * has at least one holder, and dropping a holder releases every topic it held.
 * Callers learn from the return values when a topic gained its first holder
 * or lost its last, and act on that (start or stop producing data, send a
 * subscribe or unsubscribe frame). Fan-out reads `holders(topic)` directly,
 * so publishing never scans all connections.
 */
export class TopicIndex<Holder> {
  readonly #holdersByTopic = new Map<string, Set<Holder>>();
  readonly #topicsByHolder = new Map<Holder, Set<string>>();

  /** Adds `holder` to `topic`. Returns true when the topic had no holder before. */
  add(topic: string, holder: Holder): boolean {
    let holders = this.#holdersByTopic.get(topic);
    const first = holders === undefined;
    if (holders === undefined) {
      holders = new Set();
      this.#holdersByTopic.set(topic, holders);
    }
    holders.add(holder);
    let topics = this.#topicsByHolder.get(holder);
    if (topics === undefined) {
      topics = new Set();
      this.#topicsByHolder.set(holder, topics);
    }
    topics.add(topic);
    return first;
  }

  /**
   * Removes `holder` from `topic`. Returns true when that was the topic's last
   * holder (the topic is gone from the index). Removing a holder that does not
   * hold the topic changes nothing and returns false.
   */
  delete(topic: string, holder: Holder): boolean {
    const holders = this.#holdersByTopic.get(topic);
    if (holders === undefined || !holders.delete(holder)) return false;
    const topics = this.#topicsByHolder.get(holder);
    if (topics !== undefined) {
      topics.delete(topic);
      if (topics.size === 0) this.#topicsByHolder.delete(holder);
    }
    if (holders.size > 0) return false;
    this.#holdersByTopic.delete(topic);
    return true;
  }

  /** Removes `holder` from every topic. Returns the topics that lost their last holder. */
  deleteHolder(holder: Holder): string[] {
    const topics = this.#topicsByHolder.get(holder);
    if (topics === undefined) return [];
    const emptied: string[] = [];
    for (const topic of [...topics]) {
      if (this.delete(topic, holder)) emptied.push(topic);
    }
    return emptied;
  }

  /** Removes every holder of `topic`. Returns the holders it had. */
  deleteTopic(topic: string): Holder[] {
    const holders = [...this.holders(topic)];
    for (const holder of holders) this.delete(topic, holder);
    return holders;
  }

  has(topic: string, holder: Holder): boolean {
    return this.#holdersByTopic.get(topic)?.has(holder) ?? false;
  }

  /** The holders of `topic`, or an empty set. Do not mutate. */
  holders(topic: string): ReadonlySet<Holder> {
    return this.#holdersByTopic.get(topic) ?? EMPTY;
  }

  /** The topics `holder` holds, or an empty set. Do not mutate. */
  topicsOf(holder: Holder): ReadonlySet<string> {
    return this.#topicsByHolder.get(holder) ?? EMPTY;
  }

  topics(): IterableIterator<string> {
    return this.#holdersByTopic.keys();
  }

  /** Number of topics with at least one holder. */
  get topicCount(): number {
    return this.#holdersByTopic.size;
  }

  /** Number of (topic, holder) pairs. */
  get subscriptionCount(): number {
    let count = 0;
    for (const holders of this.#holdersByTopic.values()) count += holders.size;
    return count;
  }
}

const EMPTY: ReadonlySet<never> = new Set<never>();
