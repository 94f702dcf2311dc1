/**
 * What the page tells the user about delivery: a log of connection changes,
 * resubscribes and resets (newest first), and a notice naming every panel
 * that had to resync after the last drop, why, and what it did about it.
 */
import type { StreamReset } from "wsgen/client";
import { clock } from "./dom.js";

/** Log lines kept on the page. */
const LOG_LINES = 30;

/** Why a panel resynced, as the page says it: the typed client's reason, with the count of lost updates when one epoch tells it. */
export function resetReason(reset: StreamReset): string {
  return reset.missed === undefined ? reset.reason : `${reset.reason}, ${reset.missed} missed`;
}

export class DeliveryNotices {
  readonly #notice: HTMLElement;
  readonly #log: HTMLElement;
  /** Panel label → what its last resync did, for the notice. */
  readonly #resyncs = new Map<string, string>();
  #resyncedAt = 0;
  /** A connection dropped since the notice was written: the next resync starts a new one. */
  #newEpisode = true;

  constructor(notice: HTMLElement, log: HTMLElement) {
    this.#notice = notice;
    this.#log = log;
  }

  log(text: string): void {
    const item = document.createElement("li");
    item.textContent = `${clock()} ${text}`;
    this.#log.prepend(item);
    while (this.#log.childElementCount > LOG_LINES) this.#log.lastElementChild?.remove();
  }

  /** A connection dropped: resyncs after it belong to a new notice. */
  connectionLost(): void {
    this.#newEpisode = true;
  }

  /** `panel` resynced for `reason`; `outcome` says what the panel shows now (called again when a reload ends). */
  resynced(panel: string, reason: string, outcome: string): void {
    if (this.#newEpisode) {
      this.#resyncs.clear();
      this.#resyncedAt = Date.now();
      this.#newEpisode = false;
    }
    this.#resyncs.set(panel, `${panel} (${reason}): ${outcome}`);
    this.#notice.hidden = false;
    this.#notice.dataset.reason = reason.split(",")[0];
    this.#notice.textContent = `Resynced at ${clock(this.#resyncedAt)}: ${[...this.#resyncs.values()].join("; ")}`;
  }
}
