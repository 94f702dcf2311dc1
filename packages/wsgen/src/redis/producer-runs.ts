/**
 * ProducerRuns: the runs of one route's producers on this process — each a
 * topic whose lease this process holds, running the service's createTopic
 * under the lease's fencing token until it retires, hands over, or is
 * deposed (cluster-streams.ts drives them; scripts.ts checks them).
 *
 * A deposed producer is told four ways, whichever comes first: the publish
 * script refuses its token (fenced), its tick finds the lease gone, the new
 * producer's `deposed:<token>` on its channel, or a retire that finds
 * another owner. It then stops: its updates are no longer taken, and
 * removeTopic runs here once its createTopic settled.
 */
import type { ProducerRun, RouteStreamsSink, RouteStreamsSpec } from "../runtime/broker.js";
import { describeError, WsgenError } from "../runtime/errors.js";
import type { GenerationState, TopicGeneration } from "../runtime/topic-lifecycle.js";
import { parseChannelMessage } from "./channel-messages.js";
import { unavailable, type ChannelListener, type RedisLink } from "./redis-link.js";
import { FAILED, LIVE, PUBLISH, publishArguments, RELEASE, RETIRE } from "./scripts.js";
import { metaKeys, type TopicKeys } from "./topic-keys.js";

/** How long deposed producers are gathered into one report. */
const DEPOSED_REPORT_MS = 1_000;

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
    /** Its producer channel's listener (removed alone: another app on this broker may listen too). */
    readonly listener: ChannelListener,
  ) {}
}

export interface ProducerRunsContext {
  readonly link: RedisLink;
  readonly leaseMs: number;
  readonly spec: RouteStreamsSpec;
  readonly sink: RouteStreamsSink;
  /** Entries each topic's Redis stream keeps (MAXLEN ~). */
  readonly maxlen: number;
  /** How long a topic's meta and stream outlive their producer's last renewal. */
  readonly keepMs: number;
}

export type RunCounts = Record<"takeovers" | "handovers" | "producersDeposed" | "publishesFenced" | "publishFailures", number>;

export class ProducerRuns {
  readonly counts: RunCounts = { takeovers: 0, handovers: 0, producersDeposed: 0, publishesFenced: 0, publishFailures: 0 };
  readonly #runs = new Map<string, Run>();
  readonly #context: ProducerRunsContext;
  /** Per topic whose takeover createTopic failed: when this process may take the lease again. */
  readonly #retryAt = new Map<string, { at: number }>();
  /** Producers deposed in the last DEPOSED_REPORT_MS, said in one report. */
  #deposedBurst: { topics: string[]; why: string } | undefined;

  constructor(context: ProducerRunsContext) {
    this.#context = context;
  }

  get size(): number {
    return this.#runs.size;
  }

  topics(): IterableIterator<string> {
    return this.#runs.keys();
  }

  /** The run of `topic` here: its token and whether it is live, for the tick. */
  of(topic: string): { token: string; live: boolean } | undefined {
    const run = this.#runs.get(topic);
    return run === undefined ? undefined : { token: run.token, live: run.state === "live" };
  }

  has(topic: string): boolean {
    return this.#runs.has(topic);
  }

  accepts(run: TopicGeneration): boolean {
    return run instanceof Run && (run.state === "creating" || run.state === "live") && this.#runs.get(run.topic) === run;
  }

  /** Whether this process may take `topic`'s lease now (not backing off after its createTopic failed). */
  mayAcquire(topic: string): boolean {
    const retry = this.#retryAt.get(topic);
    return retry === undefined || retry.at <= Date.now();
  }

  /** This process no longer holds `topic`: its backoff is forgotten. */
  forget(topic: string): void {
    this.#retryAt.delete(topic);
  }

