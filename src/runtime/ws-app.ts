/**
 * WsApp: a list of modules served on any Node `http.Server`.
 *
 * Each module's endpoint is at `/api/v1/{module}/ws`, its AsyncAPI document
 * at `…/ws/asyncapi.json` (`?version=2.6.0` for 2.6.0) with a viewer at
 * `…/ws/asyncapi`, and the merged document of all modules at
 * `/api/v1/ws/asyncapi.json` (viewer `/api/v1/ws/asyncapi`). Upgrades pass
 * the origin allow-list and the authentication hook before the handshake.
 */
import { createReadStream } from "node:fs";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import {
  ASYNCAPI_VERSIONS,
  buildMergedAsyncApi,
  buildModuleAsyncApi,
  type AsyncApiOptions,
  type AsyncApiVersion,
  type ModuleSpec,
} from "./asyncapi.js";
import { findReactViewerAssets, renderAsyncApiPage, renderReactViewerPage, type ReactViewerAssets } from "./asyncapi-viewer.js";
import type { SlowConsumerPolicy } from "./connection.js";
import type { RateLimit } from "./token-bucket.js";
import { describeError, WsgenError } from "./errors.js";
import { WsEndpoint, type EndpointStats, type WsModuleDefinition } from "./endpoint.js";

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

export const API_PREFIX = "/api/v1";

export interface WsAppOptions<User = unknown> {
  modules: readonly WsModuleDefinition[];
  /** Milliseconds between protocol pings; a client that missed one is terminated. Default 30 000; 0 disables. */
  heartbeatInterval?: number;
  /** Milliseconds after which a connection is closed with 4000. Default 0 (no limit). */
  maxConnectionLifespan?: number;
  /** Largest accepted frame in bytes; larger ones close with 1009. Default 65 536. */
  maxPayload?: number;
  /** Subscriptions one connection may hold in a module; more are answered with status "error". Default 100. */
  maxSubscriptionsPerConnection?: number;
  /** Inbound frames per connection: `{ perSecond, burst }`; over it the connection is closed with 1008. Default none. */
  rateLimit?: RateLimit;
  /** Bytes buffered for one client above which it is a slow consumer. Default 1 MiB. */
  highWaterMark?: number;
  /** What to do with a slow consumer: close it with 1013 (default) or drop frames for it. */
  slowConsumer?: SlowConsumerPolicy;
  /** Milliseconds to wait for a client's close handshake before dropping the socket. Default 5 000. */
  closeTimeout?: number;
  /**
   * Runs before the handshake. Return the user (any truthy value, available
   * as `connection.user`); return a falsy value to answer 401. A throw answers
   * 500 and is reported through `onError`.
   */
  authenticate?: (request: IncomingMessage) => User | null | undefined | false | Promise<User | null | undefined | false>;
  /** Allowed `Origin` header values; other origins get 403. Requests without Origin (non-browsers) pass. */
  allowedOrigins?: readonly string[];
  /** Options of the served AsyncAPI documents. */
  asyncapi?: Omit<AsyncApiOptions, "server">;
  /** Called for errors that are not any client's answer: failing services, invalid updates, socket errors. */
  onError?: (error: unknown, context: { module: string; where: string }) => void;
}

export interface WsAppStats {
  modules: Record<string, EndpointStats>;
}

const MODULE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Module names are plain identifiers: they become URL segments and folder names. */
export function isModuleName(name: unknown): name is string {
  return typeof name === "string" && MODULE_NAME.test(name);
}

