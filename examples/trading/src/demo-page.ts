/**
 * The demo page at `/`: markup here, behaviour in web/demo.ts and the files
 * it imports, bundled for the browser with esbuild once, on first request
 * (no CDN: works offline).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { endpointUrls } from "./endpoints.js";

const ENTRY = join(dirname(fileURLToPath(import.meta.url)), "../web/demo.ts");
let bundle: Promise<string> | undefined;

/** The browser bundle of web/demo.ts (the generated client, zod and the page logic). */
export function demoBundle(): Promise<string> {
  bundle ??= (async () => {
    const esbuild = await import("esbuild");
    const result = await esbuild.build({
      entryPoints: [ENTRY],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      target: "es2022",
      minify: true,
      conditions: ["wsgen-source"],
      logLevel: "silent",
    });
    return result.outputFiles[0]?.text ?? "";
  })();
  // A failed build is retried on the next request rather than cached.
  bundle.catch(() => (bundle = undefined));
  return bundle;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"]/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[char] ?? char);

/**
 * A panel's heading: its title, the badge that says whether it is live or
 * stale (web/panel.ts keeps `data-state` on the section), and the line that
 * says how its last resubscribe went.
 */
function panelHeading(name: string, title: string): string {
  return `<h2>${title} <span class="panel-state" id="${name}-state" data-testid="${name}-state">waiting</span></h2>
  <div class="delivery" id="${name}-delivery" data-testid="${name}-delivery"></div>`;
}

/** The process that served the page, as its header says. */
export interface ServedBy {
  /** The process's name (the broker's node name with a redis broker). */
  node: string;
  /** The port the request came in on (undefined when the socket is gone). */
  port: number | undefined;
  /** Whether it shares topics with other processes through a broker. */
  shared: boolean;
}

/** "node host:123 · port 8000 · one of a cluster": what tells two pages side by side apart. */
function servedByBadge({ node, port, shared }: ServedBy): string {
  const text = [`node ${node}`, ...(port === undefined ? [] : [`port ${port}`]), shared ? "one of a cluster" : "single process"].join(
    " · ",
  );
  const title = shared
    ? "the process that served this page (and, with no load balancer in front, its sockets and orders); updates reach every process sharing its broker"
    : "the process that served this page, serving alone (no REDIS_URL)";
  return `<span id="served-by" data-testid="served-by" data-node="${escapeHtml(node)}" data-port="${port ?? ""}" data-shared="${shared}" title="${escapeHtml(title)}">${escapeHtml(text)}</span>`;
}

export function renderDemoPage(host: string, servedBy: ServedBy): string {
  const links = endpointUrls(`http://${host}`)
    .map(({ label, url }) => `<li>${escapeHtml(label)}: <a href="${escapeHtml(url)}">${escapeHtml(url)}</a></li>`)
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wsgen trading demo${servedBy.port === undefined ? "" : ` · ${servedBy.port}`}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f6f7fa; }
header { background: #1d2430; color: #fff; padding: .7rem 1.2rem; display: flex; justify-content: space-between; align-items: baseline; }
header h1 { font-size: 1.1rem; margin: 0; } #status, #served-by { font-size: 12px; opacity: .8; }
#served-by[data-shared=true] { background: #2f6f5e; border-radius: 4px; padding: 0 .4rem; opacity: 1; }
#status[data-state=reconnecting], #status[data-state=refused] { color: #ffb347; opacity: 1; }
#delivery-notice { background: #fff4d6; border-bottom: 1px solid #f0d28a; padding: .4rem 1.2rem; font-size: 13px; }
main { display: grid; grid-template-columns: 3fr 2fr; gap: 1rem; padding: 1rem 1.2rem; }
section { background: #fff; border: 1px solid #e2e5ec; border-radius: 8px; padding: .8rem 1rem; }
section[data-state=stale] { border-color: #f0b429; background: #fffaf0; }
section[data-state=stale] table, section[data-state=stale] canvas { opacity: .55; }
h2 { font-size: 1rem; margin: 0 0 .6rem; } canvas { width: 100%; height: 320px; display: block; background: #fbfcfe; }
.panel-state { font-size: 11px; font-weight: normal; border-radius: 4px; padding: 0 .35rem; background: #e2e5ec; }
section[data-state=live] .panel-state { background: #d4f3e6; color: #116b47; }
section[data-state=stale] .panel-state { background: #f0b429; color: #1d2430; }
.delivery { color: #5a6472; font-size: 12px; min-height: 1.2em; margin: -.4rem 0 .4rem; }
table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid #eef0f4; }
tr[data-stale=true] { color: #98a0ac; } td.note { color: #5a6472; font-style: italic; } tr[data-gap=true] td { color: #a35f00; }
form { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; margin-bottom: .6rem; }
input, select, button { font: inherit; padding: .2rem .4rem; } input[name=qty], input[name=limitPrice] { width: 5rem; }
.error { color: #c0392b; min-height: 1.2em; } .meta { color: #5a6472; font-size: 12px; }
#delivery-log { margin: 0; padding-left: 1.2rem; }
</style>
</head>
<body>
<header><h1>wsgen trading demo</h1>${servedByBadge(servedBy)}<span id="status" data-testid="connection" data-state="connecting">connecting…</span></header>
<div id="delivery-notice" data-testid="delivery-notice" role="status" hidden></div>
<main>
<section data-panel="bars">
  ${panelHeading("bars", 'Bars <span id="chart-title"></span>')}
  <form id="symbol-form">
    <input id="symbol" value="AAPL" size="8" aria-label="symbol">
    <select id="resolution" aria-label="resolution"><option>1D</option><option>60</option><option>5</option><option>1</option></select>
    <button type="submit">Show</button>
    <span class="meta">last <b id="last-price">–</b> · bars received <b id="bar-count">0</b></span>
  </form>
  <canvas id="chart" width="960" height="320"></canvas>
  <div id="chart-error" class="error"></div>
</section>
<section data-panel="quotes">
  ${panelHeading("quotes", "Quotes")}
  <table><thead><tr><th>Symbol</th><th>Bid</th><th>Ask</th><th>Last</th><th>Time</th></tr></thead><tbody id="quotes-body"></tbody></table>
</section>
<section>
  <h2>Place an order</h2>
  <form id="order-form">
    <label>account <input id="account" value="ACC-1" size="8"></label>
    <input name="symbol" value="AAPL" size="6" aria-label="order symbol">
    <select name="side" aria-label="side"><option>buy</option><option>sell</option></select>
    <select name="type" aria-label="type"><option>market</option><option>limit</option></select>
    <input name="qty" type="number" value="10" step="any" aria-label="quantity">
    <input name="limitPrice" type="number" step="any" placeholder="limit" aria-label="limit price">
    <button type="submit" id="place-order">Place</button>
  </form>
  <div id="order-error" class="error"></div>
</section>
<section data-panel="positions">
  ${panelHeading("positions", "Positions")}
  <table><thead><tr><th>Symbol</th><th>Qty</th><th>Avg</th><th>Unrealized P&amp;L</th></tr></thead><tbody id="positions-body"></tbody></table>
</section>
<section data-panel="orders" style="grid-column: 1 / -1">
  ${panelHeading("orders", "Orders")}
  <table><thead><tr><th>Updated</th><th>Symbol</th><th>Side</th><th>Type</th><th>Qty</th><th>Limit</th><th>Status</th><th>Avg price</th></tr></thead><tbody id="orders-body"></tbody></table>
</section>
<section data-panel="executions">
  ${panelHeading("executions", "Executions")}
  <table><thead><tr><th>Time</th><th>Symbol</th><th>Side</th><th>Qty</th><th>Price</th></tr></thead><tbody id="executions-body"></tbody></table>
</section>
<section class="meta">
  <h2>Connection and delivery log</h2>
  <ul id="delivery-log" data-testid="delivery-log"></ul>
</section>
<section style="grid-column: 1 / -1" class="meta">
  <h2>Endpoints and docs</h2>
  <ul>${links}</ul>
</section>
</main>
<script type="module" src="/demo.js"></script>
</body>
</html>
`;
}
