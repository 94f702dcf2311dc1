/**
 * The demo page's script (bundled for the browser by src/demo-bundle.ts):
 * a live chart of `bars` for the symbol the user picks, and live orders and
 * positions tables of an account, all through the generated typed client.
 * Orders are placed over HTTP; their updates come back over the socket.
 */
import { createWsClient } from "../../../generated/client.js";
import type { Bar } from "../src/models/datafeed.js";
import type { PlacedOrder, Position } from "../src/models/broker.js";
import type { Subscription } from "wsgen/client";

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
// With AUTH_TOKEN on the server, open the page as /?token=…: the client sends it as ?token= (a browser's WebSocket cannot send headers), HTTP as a header.
const token = new URLSearchParams(location.search).get("token") ?? "";
const authHeaders: Record<string, string> = token === "" ? {} : { authorization: `Bearer ${token}` };
const client = createWsClient(location.origin, {
  ...(token === "" ? {} : { token }),
  onStateChange: () => renderStatus(),
  onError: (error) => console.warn(error.message),
});

/** What the page shows, also exposed as `window.demo` for tests and curious users. */
const state = {
  bars: [] as Bar[],
  barsReceived: 0,
  orders: new Map<string, PlacedOrder>(),
  positions: new Map<string, Position>(),
};
(window as unknown as { demo: typeof state }).demo = state;

// ---- chart ------------------------------------------------------------------
let barSubscription: Subscription | undefined;

async function watchSymbol(symbol: string, resolution: string): Promise<void> {
  await barSubscription?.unsubscribe();
  state.bars = [];
  drawChart();
  $("chart-title").textContent = `${symbol} · ${resolution}`;
  try {
    barSubscription = await client.datafeed.bars.subscribe({ symbol, resolution }, (bar) => {
      state.bars.push(bar);
      if (state.bars.length > 120) state.bars.shift();
      state.barsReceived += 1;
      $("bar-count").textContent = String(state.barsReceived);
      $("last-price").textContent = bar.close.toFixed(2);
      drawChart();
    });
    $("chart-error").textContent = "";
  } catch (error) {
    $("chart-error").textContent = (error as Error).message;
  }
}

function drawChart(): void {
  const canvas = $<HTMLCanvasElement>("chart");
  const context = canvas.getContext("2d");
  if (context === null) return;
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  const bars = state.bars;
  if (bars.length === 0) return;
  const low = Math.min(...bars.map((bar) => bar.low));
  const high = Math.max(...bars.map((bar) => bar.high));
  const span = high - low || 1;
  const y = (price: number): number => height - 10 - ((price - low) / span) * (height - 20);
  const step = width / 120;
  bars.forEach((bar, index) => {
    const x = index * step + step / 2;
    const up = bar.close >= bar.open;
    context.strokeStyle = context.fillStyle = up ? "#1a9c6b" : "#d24b4b";
    context.beginPath();
    context.moveTo(x, y(bar.high));
    context.lineTo(x, y(bar.low));
    context.stroke();
    const top = y(Math.max(bar.open, bar.close));
    context.fillRect(x - step * 0.35, top, step * 0.7, Math.max(1, y(Math.min(bar.open, bar.close)) - top));
  });
}

// ---- orders and positions ----------------------------------------------------
let accountSubscriptions: Subscription[] = [];

async function watchAccount(accountId: string): Promise<void> {
  await Promise.all(accountSubscriptions.map((subscription) => subscription.unsubscribe()));
  state.orders.clear();
  state.positions.clear();
  accountSubscriptions = await Promise.all([
    client.broker.orders.subscribe({ accountId }, (order) => {
      state.orders.set(order.id, order);
      renderOrders();
    }),
    client.broker.positions.subscribe({ accountId }, (position) => {
      state.positions.set(position.symbol, position);
      renderPositions();
    }),
  ]);
  // What happened before we subscribed comes over HTTP; live updates win over it.
  const [orders, positions] = await Promise.all([
    fetch(`/api/v1/broker/orders?accountId=${encodeURIComponent(accountId)}`, { headers: authHeaders }).then(
      (response) => response.json() as Promise<PlacedOrder[]>,
    ),
    fetch(`/api/v1/broker/positions?accountId=${encodeURIComponent(accountId)}`, { headers: authHeaders }).then(
      (response) => response.json() as Promise<Position[]>,
    ),
  ]);
  for (const order of orders)
    if (!state.orders.has(order.id) || state.orders.get(order.id)!.updatedAt < order.updatedAt) state.orders.set(order.id, order);
  for (const position of positions) if (!state.positions.has(position.symbol)) state.positions.set(position.symbol, position);
  renderOrders();
  renderPositions();
}

function cell(text: string): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

function renderOrders(): void {
  const body = $("orders-body");
  body.replaceChildren(
    ...[...state.orders.values()]
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .map((order) => {
        const row = document.createElement("tr");
        row.dataset.orderId = order.id;
        row.dataset.status = order.status;
        row.append(
          cell(new Date(order.updatedAt).toLocaleTimeString()),
          cell(order.symbol),
          cell(order.side),
          cell(order.type),
          cell(String(order.qty)),
          cell(order.limitPrice?.toFixed(2) ?? ""),
          cell(order.status),
          cell(order.avgPrice?.toFixed(2) ?? ""),
        );
        return row;
      }),
  );
}

function renderPositions(): void {
  $("positions-body").replaceChildren(
    ...[...state.positions.values()].map((position) => {
      const row = document.createElement("tr");
      row.append(
        cell(position.symbol),
        cell(String(position.qty)),
        cell(position.avgPrice.toFixed(2)),
        cell(position.unrealizedPnl.toFixed(2)),
      );
      return row;
    }),
  );
}

async function placeOrder(form: HTMLFormElement): Promise<void> {
  const data = new FormData(form);
  const field = (name: string): string => {
    const value = data.get(name);
    return typeof value === "string" ? value.trim() : "";
  };
  const limit = field("limitPrice");
  const body = {
    accountId: $<HTMLInputElement>("account").value,
    symbol: field("symbol").toUpperCase(),
    side: field("side"),
    type: field("type"),
    qty: Number(field("qty")),
    ...(limit === "" ? {} : { limitPrice: Number(limit) }),
  };
  const response = await fetch("/api/v1/broker/orders", {
    method: "POST",
    headers: { "content-type": "application/json", ...authHeaders },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { error?: string; issues?: { path: string[]; message: string }[] };
  $("order-error").textContent = response.ok
    ? ""
    : `${answer.error ?? "error"}: ${(answer.issues ?? []).map((issue) => `${issue.path.join(".")} ${issue.message}`).join("; ")}`;
}

function renderStatus(): void {
  const states = client.states();
  $("status").textContent = Object.entries(states)
    .map(([module, value]) => `${module}: ${value}`)
    .join(" · ");
}

// ---- wiring -----------------------------------------------------------------
$("symbol-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void watchSymbol($<HTMLInputElement>("symbol").value.trim().toUpperCase() || "AAPL", $<HTMLSelectElement>("resolution").value);
});
$("account").addEventListener("change", () => void watchAccount($<HTMLInputElement>("account").value.trim() || "ACC-1"));
$("order-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void placeOrder(event.target as HTMLFormElement);
});

void watchSymbol("AAPL", "1D");
void watchAccount("ACC-1");
renderStatus();
