/**
 * ClusterStreams: one route's topics shared through Redis (RouteStreams,
 * runtime/broker.ts). Per topic this process holds, a TopicFeed mirrors the
 * stream; per topic whose lease it won, a ProducerRun runs the service.
 *
 *   first local subscriber ─▶ SSUBSCRIBE c, join script ─▶ holder, or producer (lease free)
 *   producer: createTopic ─ok─▶ live script (x:live) ; ─throws─▶ failed script (x:failed: every holder refuses)
 *   holder: waits for x:live (or its tick sees it), x:free (it may take the lease), x:failed
 *   last local subscriber ─▶ leave script, SUNSUBSCRIBE ; no holder anywhere ─▶ the producer retires:
 *                             removeTopic, release (the stream ends, x:free)
 *   every tickMs: holds and leases renewed; a lapsed lease is taken by a holder (a new epoch:
 *                 the reset is explicit); a producer whose lease is gone is deposed (removeTopic here)
 *
 * A deposed producer is told four ways, whichever comes first: the publish
 * script refuses its token (fenced), its tick finds the lease gone, the new
 * producer's `deposed:<token>` on its channel, or a retire that finds
 * another owner. It then stops: its updates are no longer taken, and
 * removeTopic runs here once its createTopic settled.
 */
import type { GenerationState, TopicGeneration } from "../runtime/topic-lifecycle.js";
import type { ProducerRun, RouteStreams, RouteStreamsSink, RouteStreamsSpec } from "../runtime/broker.js";
import { describeError, WsgenError } from "../runtime/errors.js";
import type { PublishResult } from "../runtime/service.js";
import type { StreamPosition } from "../protocol/positions.js";
import { parseChannelMessage } from "./channel-messages.js";
import { MirrorHistory } from "./mirror-history.js";
import type { RedisLink } from "./redis-link.js";
import { FAILED, JOIN, LEAVE, LIVE, PUBLISH, RELEASE, RETIRE, SYNC, TICK } from "./scripts.js";
import { TopicFeed, type FeedOutput, type RawEntry } from "./topic-feed.js";
import { topicKeys, type TopicKeys } from "./topic-keys.js";

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

class Run implements ProducerRun {
  state: GenerationState = "creating";
  /** Seqs to skip before the next publish: updates dropped or lost on the way to Redis. */
  gap = 0;
  readonly pending = new Set<Promise<void>>();
  /** Settles when createTopic has. */
  created: Promise<void> = Promise.resolve();

