/**
 * The market panels: a chart of `bars` for the symbol the user picks, and a
 * table of `quotes`. Both are state: after lost updates (a reset) the next
 * update, the route's latest value right after a resubscribe, replaces what
 * is shown, and until it comes the panel (and each quote row) is stale.
 */
import type { TypedClient, UpdateStream } from "wsgen/client";
import type { WsContract } from "../../../generated/client.js";
import type { Bar, Quote } from "../src/models/datafeed.js";
import { $, clock, noteRow, row } from "./dom.js";
import type { DeliveryNotices } from "./delivery-notices.js";
import { Panel } from "./panel.js";

/** Bars the chart keeps. */
const CHART_BARS = 120;

export class BarsPanel {
  readonly panel: Panel;
  bars: Bar[] = [];
  /** Bars received since the page opened, over every symbol. */
  received = 0;
  readonly #client: TypedClient<WsContract>;
  #events: UpdateStream<unknown> | undefined;
  /** After a reset the chart restarts from the next bar: bars in between are missing, and a restarted market has other prices. */
  #restartChart = false;

  constructor(client: TypedClient<WsContract>, notices: DeliveryNotices) {
    this.#client = client;
    this.panel = new Panel("bars", "datafeed", notices);
  }

  async watch(symbol: string, resolution: string): Promise<void> {
    await this.#events?.close();
    this.bars = [];
    this.#restartChart = false;
    this.#draw();
    $("chart-title").textContent = `${symbol} · ${resolution}`;
    this.panel.restart(`bars ${symbol} · ${resolution}`);
    const events = this.#client.datafeed.bars.events({ symbol, resolution });
    this.#events = events;
    events.topic.then(
      () => ($("chart-error").textContent = ""),
      (error: Error) => ($("chart-error").textContent = error.message),
    );
    await this.panel.follow(events, {
      data: (bar) => this.#add(bar),
      reset: () => {
        this.#restartChart = true;
        return "the chart restarts from the latest bar";
      },
    });
  }

  #add(bar: Bar): void {
    if (this.#restartChart) this.bars = [];
    this.#restartChart = false;
    this.bars.push(bar);
    if (this.bars.length > CHART_BARS) this.bars.shift();
    this.received += 1;
    $("bar-count").textContent = String(this.received);
    $("last-price").textContent = bar.close.toFixed(2);
    this.#draw();
    this.panel.fresh();
  }

  #draw(): void {
    const canvas = $<HTMLCanvasElement>("chart");
    const context = canvas.getContext("2d");
    if (context === null) return;
    const { width, height } = canvas;
    context.clearRect(0, 0, width, height);
    const bars = this.bars;
    if (bars.length === 0) return;
    const low = Math.min(...bars.map((bar) => bar.low));
    const high = Math.max(...bars.map((bar) => bar.high));
    const span = high - low || 1;
    const y = (price: number): number => height - 10 - ((price - low) / span) * (height - 20);
    const step = width / CHART_BARS;
    bars.forEach((bar, index) => {
      const x = index * step + step / 2;
      context.strokeStyle = context.fillStyle = bar.close >= bar.open ? "#1a9c6b" : "#d24b4b";
      context.beginPath();
      context.moveTo(x, y(bar.high));
      context.lineTo(x, y(bar.low));
      context.stroke();
      const top = y(Math.max(bar.open, bar.close));
      context.fillRect(x - step * 0.35, top, step * 0.7, Math.max(1, y(Math.min(bar.open, bar.close)) - top));
    });
  }
}

export class QuotesPanel {
  readonly panel: Panel;
  /** The last quote of each symbol, and whether it is from before a drop or a reset. */
  readonly quotes = new Map<string, { quote: Quote; stale: boolean }>();
  readonly #client: TypedClient<WsContract>;

  constructor(client: TypedClient<WsContract>, notices: DeliveryNotices) {
    this.#client = client;
    // Quotes come one symbol at a time: each row stays stale until its own next quote.
    this.panel = new Panel("quotes", "datafeed", notices, () => {
      for (const entry of this.quotes.values()) entry.stale = true;
      this.#render();
    });
  }

  async watch(symbols: string[]): Promise<void> {
    this.panel.restart(`quotes ${symbols.join(",")}`);
    this.#render();
    await this.panel.follow(this.#client.datafeed.quotes.events({ symbols }), {
      data: (quote) => {
        this.quotes.set(quote.symbol, { quote, stale: false });
        this.#render();
        this.panel.fresh();
      },
      reset: () => "each row is replaced as its next quote arrives",
    });
  }

  #render(): void {
    const rows = [...this.quotes.values()]
      .sort((a, b) => a.quote.symbol.localeCompare(b.quote.symbol))
      .map(({ quote, stale }) =>
        row([quote.symbol, quote.bid.toFixed(2), quote.ask.toFixed(2), quote.last.toFixed(2), clock(quote.time)], {
          symbol: quote.symbol,
          stale: String(stale),
        }),
      );
    $("quotes-body").replaceChildren(...(rows.length > 0 ? rows : [noteRow("waiting for the first quote", 5)]));
  }
}
