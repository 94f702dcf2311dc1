/**
 * RouteUpdates: the path of one route's updates, from a service's
 * `topicUpdate` to the sockets. They wait in a bounded UpdateQueue; each
 * drained batch is validated against the data schema, positioned in its
 * topic's stream and encoded once (kept in the history), then written to
 * the topic's holders (fan-out.ts), each lagging one offered to its route's
 * LaggingHolders instead (lag-policy.ts).
 *
 * With a broker that shares topics (`remote`), a drained batch is validated
 * and serialized here, then handed to the broker, which positions it for
 * every process; what comes back from it is written by `deliver`.
 */
import type { z } from "zod";
import { jsonOf, updateType, type UpdateEncoder } from "../protocol/messages.js";
import type { StreamPosition } from "../protocol/positions.js";
import type { RouteStreams } from "./broker.js";
import { describeError, WsgenError } from "./errors.js";
import { fanOut, type EncodedUpdate, type Subscriber } from "./fan-out.js";
import { encodeRetainedTextFrame, type EncodedFrames } from "./frame.js";
import type { LaggingHolders } from "./lag-policy.js";
import { ROUTE_DEFAULTS } from "./route-options.js";
import type { TopicDelivery } from "./topic-delivery.js";
import type { TopicGeneration } from "./topic-lifecycle.js";
import { UpdateQueue } from "./update-queue.js";

/** What the route's lifecycle tells the update path: which generations still take positions, and who holds a topic. */
export interface UpdateTopics {
  /** The generation is live or lingering: its updates take positions (and go to its holders, if any). */
  streams(generation: TopicGeneration): boolean;
  holders(topic: string): ReadonlySet<Subscriber>;
}

export interface RouteUpdatesOptions {
  route: string;
  dataName: string;
  dataSchema: z.ZodType;
  /** Whether each update is checked against `dataSchema` (`validateUpdates`). */
  validate: boolean;
  encode: UpdateEncoder;
  queueCapacity?: number | undefined;
  batchWindowMs?: number | undefined;
  topics: UpdateTopics;
  delivery: TopicDelivery;
  lagging: LaggingHolders;
  /** The broker's streams, when topics are shared by several processes; updates are then positioned there. */
  remote?: RouteStreams | undefined;
  report(error: unknown, where: string): void;
}

type QueuedUpdate = { generation: TopicGeneration; data: unknown };

export class RouteUpdates {
  readonly #options: RouteUpdatesOptions;
  readonly #queue: UpdateQueue<QueuedUpdate>;
  #updatesInvalid = 0;
  #updatesPublished = 0;
  #framesSent = 0;

