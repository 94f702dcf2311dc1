/**
 * The demo page at `/`: markup here, behaviour in web/demo.ts, bundled for
 * the browser with esbuild once, on first request (no CDN: works offline).
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

export function renderDemoPage(host: string): string {
  const links = endpointUrls(`http://${host}`)
    .map(({ label, url }) => `<li>${escapeHtml(label)}: <a href="${escapeHtml(url)}">${escapeHtml(url)}</a></li>`)
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wsgen trading demo</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f6f7fa; }
header { background: #1d2430; color: #fff; padding: .7rem 1.2rem; display: flex; justify-content: space-between; align-items: baseline; }
header h1 { font-size: 1.1rem; margin: 0; } #status { font-size: 12px; opacity: .8; }
main { display: grid; grid-template-columns: 3fr 2fr; gap: 1rem; padding: 1rem 1.2rem; }
section { background: #fff; border: 1px solid #e2e5ec; border-radius: 8px; padding: .8rem 1rem; }
h2 { font-size: 1rem; margin: 0 0 .6rem; } canvas { width: 100%; height: 320px; display: block; background: #fbfcfe; }
table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid #eef0f4; }
form { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; margin-bottom: .6rem; }
input, select, button { font: inherit; padding: .2rem .4rem; } input[name=qty], input[name=limitPrice] { width: 5rem; }
.error { color: #c0392b; min-height: 1.2em; } .meta { color: #5a6472; font-size: 12px; }
</style>
</head>
<body>
<header><h1>wsgen trading demo</h1><span id="status">connecting…</span></header>
<main>
<section>
  <h2>Bars <span id="chart-title"></span></h2>
  <form id="symbol-form">
    <input id="symbol" value="AAPL" size="8" aria-label="symbol">
    <select id="resolution" aria-label="resolution"><option>1D</option><option>60</option><option>5</option><option>1</option></select>
    <button type="submit">Show</button>
    <span class="meta">last <b id="last-price">–</b> · bars received <b id="bar-count">0</b></span>
  </form>
  <canvas id="chart" width="960" height="320"></canvas>
  <div id="chart-error" class="error"></div>
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
  <h2>Positions</h2>
  <table><thead><tr><th>Symbol</th><th>Qty</th><th>Avg</th><th>Unrealized P&amp;L</th></tr></thead><tbody id="positions-body"></tbody></table>
</section>
<section style="grid-column: 1 / -1">
  <h2>Orders</h2>
  <table><thead><tr><th>Updated</th><th>Symbol</th><th>Side</th><th>Type</th><th>Qty</th><th>Limit</th><th>Status</th><th>Avg price</th></tr></thead><tbody id="orders-body"></tbody></table>
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
