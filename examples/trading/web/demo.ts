/**
 * The demo page's script (bundled for the browser by src/demo-page.ts, which
 * follows its imports): a live chart of `bars` for the symbol the user picks,
 * a table of `quotes`, and the orders, positions and executions of an
 * account, all through the generated typed client. Orders are placed over
 * HTTP; their updates come back over the socket.
 *
 * It survives a server restart and a network drop: the header says how each
 * connection is, every panel turns stale while its data may be outdated, and
 * each panel follows its route's `events()` (panel.ts), so it is told of each
 * resubscribe (recovered or not) and of lost updates, after which it
 * resyncs and says so (delivery-notices.ts).
 */
import type { ConnectionState } from "wsgen/client";
import { createWsClient } from "../../../generated/client.js";
import { AccountPanels } from "./account-panels.js";
import { DeliveryNotices } from "./delivery-notices.js";
import { $ } from "./dom.js";
import { BarsPanel, QuotesPanel } from "./market-panels.js";

const QUOTED_SYMBOLS = ["AAPL", "MSFT", "NVDA", "TSLA"];

const notices = new DeliveryNotices($("delivery-notice"), $("delivery-log"));
// With JWT_SECRET on the server, the page's credentials are the HttpOnly `token` cookie the server set with it:
// the browser sends it on the same-origin socket upgrades and fetches by itself, so no token is in a URL or a script.
const client = createWsClient(location.origin, {
  // A demo wants to be back soon after its server: at most 4 s between attempts (the default is 10 s).
  backoff: { max: 4_000 },
  onStateChange: () => connectionChanged(),
  onError: (error) => console.warn(error.message),
});
const bars = new BarsPanel(client, notices);
const quotes = new QuotesPanel(client, notices);
const account = new AccountPanels(client, notices);
const panels = [bars.panel, quotes.panel, ...account.panels];

/** What the page shows, also exposed as `window.demo` for tests and curious users. */
const demo = {
  /** The process that served the page (the header's badge: node, port, shared). */
  get servedBy() {
    return { ...$("served-by").dataset };
  },
  get bars() {
    return bars.bars;
  },
  get barsReceived() {
    return bars.received;
  },
  get quotes() {
    return quotes.quotes;
  },
  get orders() {
    return account.orders.items;
  },
  get positions() {
    return account.positions.items;
  },
  get executions() {
    return account.executions;
  },
};
(window as unknown as { demo: typeof demo }).demo = demo;

// ---- connection state -------------------------------------------------------
const lastStates = new Map<string, ConnectionState>();

/** The header's state: the worst of the connections' (open only when all are). */
function overallState(states: ConnectionState[]): ConnectionState {
  for (const state of ["refused", "closed", "reconnecting", "connecting"] as const) if (states.includes(state)) return state;
  return "open";
}

function connectionChanged(): void {
  const states = client.states() as Record<string, ConnectionState>;
  const status = $("status");
  const entries = Object.entries(states);
  status.textContent = entries.length === 0 ? "connecting…" : entries.map(([module, state]) => `${module}: ${state}`).join(" · ");
  status.dataset.state = overallState(Object.values(states));
  for (const [module, state] of Object.entries(states)) {
    const last = lastStates.get(module);
    lastStates.set(module, state);
    if (last === undefined || last === state) continue;
    notices.log(`${module} connection: ${state}`);
    if (last === "open") notices.connectionLost();
  }
  for (const panel of panels) if (states[panel.module] !== undefined && states[panel.module] !== "open") panel.disconnected();
}

// ---- placing orders ---------------------------------------------------------
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
  try {
    const response = await fetch("/api/v1/broker/orders", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as { error?: string; issues?: { path: string[]; message: string }[] };
    $("order-error").textContent = response.ok
      ? ""
      : `${answer.error ?? "error"}: ${(answer.issues ?? []).map((issue) => `${issue.path.join(".")} ${issue.message}`).join("; ")}`;
  } catch (error) {
    $("order-error").textContent = `the order was not sent: ${(error as Error).message}`;
  }
}

// ---- wiring -----------------------------------------------------------------
$("symbol-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void bars.watch($<HTMLInputElement>("symbol").value.trim().toUpperCase() || "AAPL", $<HTMLSelectElement>("resolution").value);
});
$("account").addEventListener("change", () => void account.watch($<HTMLInputElement>("account").value.trim() || "ACC-1"));
$("order-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void placeOrder(event.target as HTMLFormElement);
});
// Back online: try now rather than at the end of the backoff wait.
window.addEventListener("online", () => client.reconnect());

void bars.watch("AAPL", "1D");
void quotes.watch(QUOTED_SYMBOLS);
void account.watch("ACC-1");
connectionChanged();