export class WsApp<User = unknown> {
  readonly endpoints: ReadonlyMap<string, WsEndpoint>;
  readonly #options: WsAppOptions<User>;
  readonly #attached: {
    server: Server;
    onUpgrade: (...args: [IncomingMessage, Duplex, Buffer]) => void;
    onRequest: (request: IncomingMessage, response: ServerResponse) => void;
    previous: RequestListener[];
  }[] = [];
  #closing: Promise<void> | undefined;

  constructor(options: WsAppOptions<User>) {
    this.#options = options;
    const reportError = (error: unknown, context: { module: string; where: string }): void => this.#reportError(error, context);
    const endpoints = new Map<string, WsEndpoint>();
    for (const definition of options.modules) {
      if (!isModuleName(definition.name)) {
        throw new WsgenError(
          "ERR_INVALID_MODULE_NAME",
          `Module name ${JSON.stringify(definition.name)} is invalid: use a plain identifier such as "broker".`,
        );
      }
      if (endpoints.has(definition.name)) {
        throw new WsgenError("ERR_DUPLICATE_MODULE", `Two modules are named "${definition.name}"; module names must be unique.`);
      }
      endpoints.set(
        definition.name,
        new WsEndpoint(definition, {
          heartbeatInterval: nonNegative("heartbeatInterval", options.heartbeatInterval, 30_000),
          maxConnectionLifespan: nonNegative("maxConnectionLifespan", options.maxConnectionLifespan, 0),
          maxPayload: nonNegative("maxPayload", options.maxPayload, 64 * 1024),
          highWaterMark: nonNegative("highWaterMark", options.highWaterMark, 1024 * 1024),
          closeTimeout: nonNegative("closeTimeout", options.closeTimeout, 5_000),
          slowConsumer: options.slowConsumer ?? "close",
          maxSubscriptionsPerConnection: nonNegative("maxSubscriptionsPerConnection", options.maxSubscriptionsPerConnection, 100),
          rateLimit: checkRateLimit(options.rateLimit),
          reportError,
        }),
      );
    }
    this.endpoints = endpoints;
  }

  /**
   * Serves the modules on `server`: handles WebSocket upgrades on module
   * paths and HTTP requests for the AsyncAPI documents, passing every other
   * request to the server's existing request listeners (Express, Fastify,
   * plain handlers). Attach after the server has its request handler.
   */
  attach(server: Server): this {
    const previous = server.listeners("request") as RequestListener[];
    const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
      if (this.handleRequest(request, response)) return;
      if (previous.length === 0) {
        response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
        return;
      }
      for (const listener of previous) listener.call(server, request, response);
    };
    const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
      if (this.handleUpgrade(request, socket, head)) return;
      // Another upgrade listener may own this path; answer only when nobody else can.
      if (server.listenerCount("upgrade") === 1) rejectUpgrade(socket, 404, "No WebSocket endpoint at this path.");
    };
    server.removeAllListeners("request");
    server.on("request", onRequest);
    server.on("upgrade", onUpgrade);
    this.#attached.push({ server, onUpgrade, onRequest, previous });
    return this;
  }

  /** Handles an upgrade request if its path is a module endpoint. Returns false otherwise. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const endpoint = this.#endpointAt(pathOf(request));
    if (endpoint === undefined) return false;
    if (this.#closing !== undefined) {
      rejectUpgrade(socket, 503, "Server is shutting down.");
      return true;
    }
    const origin = request.headers.origin;
    if (this.#options.allowedOrigins !== undefined && origin !== undefined && !this.#options.allowedOrigins.includes(origin)) {
      rejectUpgrade(socket, 403, `Origin ${origin} is not allowed.`);
      return true;
    }
    socket.on("error", () => socket.destroy());
    void this.#authenticate(request).then(
      (user) => {
        if (socket.destroyed) return;
        // close() may have started while the hook ran: accepting now would escape it.
        if (this.#closing !== undefined) rejectUpgrade(socket, 503, "Server is shutting down.");
        else if (user === undefined) rejectUpgrade(socket, 401, "Authentication required.");
        else endpoint.handleUpgrade(request, socket, head, user);
      },
      (error: unknown) => {
        this.#reportError(error, { module: endpoint.name, where: "authenticate" });
        rejectUpgrade(socket, 500, "Authentication failed with an internal error.");
      },
    );
    return true;
  }

  /** Serves the AsyncAPI documents and viewers. Returns false for any other request. */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean {
    let url: URL;
    try {
      url = new URL(request.url ?? "/", "http://localhost");
    } catch {
      return false; // not a URL we serve; the server's own handler answers it
    }
    const asset = /^\/api\/v1\/ws\/asyncapi\/assets\/(standalone\.js|default\.min\.css)$/.exec(url.pathname);
    if (asset !== null) return this.#serveViewerAsset(asset[1] as keyof ReactViewerAssets, request, response);
    // Any segment matches here; only the names of mounted modules are served.
    const match = /^\/api\/v1\/(?:([^/]+)\/)?ws\/(asyncapi\.json|asyncapi)\/?$/.exec(url.pathname);
    if (match === null) return false;
    const [, moduleName, resource] = match;
    if (moduleName !== undefined && !this.endpoints.has(moduleName)) return false;
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }).end("Method not allowed\n");
      return true;
    }
    const requested = url.searchParams.get("version") ?? this.#options.asyncapi?.version ?? "3.0.0";
    if (!ASYNCAPI_VERSIONS.includes(requested as AsyncApiVersion)) {
      response
        .writeHead(400, { "content-type": "text/plain; charset=utf-8" })
        .end(`Unsupported AsyncAPI version "${requested}"; use one of ${ASYNCAPI_VERSIONS.join(", ")}.\n`);
      return true;
    }
    const version = resource === "asyncapi" ? "3.0.0" : (requested as AsyncApiVersion);
    const host = request.headers.host;
    const document = this.asyncapi(moduleName, { version, ...(host !== undefined ? { server: { host } } : {}) });
    const jsonHref = `${url.pathname.replace(/\/$/, "")}.json`;
    let body: string;
    if (resource === "asyncapi.json") body = `${JSON.stringify(document, null, 2)}\n`;
    else if (url.searchParams.get("viewer") !== "basic" && findReactViewerAssets() !== undefined) {
      body = renderReactViewerPage(document, `${API_PREFIX}/ws/asyncapi/assets`, jsonHref);
    } else body = renderAsyncApiPage(document, jsonHref);
    response.writeHead(200, {
      "content-type": resource === "asyncapi.json" ? "application/json; charset=utf-8" : "text/html; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      "cache-control": "no-cache",
    });
    response.end(request.method === "HEAD" ? undefined : body);
    return true;
  }

  #serveViewerAsset(name: keyof ReactViewerAssets, request: IncomingMessage, response: ServerResponse): boolean {
    const assets = findReactViewerAssets();
    if (assets === undefined) return false;
    response.writeHead(200, {
      "content-type": name.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8",
      "cache-control": "public, max-age=3600",
    });
    if (request.method === "HEAD") response.end();
    else createReadStream(assets[name]).pipe(response);
    return true;
  }

  /** The AsyncAPI document of one module, or the merged one of all modules when `module` is omitted. */
  asyncapi(module?: string, options: AsyncApiOptions = {}): Record<string, unknown> {
    const merged = { ...this.#options.asyncapi, ...options };
    if (module === undefined) return buildMergedAsyncApi(this.moduleSpecs(), merged);
    const endpoint = this.endpoints.get(module);
    if (endpoint === undefined)
      throw new WsgenError("ERR_INVALID_OPTION", `No module named "${module}"; modules: ${[...this.endpoints.keys()].join(", ")}.`);
    return buildModuleAsyncApi(specOf(endpoint), merged);
  }

  moduleSpecs(): ModuleSpec[] {
    return [...this.endpoints.values()].map(specOf);
  }

  stats(): WsAppStats {
    const modules: Record<string, EndpointStats> = {};
    for (const [name, endpoint] of this.endpoints) modules[name] = endpoint.stats();
    return { modules };
  }

  /**
   * Stops accepting connections, closes every client with 1001, calls
   * `removeTopic` for every live topic and detaches from the servers.
   * The http servers themselves are left to their owner to close.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all([...this.endpoints.values()].map((endpoint) => endpoint.close()));
      for (const { server, onUpgrade, onRequest, previous } of this.#attached.splice(0)) {
        server.off("upgrade", onUpgrade);
        server.off("request", onRequest);
        for (const listener of previous) server.on("request", listener);
      }
    })();
    return this.#closing;
  }

  #endpointAt(path: string): WsEndpoint | undefined {
    const match = /^\/api\/v1\/([^/]+)\/ws\/?$/.exec(path);
    return match === null ? undefined : this.endpoints.get(match[1] as string);
  }

  /** Reports through onError; an onError that throws must not take the server down with it. */
  #reportError(error: unknown, context: { module: string; where: string }): void {
    try {
      (this.#options.onError ?? defaultReportError)(error, context);
    } catch (failure) {
      defaultReportError(failure, { module: context.module, where: `onError (while reporting ${context.where})` });
    }
  }

  async #authenticate(request: IncomingMessage): Promise<unknown> {
    const authenticate = this.#options.authenticate;
    if (authenticate === undefined) return null;
    const user = await authenticate(request);
    return user === null || user === false || user === undefined ? undefined : user;
  }
}

