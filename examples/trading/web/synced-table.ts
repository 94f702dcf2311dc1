/**
 * An account's items (orders, positions) as the server knows them: the HTTP
 * list when the panel starts and after every reset, with the live updates
 * of the socket on top. The reload is what makes an event stream whole
 * again when the server could not replay what was missed.
 */
import { getJson } from "./dom.js";
import type { Panel } from "./panel.js";

export interface SyncedTableOptions<Item> {
  /** The HTTP path listing an account's items. */
  path: (accountId: string) => string;
  key: (item: Item) => string;
  /** Whether the listed item is newer than the one that came live while the list was loading. @default never: live wins */
  newer?: (listed: Item, live: Item) => boolean;
  /** What an item is called in notices ("orders"). */
  noun: string;
  render: () => void;
}

export class SyncedTable<Item> {
  items = new Map<string, Item>();
  readonly #panel: Panel;
  readonly #options: SyncedTableOptions<Item>;
  /** Bumped by each load and by clear(): a load that is not the latest drops its answer. */
  #generation = 0;
  /** Keys updated live since the load under way started (undefined: none under way). */
  #liveDuringLoad: Set<string> | undefined;

  constructor(panel: Panel, options: SyncedTableOptions<Item>) {
    this.#panel = panel;
    this.#options = options;
  }

  clear(): void {
    this.#generation += 1;
    this.#liveDuringLoad = undefined;
    this.items = new Map();
    this.#options.render();
  }

  update(item: Item): void {
    const key = this.#options.key(item);
    this.items.set(key, item);
    this.#liveDuringLoad?.add(key);
    this.#options.render();
    if (this.#liveDuringLoad === undefined) this.#panel.fresh();
  }

  /**
   * Replaces the items with the server's list for `accountId`, keeping what
   * came live meanwhile; `reason` is the reset's, undefined for the first
   * load. The panel is fresh once the list is in, or marked incomplete.
   */
  async load(accountId: string, reason?: string): Promise<void> {
    const generation = ++this.#generation;
    const live = new Set<string>();
    this.#liveDuringLoad = live;
    const { key, newer = () => false, noun } = this.#options;
    let listed: Item[];
    try {
      listed = await getJson<Item[]>(this.#options.path(accountId));
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#liveDuringLoad = undefined;
      const outcome = `earlier ${noun} may be missing (${(error as Error).message})`;
      if (reason === undefined) this.#panel.note(outcome);
      else this.#panel.resolved(reason, outcome);
      this.#panel.fresh();
      return;
    }
    if (generation !== this.#generation) return;
    const items = new Map(listed.map((item) => [key(item), item]));
    for (const liveKey of live) {
      const shown = this.items.get(liveKey) as Item;
      const fromList = items.get(liveKey);
      if (fromList === undefined || !newer(fromList, shown)) items.set(liveKey, shown);
    }
    this.items = items;
    this.#liveDuringLoad = undefined;
    this.#options.render();
    if (reason !== undefined) this.#panel.resolved(reason, `reloaded from the server (${items.size} ${noun})`);
    this.#panel.fresh();
  }
}