  constructor(options: RouteUpdatesOptions) {
    this.#options = options;
    this.#queue = new UpdateQueue<QueuedUpdate>({
      capacity: options.queueCapacity ?? ROUTE_DEFAULTS.queueCapacity,
      batchWindowMs: options.batchWindowMs ?? ROUTE_DEFAULTS.batchWindowMs,
      deliver: (updates) => (options.remote === undefined ? this.#fanOut(updates) : this.#publishRemote(options.remote, updates)),
      onDeliverError: (error) => options.report(error, `${updateType(options.route)} fan-out`),
      onDrop: (update) => this.#skipDropped(update),
    });
  }

  /** Queues an update of `generation`'s topic. */
  push(generation: TopicGeneration, data: unknown): void {
    this.#queue.push({ generation, data });
  }

  /** `data` as it would be sent, as JSON (parsed by the data schema, with `validate`), or why it would not be. */
  json(data: unknown): { ok: true; json: string } | { ok: false; why: string } {
    const { validate, dataSchema, dataName } = this.#options;
    let value = data;
    if (validate) {
      const parsed = dataSchema.safeParse(data);
      if (!parsed.success) return { ok: false, why: `does not match ${dataName}: ${parsed.error.message}` };
      value = parsed.data;
    }
    try {
      return { ok: true, json: jsonOf(value) };
    } catch (error) {
      return { ok: false, why: `cannot be serialized: ${describeError(error)}` };
    }
  }

  /** Drains the queue now (a producer run that ends sends what it queued first). */
  flush(): void {
    this.#queue.drain();
  }

  /** Discards pending updates and refuses new ones. */
  close(): void {
    this.#queue.close();
  }

  get counts(): { queued: number; updatesDropped: number; updatesInvalid: number; updatesPublished: number; framesSent: number } {
    return {
      queued: this.#queue.size,
      updatesDropped: this.#queue.dropped,
      updatesInvalid: this.#updatesInvalid,
      updatesPublished: this.#updatesPublished,
      framesSent: this.#framesSent,
    };
  }

  /** Validates and encodes a drained batch, then writes it to the holders (fan-out.ts). */
  #fanOut(updates: readonly QueuedUpdate[]): void {
    const encoded: EncodedUpdate[] = [];
    for (const update of updates) {
      const { topic } = update.generation;
      try {
        const positioned = this.#encode(update);
        if (positioned !== undefined) encoded.push({ topic, ...positioned });
      } catch (error) {
        // One update that cannot be serialized (a BigInt, a cycle, a throwing toJSON) costs only itself.
        this.#invalid(
          new WsgenError("ERR_INVALID_UPDATE", `update for "${topic}" could not be serialized: ${describeError(error)}`, { cause: error }),
        );
      }
    }
    this.deliver(encoded);
  }

  /** Writes encoded updates to their topics' holders, each lagging one offered to LaggingHolders instead. */
  deliver(encoded: readonly EncodedUpdate[]): void {
    const { delivery, topics, lagging } = this.#options;
    if (encoded.length === 0) return;
    const now = performance.now();
    this.#framesSent += fanOut(
      encoded,
      (topic) => delivery.holders(topic, topics.holders(topic)),
      (holder, topic, held) => lagging.holdBack(holder, topic, held, now),
    );
  }

  /**
   * An update the full queue dropped takes its seq, so subscribers see the gap — but only one that would have
   * been sent: of the stream's live or lingering generation (an ended one's stream is gone; the current one owes it nothing)
   * and valid (the check it would have had anyway). One that would not serialize still counts: finding out costs the encoding.
   */
  #skipDropped({ generation, data }: QueuedUpdate): void {
    const { topics, validate, dataSchema, delivery, remote } = this.#options;
    const streams = remote === undefined ? topics.streams(generation) : remote.accepts(generation);
    if (!streams || (validate && !dataSchema.safeParse(data).success)) return;
    if (remote === undefined) delivery.history.skip(generation.topic);
    else remote.skipRun(generation);
  }

  /** Validates and serializes a drained batch, then hands each run of one producer's updates to the broker. */
  #publishRemote(remote: RouteStreams, updates: readonly QueuedUpdate[]): void {
    let run: TopicGeneration | undefined;
    let payloads: string[] = [];
    const send = (): void => {
      if (run !== undefined && payloads.length > 0) remote.publishRun(run, payloads);
      payloads = [];
    };
    for (const update of updates) {
      if (!remote.accepts(update.generation)) continue;
      const encoded = this.json(update.data);
      if (!encoded.ok) {
        this.#invalid(new WsgenError("ERR_INVALID_UPDATE", `update for "${update.generation.topic}" ${encoded.why}`));
        continue;
      }
      if (update.generation !== run) send();
      run = update.generation;
      payloads.push(encoded.json);
      this.#updatesPublished += 1;
    }
    send();
  }

  /** The update's data as sent: parsed by the data schema (with `validate`), or undefined (reported) when it does not match. */
  #checked({ generation, data }: QueuedUpdate): { value: unknown } | undefined {
    const { validate, dataSchema, dataName } = this.#options;
    if (!validate) return { value: data };
    const parsed = dataSchema.safeParse(data);
    if (parsed.success) return { value: parsed.data };
    this.#invalid(
      new WsgenError("ERR_INVALID_UPDATE", `update for "${generation.topic}" does not match ${dataName}: ${parsed.error.message}`),
    );
    return undefined;
  }

  /** Validates one update, then positions, encodes and records it; undefined if it goes nowhere or is invalid. */
  #encode({ generation, data }: QueuedUpdate): { frame: EncodedFrames; position: StreamPosition } | undefined {
    const { topics, delivery, encode } = this.#options;
    const { topic } = generation;
    // Also while it lingers: nobody is written it now, but a subscriber back within the linger is replayed it.
    if (!topics.streams(generation)) return undefined;
    const checked = this.#checked({ generation, data });
    if (checked === undefined) return undefined;
    const payload = checked.value;
    let position!: StreamPosition; // set by publish, which calls the encoder exactly once
    const frame = delivery.publish(topic, (at) => {
      position = at;
      return encodeRetainedTextFrame(encode(topic, payload, at));
    });
    this.#updatesPublished += 1;
    return { frame, position };
  }

  #invalid(error: WsgenError): void {
    this.#updatesInvalid += 1;
    this.#options.report(error, updateType(this.#options.route));
  }
}
