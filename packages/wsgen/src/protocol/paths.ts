/**
 * The HTTP paths of the protocol (docs/protocol.md, "Endpoints and documents"): every module's
 * WebSocket endpoint and its AsyncAPI documents live under one prefix. This
 * file is the only place that spells them, for building and for matching, so
 * the server, the spec writer and the client cannot disagree.
 *
 *   /api/v1/{module}/ws                     the module's WebSocket endpoint
 *   /api/v1/{module}/ws/asyncapi.json       its AsyncAPI document
 *   /api/v1/{module}/ws/asyncapi            an HTML viewer of it
 *   /api/v1/ws/asyncapi.json, …/asyncapi    the merged document of all modules
 *   /api/v1/ws/asyncapi/assets/{file}       the viewer's script and stylesheet
 *
 * Browser-safe: no Node imports.
 */

/** Every path of the protocol starts here. */
export const API_PREFIX = "/api/v1";

const MODULE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * A module name is a letter, then letters, digits, `_` or `-` (`broker`,
 * `market-data`): it becomes a URL segment and a folder name, so nothing
 * else may appear. A dashed name is a quoted key of the typed client
 * (`client["market-data"]`).
 */
export function isModuleName(name: unknown): name is string {
  return typeof name === "string" && MODULE_NAME.test(name);
}

/** `/api/v1/{module}/ws`. */
export function endpointPath(module: string): string {
  return `${API_PREFIX}/${module}/ws`;
}

/** A document resource: the JSON document or its HTML viewer. */
export type DocsResource = "asyncapi.json" | "asyncapi";

/** The path of a module's document (or of the merged one, when `module` is undefined). */
export function docsPath(module: string | undefined, resource: DocsResource): string {
  return module === undefined ? `${API_PREFIX}/ws/${resource}` : `${endpointPath(module)}/${resource}`;
}

/** The files the React viewer page loads. */
export const VIEWER_ASSETS = ["standalone.js", "default.min.css"] as const;
export type ViewerAsset = (typeof VIEWER_ASSETS)[number];

/** Where the viewer's files are served from. */
export const VIEWER_ASSETS_PATH = `${API_PREFIX}/ws/asyncapi/assets`;

/**
 * The path of a request target, as sent: everything before `?` or `#`, with
 * no normalisation, so `/api/v1/x/../broker/ws` is not a protocol path. Both
 * upgrades and HTTP requests are matched on this.
 */
export function requestPath(target: string): string {
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
}

/** What a request path names, if it is one of the protocol's paths. */
export type ProtocolPath =
  | { kind: "endpoint"; module: string }
  | { kind: "docs"; module: string | undefined; resource: DocsResource }
  | { kind: "viewer-asset"; asset: ViewerAsset };

/**
 * Reads a URL path (no query) as one of the protocol's paths. Any plain
 * module name matches; whether that module is mounted is the caller's
 * question. A trailing slash is accepted, except after a viewer file's name.
 */
export function matchPath(path: string): ProtocolPath | undefined {
  const prefix = `${API_PREFIX}/`;
  if (!path.startsWith(prefix)) return undefined;
  const segments = path.slice(prefix.length).split("/");
  const [first, second, third, fourth] = segments;
  // /api/v1/ws/asyncapi/assets/{file}: a file name, so no trailing slash.
  if (segments.length === 4 && first === "ws" && second === "asyncapi" && third === "assets" && isViewerAsset(fourth)) {
    return { kind: "viewer-asset", asset: fourth };
  }
  if (segments.at(-1) === "") segments.pop();
  // /api/v1/ws/asyncapi(.json); else "ws" may be a module's name.
  if (first === "ws" && segments.length === 2 && isDocsResource(second)) return { kind: "docs", module: undefined, resource: second };
  if (!isModuleName(first) || second !== "ws") return undefined;
  if (segments.length === 2) return { kind: "endpoint", module: first };
  if (segments.length === 3 && isDocsResource(third)) return { kind: "docs", module: first, resource: third };
  return undefined;
}

function isDocsResource(segment: string | undefined): segment is DocsResource {
  return segment === "asyncapi.json" || segment === "asyncapi";
}

function isViewerAsset(segment: string | undefined): segment is ViewerAsset {
  return (VIEWER_ASSETS as readonly (string | undefined)[]).includes(segment);
}