  constructor(
    readonly topic: string,
    readonly token: string,
    readonly keys: TopicKeys,
  ) {}
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
  readonly #runs = new Map<string, Run>();
  readonly #waits = new Map<TopicFeed, LiveWait>();
  readonly #syncing = new Set<TopicFeed>();
  /** Topics whose takeover createTopic failed, until one succeeds: reported once, not at every tick. */
  readonly #failingTakeovers = new Set<string>();
  readonly #spec: RouteStreamsSpec;
  readonly #sink: RouteStreamsSink;
  readonly #config: ClusterConfig;
  readonly #output: FeedOutput;
  /** Entries each topic's Redis stream keeps (MAXLEN ~): the history, or the latest value alone. */
  readonly #maxlen: number;
  readonly #counts = {
    feedResyncs: 0,
    takeovers: 0,
    producersDeposed: 0,
    publishesFenced: 0,
    publishFailures: 0,
    tickFailures: 0,
  };

  constructor(spec: RouteStreamsSpec, sink: RouteStreamsSink, config: ClusterConfig) {
    this.#spec = spec;
    this.#sink = sink;
    this.#config = config;
    this.history = new MirrorHistory(this.#feeds);
    this.#maxlen = spec.limits.size > 0 ? spec.limits.size : spec.limits.keepLatest ? 1 : 0;
    this.#output = {
      limits: spec.limits,
      encode: (topic, payload, position) => spec.encodeUpdate(topic, payload, position),
      deliver: (updates) => sink.deliver(updates),
      resync: (feed) => void this.#resync(feed),
    };
  }

  async open(topic: string, request: unknown, user: unknown): Promise<void> {
    const { link, node, leaseMs } = this.#config;
    const keys = topicKeys(this.#config.prefix, this.#spec.module, topic);
    const feed = new TopicFeed(topic, keys, request, user, this.#output);
    this.#feeds.set(topic, feed);
    try {
      // Subscribed before the join reads the stream: whatever is published after that read arrives here.
      await link.subscribe(keys.channel, (message) => this.#onMessage(feed, message));
      const token = this.#config.nextToken();
      const args = [node, leaseMs, token, this.#config.nextEpoch(), topic, keys.channel, keys.producerChannel, this.#maxlen];
      const [role, state, epoch, seq, now, entries] = (await link.run(JOIN, metaKeys(keys), args)) as JoinReply;
      feed.loaded({ epoch, seq, now, entries, newestFirst: true });
      if (role === "producer") return await this.#produce(feed, token);
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
    const run = this.#runs.get(topic);
    if (run !== undefined && holders === 0) await this.#retire(run);
  }

  accepts(run: TopicGeneration): boolean {
    return run instanceof Run && (run.state === "creating" || run.state === "live") && this.#runs.get(run.topic) === run;
  }

  publishRun(generation: TopicGeneration, payloads: readonly string[]): void {
    const run = generation as Run;
    if (!this.accepts(run)) return;
    const gap = run.gap;
    run.gap = 0;
    const { keys } = run;
    const args = [run.token, this.#maxlen, keys.channel, gap, payloads.length, ...payloads];
    const sent = this.#config.link.run(PUBLISH, publishKeys(keys), args).then(
      (reply) => {
        if ((reply as PublishReply)[1] !== "fenced") return;
        this.#counts.publishesFenced += payloads.length;
        return this.#depose(run, "its update was refused: another process holds the topic's lease");
      },
      () => {
        // Lost on the way (Redis unreachable): the next publish skips their seqs, so subscribers see the gap.
        run.gap += gap + payloads.length;
        this.#counts.publishFailures += payloads.length;
      },
    );
    run.pending.add(sent);
    void sent.finally(() => run.pending.delete(sent));
  }

  skipRun(generation: TopicGeneration): void {
    if (this.accepts(generation)) (generation as Run).gap += 1;
  }

  async publish(topic: string, payload: string): Promise<PublishResult> {
    const keys = topicKeys(this.#config.prefix, this.#spec.module, topic);
    let reply: PublishReply;
    try {
      reply = (await this.#config.link.run(PUBLISH, publishKeys(keys), ["", this.#maxlen, keys.channel, 0, 1, payload])) as PublishReply;
    } catch (error) {
      throw unavailable(error, `route "${this.#spec.route}": publish to "${topic}"`);
    }
    return reply[0] === -1 ? { status: "not_live" } : { status: "accepted" };
  }

  /** One step of every topic this process holds or produces: holds and leases renewed, lapsed leases taken. */
  async tick(): Promise<void> {
    const topics = new Set([...this.#feeds.keys(), ...this.#runs.keys()]);
    await Promise.all([...topics].map((topic) => this.#tickTopic(topic)));
  }

  /** The pub/sub connection dropped (messages may be lost: buffer) or came back (read what was missed). */
  pubsub(event: "lost" | "restored"): void {
    for (const feed of this.#feeds.values()) {
      if (event === "lost") feed.suspend();
      else void this.#resync(feed);
    }
  }

  async shutdown(): Promise<void> {
    this.#config.detach(this);
    await Promise.all([...this.#feeds.keys()].map((topic) => this.close(topic)));
    // Runs left have holders elsewhere: hand them over, so the next producer continues the stream.
    await Promise.all([...this.#runs.values()].map((run) => this.#end(run, true)));
  }

  stats(): Record<string, number> {
    let gaps = 0;
    let duplicates = 0;
    for (const feed of this.#feeds.values()) {
      gaps += feed.gaps;
      duplicates += feed.duplicates;
    }
    return { feeds: this.#feeds.size, producing: this.#runs.size, feedGaps: gaps, duplicatesDropped: duplicates, ...this.#counts };
  }

  async #tickTopic(topic: string): Promise<void> {
    const feed = this.#feeds.get(topic);
    const run = this.#runs.get(topic);
    const keys = feed?.keys ?? run!.keys;
    const { link, node, leaseMs } = this.#config;
    const token = this.#config.nextToken();
    const args = [
      node,
      leaseMs,
      feed !== undefined ? "1" : "0",
      run?.token ?? "",
      token,
      this.#config.nextEpoch(),
      topic,
      keys.channel,
      keys.producerChannel,
      leaseMs * 3,
    ];
    let reply: TickReply;
    try {
      reply = (await link.run(TICK, metaKeys(keys), args)) as TickReply;
    } catch {
      // Redis unreachable: RedisLink logs the outage once; holds and leases are renewed at the next tick.
      this.#counts.tickFailures += 1;
      return;
    }
    if (feed?.state === "resyncing") void this.#resync(feed);
    const [verdict, detail] = reply;
    if (verdict === "lost" && run !== undefined) await this.#depose(run, "its lease lapsed (the process stalled, or Redis lost it)");
    else if (verdict === "producing" && detail === 0 && run?.state === "live") await this.#retire(run);
    else if (verdict === "held" && detail === "live" && feed !== undefined) this.#waits.get(feed)?.resolve();
    else if (verdict === "acquired") await this.#takeOver(topic, token);
  }

  /** This process took a lapsed lease at its tick: it produces now (the stream restarted with a new epoch). */
  async #takeOver(topic: string, token: string): Promise<void> {
    this.#counts.takeovers += 1;
    const feed = this.#feeds.get(topic);
    if (feed === undefined) {
      // Its last subscriber left while the tick ran: give the lease back for a process that holds it.
      await this.#release(this.#config, topicKeys(this.#config.prefix, this.#spec.module, topic), token, true);
      return;
    }
    try {
      await this.#produce(feed, token);
      this.#failingTakeovers.delete(topic);
    } catch (error) {
      // The lease is free again, so the next tick retries; a service that keeps failing is reported once per streak.
      if (this.#failingTakeovers.has(topic)) return;
      this.#failingTakeovers.add(topic);
      this.#sink.report(
        new WsgenError(
          "ERR_SERVICE_FAILED",
          `createTopic("${topic}") failed taking over from a lapsed producer (retried every tick): ${describeError(error)}`,
          {
            cause: error,
          },
        ),
        "broker",
      );
    }
  }

  /** Runs createTopic here under `token`; resolves once it succeeded and the topic is live everywhere. */
  async #produce(feed: TopicFeed, token: string): Promise<void> {
    const { link } = this.#config;
    const { topic, keys } = feed;
    const run = new Run(topic, token, keys);
    // Subscribed first: a `deposed` or `unheld` for this run must not be missed. Should it fail, the lease lapses unrenewed.
    await link.subscribe(keys.producerChannel, (message) => this.#onProducerMessage(run, message));
    this.#runs.set(topic, run);
    run.created = this.#sink.createTopic(run, feed.request, feed.user);
    try {
      await run.created;
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(describeError(error));
      if (this.#runs.get(topic) === run) this.#runs.delete(topic);
      run.state = "ended";
      await link.unsubscribe(keys.producerChannel).catch(() => undefined);
      await link.run(FAILED, publishKeys(keys), [token, keys.channel, describeError(error)]).catch(() => undefined);
      this.#waits.get(feed)?.reject(failure);
      throw failure;
    }
    if (run.state !== "creating") return;
    run.state = "live";
    await link.run(LIVE, [keys.lease], [token, keys.channel]).catch(() => undefined);
    this.#waits.get(feed)?.resolve();
  }

  /** No process holds the topic any more: removeTopic here, then the lease is released and the stream ends. */
  async #retire(run: Run): Promise<void> {
    if (run.state !== "live") return;
    let verdict: string;
    try {
      verdict = (await this.#config.link.run(RETIRE, [run.keys.lease, run.keys.holders], [run.token, this.#config.leaseMs])) as string;
    } catch {
      return; // the next tick asks again
    }
    if (verdict === "lost") await this.#depose(run, "another process holds the topic's lease");
    else if (verdict === "retire") await this.#end(run, false);
  }

  /** Ends a run that still owns its lease: what it queued is sent, removeTopic runs, the lease is released. */
  async #end(run: Run, handover: boolean): Promise<void> {
    if (run.state !== "live" && run.state !== "creating") return;
    this.#sink.flush();
    run.state = "removing";
    await Promise.allSettled([...run.pending]);
    await run.created.then(
      () => this.#sink.removeTopic(run.topic),
      () => undefined,
    );
    this.#dropRun(run);
    await this.#release(this.#config, run.keys, run.token, handover);
  }

  async #release({ link }: ClusterConfig, keys: TopicKeys, token: string, handover: boolean): Promise<void> {
    try {
      await link.run(RELEASE, metaKeys(keys), [token, handover ? "1" : "0", keys.channel]);
    } catch (error) {
      // The lease lapses by itself within leaseMs; a holder then takes it.
      this.#sink.report(unavailable(error, `releasing the lease of "${keys.meta}"`), "broker");
    }
  }

  async #depose(run: Run, why: string): Promise<void> {
    if (run.state === "ended" || run.state === "removing") return;
    run.state = "ended";
    this.#counts.producersDeposed += 1;
    this.#dropRun(run);
    this.#sink.report(
      new WsgenError("ERR_PRODUCER_DEPOSED", `route "${this.#spec.route}": stopped producing "${run.topic}" here: ${why}`),
      "broker",
    );
    await run.created.then(
      () => this.#sink.removeTopic(run.topic),
      () => undefined,
    );
  }

  #dropRun(run: Run): void {
    if (this.#runs.get(run.topic) !== run) return;
    this.#runs.delete(run.topic);
    void this.#config.link.unsubscribe(run.keys.producerChannel).catch(() => undefined);
  }

  /** Closes a feed here: leaves the topic in Redis and unsubscribes; resolves with the holders left (-1: unknown). */
  async #forget(feed: TopicFeed): Promise<number> {
    if (this.#feeds.get(feed.topic) !== feed) return -1;
    this.#feeds.delete(feed.topic);
    this.#failingTakeovers.delete(feed.topic);
    this.#waits.get(feed)?.reject(new WsgenError("ERR_BROKER_FAILED", "the topic was closed while its producer started"));
    const { link, node } = this.#config;
    const { keys } = feed;
    let holders = -1;
    try {
      holders = (await link.run(LEAVE, [keys.lease, keys.holders], [node, keys.producerChannel])) as number;
    } catch {
      // Unreachable: this process's hold lapses by itself within leaseMs.
    }
    await link.unsubscribe(keys.channel).catch(() => undefined);
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
    if (this.#syncing.has(feed) || this.#feeds.get(feed.topic) !== feed) return;
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
    }
  }

  #onMessage(feed: TopicFeed, raw: Buffer): void {
    if (this.#feeds.get(feed.topic) !== feed) return;
    const message = parseChannelMessage(raw);
    switch (message?.kind) {
      case "updates":
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
      case "reset":
        feed.reset(message.epoch);
        break;
      default:
        break;
    }
  }

  #onProducerMessage(run: Run, raw: Buffer): void {
    const message = parseChannelMessage(raw);
    if (message?.kind === "unheld") void this.#retire(run);
    else if (message?.kind === "deposed" && message.token === run.token) void this.#depose(run, "another process took its lapsed lease");
  }
}

type JoinReply = [role: "producer" | "holder", state: string, epoch: string, seq: number, now: number, entries: RawEntry[]];
type TickReply = [verdict: "lost" | "producing" | "held" | "free" | "acquired", detail?: number | string];
type PublishReply = [last: number, epochOrWhy: string];
type SyncReply = [epoch: string, seq: number, now: number, entries: RawEntry[]];

function metaKeys(keys: TopicKeys): string[] {
  return [keys.meta, keys.stream, keys.lease, keys.holders];
}

function publishKeys(keys: TopicKeys): string[] {
  return [keys.meta, keys.stream, keys.lease];
}

/** A Redis failure as the caller sees it; a WsgenError (a service's failure) passes as it is. */
function unavailable(error: unknown, doing: string): Error {
  if (error instanceof WsgenError) return error;
  if (error instanceof Error && !/offline|closed|ECONN|socket|timeout/i.test(error.message)) return error;
  return new WsgenError("ERR_BROKER_UNAVAILABLE", `${doing} failed: Redis is unreachable (${describeError(error)})`, { cause: error });
}
