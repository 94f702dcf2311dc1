/**
 * Serves the AsyncAPI documents of an app over HTTP: each module's document
 * and viewer, the merged ones, and the React viewer's files
 * (docs/protocol.md, "Endpoints and documents"). The documents are built on each request from
 * the mounted routes, so they always describe what is served.
 */
import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ASYNCAPI_VERSIONS, type AsyncApiOptions, type AsyncApiVersion } from "./asyncapi.js";
import { findReactViewerAssets, renderAsyncApiPage, renderReactViewerPage } from "./asyncapi-viewer.js";
import { docsPath, matchPath, requestPath, VIEWER_ASSETS_PATH, type DocsResource, type ViewerAsset } from "../protocol/paths.js";

/** What the handler needs of the app. */
export interface DocsSource {
  hasModule(name: string): boolean;
  /** The document of one module, or the merged one when `module` is undefined. */
  asyncapi(module: string | undefined, options: AsyncApiOptions): Record<string, unknown>;
  /** The version served when the request names none. */
  readonly defaultVersion: AsyncApiVersion;
}

const TEXT = "text/plain; charset=utf-8";

/** Answers one docs request (a throw is the caller's to answer). */
export type DocsResponder = (response: ServerResponse) => void;

/**
 * The responder for a request for a document, a viewer or a viewer file, or
 * undefined for any other request. Deciding is synchronous, so the caller can
 * claim the request before an asynchronous check (`protectDocs`) runs.
 */
export function docsResponder(request: IncomingMessage, source: DocsSource): DocsResponder | undefined {
  const target = matchPath(requestPath(request.url ?? "/"));
  if (target?.kind === "viewer-asset") {
    const assets = findReactViewerAssets();
    if (assets === undefined) return undefined;
    return (response) => void (refuseMethod(request, response) || serveViewerAsset(assets[target.asset], target.asset, request, response));
  }
  if (target?.kind !== "docs") return undefined;
  if (target.module !== undefined && !source.hasModule(target.module)) return undefined;
  return (response) => void (refuseMethod(request, response) || serveDocument(request, response, source, target.module, target.resource));
}

function serveDocument(
  request: IncomingMessage,
  response: ServerResponse,
  source: DocsSource,
  module: string | undefined,
  resource: DocsResource,
): boolean {
  const query = queryOf(request.url ?? "/");
  const requested = query.get("version") ?? source.defaultVersion;
  if (!ASYNCAPI_VERSIONS.includes(requested as AsyncApiVersion)) {
    // The requested value is not echoed: nothing of a URL's query reaches a response body.
    response.writeHead(400, { "content-type": TEXT }).end(`Unsupported AsyncAPI version; use one of ${ASYNCAPI_VERSIONS.join(", ")}.\n`);
    return true;
  }
  // The viewers render 3.0.0; the version parameter is for the JSON document.
  const version = resource === "asyncapi" ? "3.0.0" : (requested as AsyncApiVersion);
  const host = request.headers.host;
  const document = source.asyncapi(module, { version, ...(host !== undefined ? { server: { host } } : {}) });
  const jsonHref = docsPath(module, "asyncapi.json");
  let body: string;
  if (resource === "asyncapi.json") body = `${JSON.stringify(document, null, 2)}\n`;
  else if (query.get("viewer") !== "basic" && findReactViewerAssets() !== undefined) {
    body = renderReactViewerPage(document, VIEWER_ASSETS_PATH, jsonHref);
  } else body = renderAsyncApiPage(document, jsonHref);
  response.writeHead(200, {
    "content-type": resource === "asyncapi.json" ? "application/json; charset=utf-8" : "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-cache",
  });
  response.end(request.method === "HEAD" ? undefined : body);
  return true;
}

/** The query parameters of a request target (URLSearchParams never throws on bad input). */
function queryOf(requestTarget: string): URLSearchParams {
  const start = requestTarget.indexOf("?");
  return new URLSearchParams(start === -1 ? "" : requestTarget.slice(start + 1).split("#")[0]);
}

/** Answers 405 to anything but GET and HEAD; returns whether it did. */
function refuseMethod(request: IncomingMessage, response: ServerResponse): boolean {
  if (request.method === "GET" || request.method === "HEAD") return false;
  response.writeHead(405, { allow: "GET, HEAD", "content-type": TEXT }).end("Method not allowed\n");
  return true;
}

function serveViewerAsset(file: string, name: ViewerAsset, request: IncomingMessage, response: ServerResponse): boolean {
  response.writeHead(200, {
    "content-type": name.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8",
    "cache-control": "public, max-age=3600",
  });
  if (request.method === "HEAD") response.end();
  else createReadStream(file).pipe(response);
  return true;
}