  /** Runs createTopic here under `token`; resolves once it succeeded and the topic is live everywhere, rejects with why not. */
  async start(topic: string, keys: TopicKeys, token: string, request: unknown, user: unknown): Promise<void> {
    const { link, sink } = this.#context;
    const run = new Run(topic, token, keys, (message) => this.#onProducerMessage(run, message));
    // Subscribed first: a `deposed` or `unheld` for this run must not be missed.
    try {
      await link.subscribe(keys.producerChannel, run.listener);
    } catch (error) {
      // Given back at once (the stream kept), rather than left to lapse while holders wait.
      await this.#release(keys, token, true);
      throw unavailable(error, `producing "${topic}"`);
    }
    this.#runs.set(topic, run);
    run.created = sink.createTopic(run, request, user);
    try {
      await run.created;
    } catch (error) {
      if (this.#runs.get(topic) === run) this.#runs.delete(topic);
      run.state = "ended";
      await link.unsubscribe(keys.producerChannel, run.listener).catch(() => undefined);
      await link.run(FAILED, [keys.meta, keys.stream, keys.lease], [token, keys.channel, describeError(error)]).catch(() => undefined);
      throw error instanceof Error ? error : new Error(describeError(error));
    }
    if (run.state !== "creating") return;
    run.state = "live";
    // Lost (a blip)? The run's next tick says it is live instead.
    await link.run(LIVE, [keys.lease], [token, keys.channel]).catch(() => undefined);
  }

  /**
   * This process took a lapsed lease at its tick (the stream restarted with
   * a new epoch): it produces now, or — `holding` undefined: its last
   * subscriber left meanwhile — gives the lease back for a process that
   * holds it. Resolves with why its createTopic failed, if it did.
   */
  async takeOver(
    topic: string,
    keys: TopicKeys,
    token: string,
    holding: { request: unknown; user: unknown } | undefined,
    handedOver: boolean,
  ): Promise<Error | undefined> {
    // A handover continues the stream; a takeover of a lapsed lease restarts it.
    if (handedOver) this.counts.handovers += 1;
    else this.counts.takeovers += 1;
    if (holding === undefined) {
      await this.#release(keys, token, true);
      return undefined;
    }
    try {
      await this.start(topic, keys, token, holding.request, holding.user);
      this.#retryAt.delete(topic);
      return undefined;
    } catch (error) {
      // Redis, not the service, failed (the lease lapses, or a holder takes it at once): no backoff, and the link said so.
      if (error instanceof WsgenError && error.code === "ERR_BROKER_UNAVAILABLE") return error;
      // The lease is free again: this process tries again after leaseMs, not at every tick (another holder may sooner),
      // so a service that is back gets its producer within leaseMs + tickMs; reported once per streak.
      const last = this.#retryAt.get(topic);
      this.#retryAt.set(topic, { at: Date.now() + this.#context.leaseMs });
      const failure = error instanceof Error ? error : new Error(describeError(error));
      if (last !== undefined) return failure;
      const message = `createTopic("${topic}") failed taking over from a lapsed producer (retried every leaseMs while this process holds it): ${describeError(error)}`;
      this.#context.sink.report(new WsgenError("ERR_SERVICE_FAILED", message, { cause: error }), "broker");
      return failure;
    }
  }

  publish(generation: TopicGeneration, payloads: readonly string[]): void {
    const run = generation as Run;
    if (!this.accepts(run)) return;
    const { link, maxlen, keepMs } = this.#context;
    const gap = run.gap;
    run.gap = 0;
    const { keys } = run;
    const args = publishArguments({ token: run.token, maxlen, channel: keys.channel, gap, keepMs }, payloads);
    const sent = link.run(PUBLISH, metaKeys(keys), args).then(
      (reply) => {
        if ((reply as [number, string])[1] !== "fenced") return;
        this.counts.publishesFenced += payloads.length;
        return this.#depose(run, "its update was refused: another process holds the topic's lease");
      },
      () => {
        // Lost on the way (Redis unreachable): the next publish skips their seqs, so subscribers see the gap.
        run.gap += gap + payloads.length;
        this.counts.publishFailures += payloads.length;
      },
    );
    run.pending.add(sent);
    void sent.finally(() => run.pending.delete(sent));
  }

  skip(generation: TopicGeneration): void {
    if (this.accepts(generation)) (generation as Run).gap += 1;
  }

  /** No process holds `topic` any more (as this one heard): if Redis agrees, removeTopic here and the stream ends. */
  async retire(topic: string): Promise<void> {
    const run = this.#runs.get(topic);
    if (run?.state !== "live") return;
    let verdict: string;
    try {
      verdict = (await this.#context.link.run(RETIRE, [run.keys.lease, run.keys.holders], [run.token, this.#context.leaseMs])) as string;
    } catch {
      return; // the next tick asks again
    }
    if (verdict === "lost") await this.#depose(run, "another process holds the topic's lease");
    else if (verdict === "retire") await this.#end(run, false);
  }

  /** `topic`'s run here lost its lease (its tick found it gone). */
  async depose(topic: string, why: string): Promise<void> {
    const run = this.#runs.get(topic);
    if (run !== undefined) await this.#depose(run, why);
  }

  /** The run lost its lease: it stops, and removeTopic runs once its createTopic settled. */
  async #depose(run: Run, why: string): Promise<void> {
    if (run.state === "ended" || run.state === "removing") return;
    run.state = "ended";
    this.counts.producersDeposed += 1;
    this.#drop(run);
    this.#reportDeposed(run.topic, why);
    await run.created.then(
      () => this.#context.sink.removeTopic(run.topic),
      () => undefined,
    );
  }

  /** Ends every run, handing each over with its stream; a createTopic still pending is not waited for past `timeoutMs`. */
  async shutdown(timeoutMs: number): Promise<void> {
    await Promise.all([...this.#runs.values()].map((run) => this.#end(run, true, timeoutMs)));
  }

  /**
   * Ends a run that still owns its lease: what it queued is sent, removeTopic
   * runs, the lease is released. At shutdown (`timeoutMs`) a createTopic
   * still pending is not waited for past it: the lease is released, and
   * removeTopic follows whenever it settles.
   */
  async #end(run: Run, handover: boolean, timeoutMs?: number): Promise<void> {
    if (run.state !== "live" && run.state !== "creating") return;
    const { sink } = this.#context;
    sink.flush();
    run.state = "removing";
    await Promise.allSettled([...run.pending]);
    const removed = run.created.then(
      () => sink.removeTopic(run.topic),
      () => undefined,
    );
    await (timeoutMs === undefined ? removed : Promise.race([removed, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]));
    this.#drop(run);
    await this.#release(run.keys, run.token, handover);
  }

  async #release(keys: TopicKeys, token: string, handover: boolean): Promise<void> {
    try {
      await this.#context.link.run(RELEASE, metaKeys(keys), [token, handover ? "1" : "0", keys.channel]);
    } catch (error) {
      // The lease lapses by itself within leaseMs; a holder then takes it.
      this.#context.sink.report(unavailable(error, `releasing the lease of "${keys.meta}"`), "broker");
    }
  }

  /**
   * Says that producers stopped here, once per burst: a Redis restart
   * deposes every producer of the process at once, which is one event, not
   * one log line per topic.
   */
  #reportDeposed(topic: string, why: string): void {
    if (this.#deposedBurst !== undefined) {
      this.#deposedBurst.topics.push(topic);
      return;
    }
    this.#deposedBurst = { topics: [topic], why };
    setTimeout(() => {
      const { topics, why: first } = this.#deposedBurst!;
      this.#deposedBurst = undefined;
      const named = topics
        .slice(0, 5)
        .map((name) => `"${name}"`)
        .join(", ");
      const more = topics.length > 5 ? ` and ${topics.length - 5} more` : "";
      const what = topics.length === 1 ? `stopped producing ${named}` : `stopped producing ${topics.length} topics (${named}${more})`;
      this.#context.sink.report(
        new WsgenError("ERR_PRODUCER_DEPOSED", `route "${this.#context.spec.route}": ${what} here: ${first}`),
        "broker",
      );
    }, DEPOSED_REPORT_MS).unref();
  }

  #drop(run: Run): void {
    if (this.#runs.get(run.topic) !== run) return;
    this.#runs.delete(run.topic);
    void this.#context.link.unsubscribe(run.keys.producerChannel, run.listener).catch(() => undefined);
  }

  #onProducerMessage(run: Run, raw: Buffer): void {
    if (this.#runs.get(run.topic) !== run) return;
    const message = parseChannelMessage(raw);
    if (message?.kind === "unheld") void this.retire(run.topic);
    else if (message?.kind === "deposed" && message.token === run.token) void this.#depose(run, "another process took its lapsed lease");
  }
}
