/**
 * WsApp: a list of modules served on any Node `http.Server`.
 *
 * Each module's endpoint is at `/api/v1/{module}/ws` (endpoint.ts), and its
 * AsyncAPI documents beside it (docs-handler.ts). Upgrades pass the origin
 * allow-list and the authentication hook before the handshake (upgrade.ts).
 */
import type { BrokerStats } from "./broker.js";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { ASYNCAPI_DEFAULTS, buildMergedAsyncApi, buildModuleAsyncApi, type AsyncApiOptions, type ModuleSpec } from "./asyncapi.js";
import { docsResponder, type DocsResponder } from "./docs-handler.js";
import { WsEndpoint, type ModuleStats } from "./endpoint.js";
import { reportToConsole, WsgenError, type ErrorContext } from "./errors.js";
import { ClientErrorBudget } from "./error-reports.js";
import { resolveAppOptions, type ResolvedAppOptions, type WsAppOptions } from "./app-options.js";
import { isModuleName, matchPath, requestPath } from "../protocol/paths.js";
import { authenticateRequest, checkUpgrade, rejectUpgrade } from "./upgrade.js";

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

export interface AppStats {
  modules: Record<string, ModuleStats>;
  /** The broker's own figures: connections, reconnects, resyncs, takeovers (`{ kind: "memory" }` by default). */
  broker: BrokerStats;
}

