/**
 * One panel of the demo page and the delivery events of the subscription
 * behind it. A panel is `waiting` (nothing shown yet), `live` (it shows
 * current data) or `stale` (its data is from before a disconnect or a
 * reset, until fresh data replaces it). The section's `data-state` and a
 * badge say which; its delivery line says how the last resubscribe went.
 */
import type { Resubscription, StreamEvent, StreamReset, UpdateStream } from "wsgen/client";
import { $, clock } from "./dom.js";
import { resetReason, type DeliveryNotices } from "./delivery-notices.js";

type PanelState = "waiting" | "live" | "stale";

/** What a panel does with its route's items: show data; bring itself back in line after lost updates. */
export interface PanelHandlers<Data> {
  data(data: Data): void;
  /** Updates were lost; returns what the panel does about it, as the notice says it ("reloaded from the server"). */
  reset(reset: StreamReset): string;
}

export class Panel {
  readonly name: string;
  /** The module whose connection the panel's subscription uses. */
  readonly module: string;
  /** The panel and its subscription, as notices name it ("orders ACC-1"). */
  label: string;
  readonly #notices: DeliveryNotices;
  readonly #section: HTMLElement;
  readonly #onStale: (() => void) | undefined;
  #state: PanelState = "waiting";
  /** The stream the panel follows; items of one it no longer follows (read after a switch) are dropped. */
  #current: UpdateStream<unknown> | undefined;
  /**
   * The connection dropped and its resubscribe has not been answered: data
   * read now was sent before the drop, and must not clear the stale mark.
   */
  #awaitingResubscribe = false;

  /** `onStale`: told each time the panel turns stale, for panels that mark their rows too. */
  constructor(name: string, module: string, notices: DeliveryNotices, onStale?: () => void) {
    this.name = name;
    this.module = module;
    this.label = name;
    this.#notices = notices;
    this.#onStale = onStale;
    this.#section = document.querySelector<HTMLElement>(`section[data-panel="${name}"]`) as HTMLElement;
    this.#show("waiting", "waiting for data");
  }

  /** A new subscription behind the panel (another symbol, another account): nothing shown yet. */
  restart(label: string): void {
    this.label = label;
    this.#awaitingResubscribe = false;
    this.note("");
    this.#show("waiting", "waiting for data");
  }

  /** The panel shows current data now. */
  fresh(): void {
    if (this.#awaitingResubscribe || this.#state === "live") return;
    this.#show("live", "live");
  }

  /** The panel's connection is not open: what it shows may be outdated until the resubscribe says otherwise. */
  disconnected(): void {
    if (this.#state === "waiting" || this.#awaitingResubscribe) return;
    this.#awaitingResubscribe = true;
    this.#show("stale", "stale: reconnecting");
  }

  /** Follows `events` (the route's `events()` stream) until it ends, `handlers` doing what is particular to the panel. */
  async follow<Data>(events: UpdateStream<StreamEvent<Data>>, handlers: PanelHandlers<Data>): Promise<void> {
    this.#current = events;
    try {
      for await (const item of events) {
        if (this.#current !== events) break;
        if (item.kind === "data") handlers.data(item.data);
        else if (item.kind === "resubscribe") this.#resubscribed(item.resubscription);
        else this.#reset(item.reset, () => handlers.reset(item.reset));
      }
    } catch (error) {
      if (this.#current !== events) return;
      // A refused subscription or resubscription: the panel says so rather than showing old data as if live.
      this.note(`subscription ended: ${(error as Error).message}`);
      this.#show("stale", "stale: not subscribed");
    }
  }

  /** Sets the panel's delivery line. */
  note(text: string): void {
    $(`${this.name}-delivery`).textContent = text;
  }

  /** How a resync went (called again when a reload over HTTP ends): the notice and the delivery line say it. */
  resolved(reason: string, outcome: string): void {
    this.#notices.resynced(this.label, reason, outcome);
    this.note(`resynced (${reason}) ${clock()}: ${outcome}`);
  }

  #resubscribed(resubscription: Resubscription): void {
    this.#awaitingResubscribe = false;
    const { recovered, reason } = resubscription;
    this.#notices.log(`${this.label}: resubscribed, ${recovered ? "recovered" : `not recovered (${reason ?? "unknown"})`}`);
    if (!recovered) return; // a reset follows, and says what the panel does
    this.note(`recovered ${clock()}`);
    // Every missed update follows at once, before any newer one: what the panel shows is, or is about to be, current.
    this.fresh();
  }

  #reset(reset: StreamReset, resync: () => string): void {
    const reason = resetReason(reset);
    this.#show("stale", `stale: resynced (${reset.reason})`);
    const outcome = resync();
    this.#notices.log(`${this.label}: reset (${reason}): ${outcome}`);
    this.resolved(reason, outcome);
  }

  #show(state: PanelState, badge: string): void {
    if (state === "stale") this.#onStale?.();
    this.#state = state;
    this.#section.dataset.state = state;
    $(`${this.name}-state`).textContent = badge;
  }
}
