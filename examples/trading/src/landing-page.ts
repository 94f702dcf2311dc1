/** The page at `/`: what the example serves, with links. */
import { endpointUrls } from "./endpoints.js";

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"]/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[char] ?? char);

export function renderLandingPage(host: string): string {
  const rows = endpointUrls(`http://${host}`)
    .map(
      ({ label, url }) =>
        `<tr><td>${escapeHtml(label)}</td><td>${url.startsWith("http") ? `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>` : `<code>${escapeHtml(url)}</code>`}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>wsgen trading example</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}td{padding:.3rem .8rem .3rem 0}code{font-size:13px}</style></head>
<body>
<h1>wsgen trading example</h1>
<p>Two modules, <b>datafeed</b> (bars, quotes) and <b>broker</b> (orders, positions, executions), served by generated routers on the wsgen runtime.</p>
<table>
${rows}
</table>
<p>Try: <code>{"type":"bars.subscribe","payload":{"symbol":"AAPL","resolution":"1D"},"id":"1"}</code> on the datafeed socket.</p>
</body>
</html>
`;
}