export class WsApp<User = unknown> {
  /** @internal */
  readonly endpoints: ReadonlyMap<string, WsEndpoint<User>>;
  readonly #options: ResolvedAppOptions<User>;
  readonly #clientErrors: ClientErrorBudget;
  readonly #attached: {
    server: Server;
    onUpgrade: (...args: [IncomingMessage, Duplex, Buffer]) => void;
    onRequest: (request: IncomingMessage, response: ServerResponse) => void;
    previous: RequestListener[];
  }[] = [];
  #closing: Promise<void> | undefined;

  constructor(options: WsAppOptions<User>) {
    this.#options = resolveAppOptions(options);
    const reportError = (error: unknown, context: ErrorContext): void => this.#reportError(error, context);
    // One budget for the whole app: a client reconnecting to another module must not get a fresh one.
    const clientErrors = new ClientErrorBudget(this.#options.clientErrorReportsPerMinute, reportError);
    this.#clientErrors = clientErrors;
    const endpoints = new Map<string, WsEndpoint<User>>();
    for (const definition of options.modules) {
      if (!isModuleName(definition.name)) {
        throw new WsgenError(
          "ERR_INVALID_MODULE_NAME",
          `Module name ${JSON.stringify(definition.name)} is invalid: use a letter, then letters, digits, "_" or "-", such as "broker" or "market-data".`,
        );
      }
      if (endpoints.has(definition.name)) {
        throw new WsgenError("ERR_DUPLICATE_MODULE", `Two modules are named "${definition.name}"; module names must be unique.`);
      }
      endpoints.set(definition.name, new WsEndpoint(definition, { ...this.#options, reportError, clientErrors }));
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
    const target = matchPath(requestPath(request.url ?? "/"));
    const endpoint = target?.kind === "endpoint" ? this.endpoints.get(target.module) : undefined;
    if (endpoint === undefined) return false;
    if (this.#closing !== undefined) {
      rejectUpgrade(socket, 503, "Server is shutting down.");
      return true;
    }
    socket.on("error", () => socket.destroy());
    void checkUpgrade(request, this.#options).then(
      (decision) => {
        if (socket.destroyed) return;
        // close() may have started while the hook ran: accepting now would escape it.
        if (this.#closing !== undefined) rejectUpgrade(socket, 503, "Server is shutting down.");
        else if (!decision.accept) rejectUpgrade(socket, decision.status, decision.message);
        else endpoint.handleUpgrade(request, socket, head, decision);
      },
      (error: unknown) => {
        this.#reportError(error, { module: endpoint.name, where: "authenticate" });
        rejectUpgrade(socket, 500, "Authentication failed with an internal error.");
      },
    );
    return true;
  }

  /**
   * Serves the AsyncAPI documents and viewers (behind `authenticate` when
   * `protectDocs` is on). Returns false for any other request. A document
   * that cannot be built (a schema zod cannot describe) is answered 500 and
   * reported through `onError`; it never escapes into the server's request
   * handler.
   */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean {
    const serve = docsResponder(request, {
      hasModule: (name) => this.endpoints.has(name),
      asyncapi: (module, options) => this.asyncapi(module, options),
      defaultVersion: this.#options.asyncapi.version ?? ASYNCAPI_DEFAULTS.version,
    });
    if (serve === undefined) return false;
    if (!this.#options.protectDocs) {
      this.#serveDocs(serve, request, response);
      return true;
    }
    authenticateRequest(request, this.#options).then(
      (decision) => {
        if (decision.accept) this.#serveDocs(serve, request, response);
        else plainResponse(response, decision.status, `${decision.message}\n`, { "www-authenticate": "Bearer" });
      },
      (error: unknown) => {
        this.#reportError(error, { module: "docs", where: "authenticate" });
        plainResponse(response, 500, "Authentication failed with an internal error.\n");
      },
    );
    return true;
  }

  #serveDocs(serve: DocsResponder, request: IncomingMessage, response: ServerResponse): void {
    try {
      serve(response);
    } catch (error) {
      // The path only: the query may carry a token, and logs must not hold one.
      this.#reportError(error, { module: "docs", where: `${request.method ?? "GET"} ${requestPath(request.url ?? "/")}` });
      if (!response.headersSent) plainResponse(response, 500, "The AsyncAPI document could not be built; the server log has the reason.\n");
      else response.destroy();
    }
  }

  /** The AsyncAPI document of one module, or the merged one of all modules when `module` is omitted. */
  asyncapi(module?: string, options: AsyncApiOptions = {}): Record<string, unknown> {
    const merged = { ...this.#options.asyncapi, ...options };
    if (module === undefined) return buildMergedAsyncApi(this.#moduleSpecs(merged.securitySchemes), merged);
    const endpoint = this.endpoints.get(module);
    if (endpoint === undefined)
      throw new WsgenError("ERR_INVALID_OPTION", `No module named "${module}"; modules: ${[...this.endpoints.keys()].join(", ")}.`);
    return buildModuleAsyncApi(specOf(endpoint, merged.securitySchemes), merged);
  }

  stats(): AppStats {
    const modules: Record<string, ModuleStats> = {};
    for (const [name, endpoint] of this.endpoints) modules[name] = endpoint.stats();
    return { modules, broker: this.#options.broker?.stats() ?? { kind: "memory" } };
  }

  /**
   * Stops accepting connections, closes every client with 1001, calls
   * `removeTopic` for every live topic and detaches from the servers.
   * The http servers themselves are left to their owner to close.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all([...this.endpoints.values()].map((endpoint) => endpoint.close()));
      // What the budget held back is said now, not by a timer after the app is gone.
      this.#clientErrors.flush();
      for (const { server, onUpgrade, onRequest, previous } of this.#attached.splice(0)) {
        server.off("upgrade", onUpgrade);
        server.off("request", onRequest);
        for (const listener of previous) server.on("request", listener);
      }
    })();
    return this.#closing;
  }

  #moduleSpecs(securitySchemes: AsyncApiOptions["securitySchemes"]): ModuleSpec[] {
    return [...this.endpoints.values()].map((endpoint) => specOf(endpoint, securitySchemes));
  }

  /** Reports through onError; an onError that throws must not take the server down with it. */
  #reportError(error: unknown, context: ErrorContext): void {
    try {
      this.#options.onError(error, context);
    } catch (failure) {
      reportToConsole(failure, { module: context.module, where: `onError (while reporting ${context.where})` });
    }
  }
}

/** Creates an app from modules; attach it to an http.Server with `.attach(server)`. */
export function createWsApp<User = unknown>(options: WsAppOptions<User>): WsApp<User> {
  return new WsApp(options);
}

function plainResponse(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers }).end(body);
}

function specOf<User>(endpoint: WsEndpoint<User>, securitySchemes: AsyncApiOptions["securitySchemes"]): ModuleSpec {
  const { definition } = endpoint;
  const schemes = definition.securitySchemes ?? securitySchemes;
  return {
    name: endpoint.name,
    ...(schemes !== undefined ? { securitySchemes: schemes } : {}),
    title: definition.title,
    description: definition.description,
    version: definition.version,
    routes: [...endpoint.routes.values()],
  };
}
