/**
 * HTML viewers of AsyncAPI documents. The rich one uses the AsyncAPI React
 * component's standalone bundle from the installed package; without that
 * package, a self-contained page rendered here lists channels, operations
 * and schemas. Both work offline.
 */

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ViewerAsset } from "../protocol/paths.js";

type Doc = Record<string, unknown>;

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char] ?? char);

const asRecord = (value: unknown): Doc => (typeof value === "object" && value !== null ? (value as Doc) : {});
/** A string field of the document, or "" (the viewer tolerates any document shape). */
const text = (value: unknown): string => (typeof value === "string" || typeof value === "number" ? String(value) : "");
const lastSegment = (pointer: unknown): string => {
  const path = text(pointer);
  return path
    .slice(path.lastIndexOf("/") + 1)
    .replace(/~1/g, "/")
    .replace(/~0/g, "~");
};

const documentTitle = (document: Doc): string => {
  const title = asRecord(document.info).title;
  return typeof title === "string" ? title : "AsyncAPI";
};

/** The start of both viewer pages, up to and including the title. */
function pageHead(document: Doc): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(documentTitle(document))} — AsyncAPI</title>`;
}

/**
 * A self-contained page showing an AsyncAPI 3.0.0 document built by wsgen:
 * channels, operations (with replies) and schemas, rendered on the server.
 */
export function renderAsyncApiPage(document: Doc, jsonHref: string): string {
  const info = asRecord(document.info);
  const title = documentTitle(document);
  const channels = asRecord(document.channels);
  const operations = asRecord(document.operations);
  const schemas = asRecord(asRecord(document.components).schemas);

  const channelRows = Object.entries(channels)
    .map(([key, value]) => {
      const channel = asRecord(value);
      return `<tr><td><code>${escapeHtml(key)}</code></td><td><code>${escapeHtml(text(channel.address) || key)}</code></td><td>${escapeHtml(text(channel.description))}</td></tr>`;
    })
    .join("\n");

  const operationRows = Object.entries(operations)
    .map(([name, value]) => {
      const operation = asRecord(value);
      const reply = asRecord(operation.reply);
      const replyMessages = Array.isArray(reply.messages) ? reply.messages.map((message) => lastSegment(asRecord(message).$ref)) : [];
      const channel = lastSegment(asRecord(operation.channel).$ref);
      const direction = operation.action === "receive" ? "client → server" : "server → client";
      return `<tr class="operation"><td><code>${escapeHtml(name)}</code></td><td>${escapeHtml(channel)}</td><td>${direction}</td><td>${escapeHtml(text(operation.summary))}</td><td>${replyMessages.map((reply) => `<code>${escapeHtml(reply)}</code>`).join(", ")}</td></tr>`;
    })
    .join("\n");

  const schemaSections = Object.entries(schemas)
    .map(
      ([name, schema]) =>
        `<section class="schema" id="schema-${escapeHtml(name)}"><h3>${escapeHtml(name)}</h3><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></section>`,
    )
    .join("\n");

  return `${pageHead(document)}
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1d2430; }
h1 { margin-bottom: 0.2rem; } .meta { color: #5a6472; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1.5rem; }
th, td { text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid #e3e7ee; vertical-align: top; }
th { background: #f3f5f9; } code { font: 13px ui-monospace, monospace; }
pre { background: #f6f8fb; padding: 0.8rem; overflow: auto; font-size: 13px; border-radius: 6px; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">AsyncAPI ${escapeHtml(text(document.asyncapi))} · version ${escapeHtml(text(info.version))} · <a href="${escapeHtml(jsonHref)}">JSON document</a></p>
<p>${escapeHtml(text(info.description))}</p>
<h2>Channels</h2>
<table><thead><tr><th>Channel</th><th>Address</th><th>Description</th></tr></thead><tbody>
${channelRows}
</tbody></table>
<h2>Operations</h2>
<table><thead><tr><th>Operation</th><th>Channel</th><th>Direction</th><th>Summary</th><th>Reply</th></tr></thead><tbody>
${operationRows}
</tbody></table>
<h2>Schemas</h2>
${schemaSections}
</body>
</html>
`;
}

/**
 * The files of `@asyncapi/react-component`'s standalone bundle, resolved from
 * the installed package (served locally: the viewer works offline), or
 * undefined when the package is not installed.
 */
export type ReactViewerAssets = Record<ViewerAsset, string>;

let reactAssets: ReactViewerAssets | null | undefined;

export function findReactViewerAssets(): ReactViewerAssets | undefined {
  if (reactAssets === undefined) {
    reactAssets = null;
    for (const base of [import.meta.url, pathToFileURL(join(process.cwd(), "package.json")).href]) {
      try {
        const manifest = createRequire(base).resolve("@asyncapi/react-component/package.json");
        const root = dirname(manifest);
        reactAssets = {
          "standalone.js": join(root, "browser/standalone/index.js"),
          "default.min.css": join(root, "styles/default.min.css"),
        };
        break;
      } catch {
        // not installed here; try the next place
      }
    }
  }
  return reactAssets ?? undefined;
}

/** A page rendering `document` with the AsyncAPI React component, its assets under `assetsPath`. */
export function renderReactViewerPage(document: Doc, assetsPath: string, jsonHref: string): string {
  // The document is inlined: `<` is escaped so no string in it can end the script element.
  const inlined = JSON.stringify(document).replace(/</g, "\\u003c");
  return `${pageHead(document)}
<link rel="stylesheet" href="${escapeHtml(assetsPath)}/default.min.css">
<link rel="alternate" type="application/json" href="${escapeHtml(jsonHref)}">
</head>
<body>
<div id="asyncapi"></div>
<script src="${escapeHtml(assetsPath)}/standalone.js"></script>
<script>
AsyncApiStandalone.render(
  { schema: ${inlined}, config: { show: { sidebar: true, errors: true } } },
  document.getElementById("asyncapi"),
);
</script>
</body>
</html>
`;
}
