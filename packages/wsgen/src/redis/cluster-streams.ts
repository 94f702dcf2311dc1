/**
 * ClusterStreams: one route's topics shared through Redis (RouteStreams,
 * runtime/broker.ts). Per topic this process holds, a TopicFeed mirrors the
 * stream; per topic whose lease it won, a run of ProducerRuns runs the
 * service (producer-runs.ts).
 *
 *   first local subscriber ─▶ SSUBSCRIBE c, join script ─▶ holder, or producer (lease free)
 *   producer: createTopic ─ok─▶ live script (x:live) ; ─throws─▶ failed script (x:failed: every holder refuses)
 *   holder: waits for x:live (or its tick sees it), x:free (it may take the lease), x:failed
 *   last local subscriber ─▶ leave script, SUNSUBSCRIBE ; no holder anywhere ─▶ the producer retires:
 *                             removeTopic, release (the stream ends, x:free)
 *   every tickMs: holds and leases renewed; a lapsed lease is taken by a holder (a new epoch:
 *                 the reset is explicit); a producer whose lease is gone is deposed (removeTopic here)
 */
import type { RouteStreams, RouteStreamsSink, RouteStreamsSpec } from "../runtime/broker.js";
import { WsgenError } from "../runtime/errors.js";
import type { PublishResult } from "../runtime/service.js";
import type { TopicGeneration } from "../runtime/topic-lifecycle.js";
import type { StreamPosition } from "../protocol/positions.js";
import { parseChannelMessage } from "./channel-messages.js";
import { MirrorHistory } from "./mirror-history.js";
import { ProducerRuns } from "./producer-runs.js";
import { unavailable, type RedisLink } from "./redis-link.js";
import { JOIN, LEAVE, PUBLISH, publishArguments, SYNC, TICK } from "./scripts.js";
import { TopicFeed, type FeedOutput, type RawEntry } from "./topic-feed.js";
import { metaKeys, topicKeys } from "./topic-keys.js";

/** What every route's streams share: the process's identity in Redis and the lease timing. */
export interface ClusterConfig {
  readonly node: string;
  readonly prefix: string;
  readonly leaseMs: number;
  readonly link: RedisLink;
  /** A token no run of any process ever had. */
  nextToken(): string;
  /** A new epoch, never the same twice. */
  nextEpoch(): string;
  /** These streams shut down: stop ticking them. */
  detach(streams: ClusterStreams): void;
}

/** A holder's wait for its topic's producer, wherever it runs, to be live. */
interface LiveWait {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

export class ClusterStreams implements RouteStreams {
  readonly history: MirrorHistory;
  readonly #feeds = new Map<string, TopicFeed>();
  readonly #runs: ProducerRuns;
  readonly #waits = new Map<TopicFeed, LiveWait>();
  readonly #syncing = new Set<TopicFeed>();
  readonly #syncAgain = new Set<TopicFeed>();
  readonly #spec: RouteStreamsSpec;
  readonly #config: ClusterConfig;
  readonly #output: FeedOutput;
  /** This route's identity in Redis: the process's, made unique per app (two apps on one broker hold topics apart). */
  readonly #node: string;
  /** Entries each topic's Redis stream keeps (MAXLEN ~): the history, or the latest value alone. */
  readonly #maxlen: number;
  /** How long a topic's meta and stream outlive their producer's last renewal. */
  readonly #keepMs: number;
  readonly #counts = { feedResyncs: 0, tickFailures: 0 };
  /** The counts of feeds closed since start. */
  readonly #closedFeeds = { gaps: 0, duplicates: 0, stale: 0 };

  constructor(spec: RouteStreamsSpec, sink: RouteStreamsSink, config: ClusterConfig, instance: number) {
    this.#spec = spec;
    this.#node = instance === 1 ? config.node : `${config.node}~${instance}`;
    this.#config = config;
    this.history = new MirrorHistory(this.#feeds);
    this.#maxlen = spec.limits.size > 0 ? spec.limits.size : spec.limits.keepLatest ? 1 : 0;
    this.#keepMs = config.leaseMs * 3;
    this.#runs = new ProducerRuns({ link: config.link, leaseMs: config.leaseMs, spec, sink, maxlen: this.#maxlen, keepMs: this.#keepMs });
    this.#output = {
      limits: spec.limits,
      encode: (topic, payload, position) => spec.encodeUpdate(topic, payload, position),
      deliver: (updates) => sink.deliver(updates),
      resync: (feed) => void this.#resync(feed),
    };
  }

