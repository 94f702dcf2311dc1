/**
 * The datafeed service: a random walk per topic, one update per topic every
 * `tickMs`, started on createTopic and stopped on removeTopic exactly.
 */
import { LiveTopics, type LiveTopic } from "wsgen";
import type { Bar, BarSubscriptionRequest, Quote, QuoteSubscriptionRequest } from "../../models/datafeed.js";
import { round, type Market } from "../../market.js";

export interface DatafeedOptions {
  market: Market;
  /** Milliseconds between updates of one topic; values down to 1 are honoured. */
  tickMs: number;
}

export class DatafeedService {
  readonly bars: LiveTopics<BarSubscriptionRequest, Bar>;
  readonly quotes: LiveTopics<QuoteSubscriptionRequest, Quote>;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #options: DatafeedOptions;

  constructor(options: DatafeedOptions) {
    this.#options = options;
    this.bars = new LiveTopics({ onCreate: (topic) => this.#startBars(topic), onRemove: ({ topic }) => this.#stop(topic) });
    this.quotes = new LiveTopics({ onCreate: (topic) => this.#startQuotes(topic), onRemove: ({ topic }) => this.#stop(topic) });
  }

  /** Topics currently producing data. */
  get activeTopics(): number {
    return this.#timers.size;
  }

  /** Stops every producer (the app's close() removes topics first; this is the backstop). */
  stop(): void {
    for (const topic of [...this.#timers.keys()]) this.#stop(topic);
  }

  #startBars({ topic, request, update }: LiveTopic<BarSubscriptionRequest, Bar>): void {
    const { market } = this.#options;
    this.#every(topic, () => {
      const open = market.price(request.symbol);
      const close = market.step(request.symbol);
      const wiggle = Math.abs(close - open) * market.random();
      update({
        time: Date.now(),
        open,
        high: round(Math.max(open, close) + wiggle),
        low: round(Math.max(0.01, Math.min(open, close) - wiggle)),
        close,
        volume: Math.round(100 + market.random() * 10_000),
      });
    });
  }

  #startQuotes({ topic, request, update }: LiveTopic<QuoteSubscriptionRequest, Quote>): void {
    const { market } = this.#options;
    let next = 0;
    this.#every(topic, () => {
      const symbol = request.symbols[next % request.symbols.length] as string;
      next += 1;
      const last = market.step(symbol);
      const half = round(Math.max(0.01, last * 0.0005));
      update({ symbol, bid: round(last - half), ask: round(last + half), last, time: Date.now() });
    });
  }

  #every(topic: string, tick: () => void): void {
    this.#stop(topic);
    this.#timers.set(topic, setInterval(tick, Math.max(1, this.#options.tickMs)));
  }

  #stop(topic: string): void {
    clearInterval(this.#timers.get(topic));
    this.#timers.delete(topic);
  }
}
