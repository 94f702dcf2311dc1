/**
 * The account panels: orders, positions and executions of one account,
 * through the generated typed client. Orders and positions have HTTP lists
 * (modules/broker/http.ts): they load one when the panel starts and after
 * every reset. Executions have none: after a reset their list says, in
 * line, that earlier executions may be missing.
 */
import type { StreamReset, TypedClient, UpdateStream } from "wsgen/client";
import type { WsContract } from "../../../generated/client.js";
import type { Execution, PlacedOrder, Position } from "../src/models/broker.js";
import { $, clock, noteRow, row } from "./dom.js";
import { resetReason, type DeliveryNotices } from "./delivery-notices.js";
import { Panel } from "./panel.js";
import { SyncedTable } from "./synced-table.js";

/** Executions the list keeps. */
const EXECUTIONS_SHOWN = 50;

type ExecutionEntry = { kind: "execution"; execution: Execution } | { kind: "gap"; text: string };

const query = (accountId: string): string => `?accountId=${encodeURIComponent(accountId)}`;

export class AccountPanels {
  readonly orders: SyncedTable<PlacedOrder>;
  readonly positions: SyncedTable<Position>;
  readonly executions: ExecutionEntry[] = [];
  readonly panels: Panel[];
  readonly #client: TypedClient<WsContract>;
  readonly #executionsPanel: Panel;
  #streams: UpdateStream<unknown>[] = [];

  constructor(client: TypedClient<WsContract>, notices: DeliveryNotices) {
    this.#client = client;
    const ordersPanel = new Panel("orders", "broker", notices);
    const positionsPanel = new Panel("positions", "broker", notices);
    this.#executionsPanel = new Panel("executions", "broker", notices);
    this.panels = [ordersPanel, positionsPanel, this.#executionsPanel];
    this.orders = new SyncedTable(ordersPanel, {
      path: (accountId) => `/api/v1/broker/orders${query(accountId)}`,
      key: (order) => order.id,
      newer: (listed, live) => listed.updatedAt > live.updatedAt,
      noun: "orders",
      render: () => this.#renderOrders(),
    });
    this.positions = new SyncedTable(positionsPanel, {
      path: (accountId) => `/api/v1/broker/positions${query(accountId)}`,
      key: (position) => position.symbol,
      noun: "positions",
      render: () => this.#renderPositions(),
    });
  }

  async watch(accountId: string): Promise<void> {
    await Promise.all(this.#streams.map((stream) => stream.close()));
    for (const panel of this.panels) panel.restart(`${panel.name} ${accountId}`);
    this.orders.clear();
    this.positions.clear();
    this.executions.length = 0;
    this.#renderExecutions();
    const { broker } = this.#client;
    const orders = broker.orders.events({ accountId });
    const positions = broker.positions.events({ accountId });
    const executions = broker.executions.events({ accountId });
    this.#streams = [orders, positions, executions];
    const [ordersPanel, positionsPanel] = this.panels as [Panel, Panel, Panel];
    // What happened before the subscriptions comes over HTTP, once they are in place (and still the account's); live updates win over it.
    void Promise.all([orders.topic, positions.topic]).then(
      async () => {
        if (this.#streams[0] === orders) await Promise.all([this.orders.load(accountId), this.positions.load(accountId)]);
      },
      () => undefined, // a refused subscription: the panel's loop says so
    );
    void executions.topic.then(
      () => this.#executionsPanel.fresh(),
      () => undefined,
    );
    const reload =
      <Item>(table: SyncedTable<Item>) =>
      (reset: StreamReset): string => {
        void table.load(accountId, resetReason(reset));
        return "reloading from the server";
      };
    await Promise.all([
      ordersPanel.follow(orders, { data: (order) => this.orders.update(order), reset: reload(this.orders) }),
      positionsPanel.follow(positions, { data: (position) => this.positions.update(position), reset: reload(this.positions) }),
      this.#executionsPanel.follow(executions, {
        data: (execution) => this.#addExecution({ kind: "execution", execution }),
        reset: (reset) => {
          this.#addExecution({ kind: "gap", text: `resynced (${resetReason(reset)}) at ${clock()}: earlier executions may be missing` });
          return "earlier executions may be missing";
        },
      }),
    ]);
  }

  #addExecution(entry: ExecutionEntry): void {
    this.executions.unshift(entry);
    this.executions.length = Math.min(this.executions.length, EXECUTIONS_SHOWN);
    this.#renderExecutions();
    this.#executionsPanel.fresh();
  }

  #renderOrders(): void {
    const rows = [...this.orders.items.values()]
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .map((order) =>
        row(
          [
            clock(order.updatedAt),
            order.symbol,
            order.side,
            order.type,
            String(order.qty),
            order.limitPrice?.toFixed(2) ?? "",
            order.status,
            order.avgPrice?.toFixed(2) ?? "",
          ],
          { orderId: order.id, status: order.status },
        ),
      );
    $("orders-body").replaceChildren(...(rows.length > 0 ? rows : [noteRow("no orders", 8, { empty: "true" })]));
  }

  #renderPositions(): void {
    const rows = [...this.positions.items.values()].map((position) =>
      row([position.symbol, String(position.qty), position.avgPrice.toFixed(2), position.unrealizedPnl.toFixed(2)], {
        symbol: position.symbol,
      }),
    );
    $("positions-body").replaceChildren(...(rows.length > 0 ? rows : [noteRow("no positions", 4, { empty: "true" })]));
  }

  #renderExecutions(): void {
    const rows = this.executions.map((entry) =>
      entry.kind === "gap"
        ? noteRow(entry.text, 5, { gap: "true" })
        : row(
            [
              clock(entry.execution.time),
              entry.execution.symbol,
              entry.execution.side,
              String(entry.execution.qty),
              entry.execution.price.toFixed(2),
            ],
            { executionId: entry.execution.id },
          ),
    );
    $("executions-body").replaceChildren(
      ...(rows.length > 0 ? rows : [noteRow("no executions since the panel subscribed", 5, { empty: "true" })]),
    );
  }
}