  async open(topic: string, request: unknown, user: unknown): Promise<void> {
    const { link, leaseMs } = this.#config;
    const keys = topicKeys(this.#config.prefix, this.#spec.module, topic);
    const feed = new TopicFeed(topic, keys, request, user, this.#output, (message) => this.#onMessage(feed, message));
    this.#feeds.set(topic, feed);
    try {
      // Subscribed before the join reads the stream: whatever is published after that read arrives here.
      await link.subscribe(keys.channel, feed.listener);
      const token = this.#config.nextToken();
      const args = [this.#node, leaseMs, token, this.#config.nextEpoch(), topic, keys.channel, keys.producerChannel, this.#maxlen];
      const [role, state, epoch, seq, now, entries] = (await link.run(JOIN, metaKeys(keys), args)) as JoinReply;
      feed.loaded({ epoch, seq, now, entries, newestFirst: true });
      if (role === "producer") return await this.#runs.start(topic, keys, token, request, user);
      if (state !== "live") await this.#liveWait(feed).promise;
    } catch (error) {
      await this.#forget(feed);
      throw unavailable(error, `opening "${topic}"`);
    }
  }

  openedAt(topic: string): StreamPosition | undefined {
    return this.#feeds.get(topic)?.openedAt;
  }

  async close(topic: string): Promise<void> {
    const feed = this.#feeds.get(topic);
    if (feed === undefined) return;
    const holders = await this.#forget(feed);
    if (holders === 0) await this.#runs.retire(topic);
  }

  accepts(run: TopicGeneration): boolean {
    return this.#runs.accepts(run);
  }

  publishRun(run: TopicGeneration, payloads: readonly string[]): void {
    this.#runs.publish(run, payloads);
  }

  skipRun(run: TopicGeneration): void {
    this.#runs.skip(run);
  }

  async publish(topic: string, payload: string): Promise<PublishResult> {
    const keys = topicKeys(this.#config.prefix, this.#spec.module, topic);
    let reply: [number, string];
    try {
      const args = publishArguments({ token: "", maxlen: this.#maxlen, channel: keys.channel, gap: 0, keepMs: this.#keepMs }, [payload]);
      reply = (await this.#config.link.run(PUBLISH, metaKeys(keys), args)) as [number, string];
    } catch (error) {
      throw unavailable(error, `route "${this.#spec.route}": publish to "${topic}"`);
    }
    return reply[0] === -1 ? { status: "not_live" } : { status: "accepted" };
  }

  /** One step of every topic this process holds or produces: holds and leases renewed, lapsed leases taken. */
  async tick(): Promise<void> {
    const topics = new Set([...this.#feeds.keys(), ...this.#runs.topics()]);
    await Promise.all([...topics].map((topic) => this.#tickTopic(topic)));
  }

  /** The pub/sub connection dropped (messages may be lost: buffer) or came back (read what was missed). */
  pubsub(event: "lost" | "restored"): void {
    for (const feed of this.#feeds.values()) {
      if (event === "lost") feed.suspend();
      else void this.#resync(feed);
    }
  }

  holds(topic: string): boolean {
    return this.#feeds.has(topic) || this.#runs.has(topic);
  }

  async shutdown(timeoutMs: number): Promise<void> {
    this.#config.detach(this);
    await Promise.all([...this.#feeds.keys()].map((topic) => this.close(topic)));
    // Runs left have holders elsewhere (or Redis could not say): hand them over, so the next producer continues the stream.
    await this.#runs.shutdown(timeoutMs);
  }

  stats(): Record<string, number> {
    // Counters: those of closed feeds are kept in #closedFeeds, so none goes down.
    const { gaps, duplicates, stale } = this.#closedFeeds;
    const open = [...this.#feeds.values()];
    return {
      feeds: this.#feeds.size,
      producing: this.#runs.size,
      feedGaps: open.reduce((sum, feed) => sum + feed.gaps, gaps),
      duplicatesDropped: open.reduce((sum, feed) => sum + feed.duplicates, duplicates),
      staleDropped: open.reduce((sum, feed) => sum + feed.stale, stale),
      ...this.#counts,
      ...this.#runs.counts,
    };
  }

  async #tickTopic(topic: string): Promise<void> {
    const feed = this.#feeds.get(topic);
    const run = this.#runs.of(topic);
    const keys = feed?.keys ?? topicKeys(this.#config.prefix, this.#spec.module, topic);
    const { link, leaseMs } = this.#config;
    const token = this.#config.nextToken();
    const args = [
      this.#node,
      leaseMs,
      feed !== undefined ? "1" : "0",
      run?.token ?? "",
      token,
      this.#config.nextEpoch(),
      topic,
      keys.channel,
      keys.producerChannel,
      this.#keepMs,
      run?.live === true ? "1" : "0",
      // Not while its pub/sub is down: it could not hear of its own deposition, nor its holders of it.
      this.#runs.mayAcquire(topic) && link.pubsubReady ? "1" : "0",
    ];
    let reply: [verdict: "lost" | "producing" | "held" | "free" | "acquired", detail?: number | string];
    try {
      reply = (await link.run(TICK, metaKeys(keys), args)) as typeof reply;
    } catch {
      // Redis unreachable: RedisLink logs the outage once; holds and leases are renewed at the next tick.
      this.#counts.tickFailures += 1;
      return;
    }
    if (feed?.state === "resyncing") void this.#resync(feed);
    const [verdict, detail] = reply;
    if (verdict === "lost") await this.#runs.depose(topic, "its lease lapsed (the process stalled, or Redis lost it)");
    else if (verdict === "producing" && detail === 0 && run?.live === true) await this.#runs.retire(topic);
    else if (verdict === "held" && detail === "live" && feed !== undefined) this.#waits.get(feed)?.resolve();
    else if (verdict === "acquired") await this.#takeOver(topic, token, detail === 1);
  }

  /** This process took a free lease at its tick (lapsed, or handed over): it produces now, and its waiting subscribes are answered. */
  async #takeOver(topic: string, token: string, handedOver: boolean): Promise<void> {
    const feed = this.#feeds.get(topic);
    const keys = feed?.keys ?? topicKeys(this.#config.prefix, this.#spec.module, topic);
    const failure = await this.#runs.takeOver(topic, keys, token, feed, handedOver);
    if (feed === undefined) return;
    // A subscribe waiting here for the producer is answered as the one that created the topic would be.
    if (failure !== undefined) this.#waits.get(feed)?.reject(failure);
    else if (this.#runs.has(topic)) this.#waits.get(feed)?.resolve();
  }

  /** Closes a feed here: leaves the topic in Redis and unsubscribes; resolves with the holders left (-1: unknown). */
  async #forget(feed: TopicFeed): Promise<number> {
    if (this.#feeds.get(feed.topic) !== feed) return -1;
    this.#feeds.delete(feed.topic);
    this.#closedFeeds.gaps += feed.gaps;
    this.#closedFeeds.duplicates += feed.duplicates;
    this.#closedFeeds.stale += feed.stale;
    this.#runs.forget(feed.topic);
    this.#waits.get(feed)?.reject(new WsgenError("ERR_BROKER_FAILED", "the topic was closed while its producer started"));
    const { link } = this.#config;
    const { keys } = feed;
    let holders = -1;
    try {
      holders = (await link.run(LEAVE, [keys.lease, keys.holders], [this.#node, keys.producerChannel])) as number;
    } catch {
      // Unreachable: this process's hold lapses by itself within leaseMs.
    }
    await link.unsubscribe(keys.channel, feed.listener).catch(() => undefined);
    return holders;
  }

  #liveWait(feed: TopicFeed): LiveWait {
    let wait = this.#waits.get(feed);
    if (wait !== undefined) return wait;
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const settle = (): boolean => this.#waits.get(feed) === wait && this.#waits.delete(feed);
    wait = {
      promise,
      resolve: () => settle() && resolve(),
      reject: (error) => settle() && reject(error),
    };
    this.#waits.set(feed, wait);
    return wait;
  }

  async #resync(feed: TopicFeed): Promise<void> {
    if (this.#feeds.get(feed.topic) !== feed) return;
    if (this.#syncing.has(feed)) {
      // A read in flight may predate what made this one needed (a second reconnect): read again after it.
      this.#syncAgain.add(feed);
      return;
    }
    this.#syncing.add(feed);
    feed.suspend();
    try {
      const position = feed.stream?.position ?? { epoch: "", seq: 0 };
      const args = [position.epoch, position.seq, this.#maxlen];
      const [epoch, seq, now, entries] = (await this.#config.link.run(SYNC, [feed.keys.meta, feed.keys.stream], args)) as SyncReply;
      this.#counts.feedResyncs += 1;
      if (this.#feeds.get(feed.topic) === feed) feed.loaded({ epoch, seq, now, entries, newestFirst: epoch !== position.epoch });
    } catch {
      // Still unreachable: the feed stays resyncing, and the next tick tries again.
    } finally {
      this.#syncing.delete(feed);
      if (this.#syncAgain.delete(feed)) void this.#resync(feed);
    }
  }

  #onMessage(feed: TopicFeed, raw: Buffer): void {
    if (this.#feeds.get(feed.topic) !== feed) return;
    const message = parseChannelMessage(raw);
    switch (message?.kind) {
      case "updates":
      case "reset":
        feed.receive(message);
        break;
      case "live":
        this.#waits.get(feed)?.resolve();
        break;
      case "failed":
        this.#waits.get(feed)?.reject(new WsgenError("ERR_SERVICE_FAILED", `createTopic failed on the producing process: ${message.why}`));
        break;
      case "free":
        // The producer left with holders remaining: one of them takes the lease at once, not at its next tick.
        if (!this.#runs.has(feed.topic)) void this.#tickTopic(feed.topic);
        break;
      default:
        break;
    }
  }
}

type JoinReply = [role: "producer" | "holder", state: string, epoch: string, seq: number, now: number, entries: RawEntry[]];
type SyncReply = [epoch: string, seq: number, now: number, entries: RawEntry[]];