/** Creates an app from modules; attach it to an http.Server with `.attach(server)`. */
export function createWsApp<User = unknown>(options: WsAppOptions<User>): WsApp<User> {
  return new WsApp(options);
}

/** Declares a module; a typed identity function so module files read as configuration. */
export function defineModule(definition: WsModuleDefinition): WsModuleDefinition {
  return definition;
}

function specOf(endpoint: WsEndpoint): ModuleSpec {
  const { definition } = endpoint;
  return {
    name: endpoint.name,
    path: endpoint.path,
    title: definition.title,
    description: definition.description,
    version: definition.version,
    routes: [...endpoint.routes.values()],
  };
}

function pathOf(request: IncomingMessage): string {
  const url = request.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

const STATUS_TEXT: Record<number, string> = {
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new WsgenError("ERR_INVALID_OPTION", `Option ${name} must be a non-negative number, got ${String(value)}.`);
  }
  return value;
}

function checkRateLimit(limit: RateLimit | undefined): RateLimit | undefined {
  if (limit === undefined) return undefined;
  if (!(limit.perSecond > 0) || !(limit.burst >= 1)) {
    throw new WsgenError("ERR_INVALID_OPTION", `Option rateLimit needs perSecond > 0 and burst >= 1, got ${JSON.stringify(limit)}.`);
  }
  return limit;
}

function defaultReportError(error: unknown, context: { module: string; where: string }): void {
  console.error(`[wsgen] ${context.module} ${context.where}: ${describeError(error)}`);
}
