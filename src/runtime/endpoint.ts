/**
 * WsEndpoint: the WebSocket endpoint of one module (`/api/v1/{module}/ws`).
 * It accepts upgraded sockets, routes `{route}.subscribe` and
 * `{route}.unsubscribe` frames to the module's routes, answers everything
 * else per DESIGN.md's bad-input table, runs the heartbeat and the lifespan
 * limit, and releases every subscription of a socket on every close path.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type ServerOptions, type WebSocket } from "ws";
import { Connection, type ConnectionLimits } from "./connection.js";
import { describeError, WsgenError } from "./errors.js";
import { CloseCode, encodeFrame, parseFrame, responseType, type ErrorPayload } from "./protocol.js";
import type { RouteStats, WsRoute } from "./route.js";
import { TokenBucket, type RateLimit } from "./token-bucket.js";

export interface WsModuleDefinition {
  /** A plain identifier; the endpoint is mounted at `/api/v1/{name}/ws`. */
  name: string;
  /** Generated router instances (or any WsRoute). */
  routers: readonly AnyRoute[];
  /** AsyncAPI info; title defaults to "<Name> WebSockets". */
  title?: string;
  description?: string;
  version?: string;
}

/**
 * A route of unknown request and data types. `any` because a module holds
 * routes of different types side by side, and WsRoute is invariant in both
 * (it takes Req in and gives Data out); no method is called through this type
 * with values of the wrong type.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = WsRoute<any, any>;

export interface EndpointOptions extends ConnectionLimits {
  /** Subscriptions one connection may hold across the module's routes. */
  maxSubscriptionsPerConnection: number;
  /** Inbound frame rate per connection; over it the connection is closed with 1008. Undefined: no limit. */
  rateLimit: RateLimit | undefined;
  heartbeatInterval: number;
  maxConnectionLifespan: number;
  maxPayload: number;
  closeTimeout: number;
  reportError(error: unknown, context: { module: string; where: string }): void;
}

export interface EndpointStats {
  connections: number;
  /** Frames written to clients: updates, replies, errors, pongs. */
  framesSent: number;
  invalidFrames: number;
  unknownOperations: number;
  slowConsumerCloses: number;
  framesDropped: number;
  heartbeatTerminations: number;
  rateLimitCloses: number;
  subscriptionsRefused: number;
  routes: Record<string, RouteStats>;
}

type Handler = (connection: Connection, payload: unknown, id: string | undefined, type: string) => void;

export class WsEndpoint {
  readonly name: string;
  readonly path: string;
  readonly definition: WsModuleDefinition;
  readonly routes: ReadonlyMap<string, AnyRoute>;
  readonly #options: EndpointOptions;
  readonly #server: WebSocketServer;
  readonly #connections = new Set<Connection>();
  readonly #handlers = new Map<string, Handler>();
  readonly #heartbeat: NodeJS.Timeout | undefined;
  #invalidFrames = 0;
  #unknownOperations = 0;
  #slowConsumerCloses = 0;
  #framesDropped = 0;
  #heartbeatTerminations = 0;
  #rateLimitCloses = 0;
  #framesSent = 0;
  #subscriptionsRefused = 0;
  #closed = false;

  constructor(definition: WsModuleDefinition, options: EndpointOptions) {
    this.name = definition.name;
    this.path = `/api/v1/${definition.name}/ws`;
    this.definition = definition;
    this.#options = options;
    const routes = new Map<string, AnyRoute>();
    for (const route of definition.routers) {
      if (routes.has(route.route)) {
        throw new WsgenError(
          "ERR_DUPLICATE_ROUTE",
          `Module "${this.name}" has two routers named "${route.route}"; route names must be unique within a module.`,
        );
      }
      routes.set(route.route, route);
      route.mount({ module: this.name, reportError: (error, where) => options.reportError(error, { module: this.name, where }) });
      this.#handlers.set(`${route.route}.subscribe`, (connection, payload, id, type) => {
        this.#serially(connection, type, id, async () => {
          // A subscribe queued behind a slow one may run after the socket closed: it must not take a topic.
          if (!connection.isOpen) return;
          const response = await route.subscribe(connection, payload, () => this.#admit(connection));
          connection.sendText(encodeFrame(responseType(type), response, id));
        });
      });
      this.#handlers.set(`${route.route}.unsubscribe`, (connection, payload, id, type) => {
        this.#serially(connection, type, id, () => {
          connection.sendText(encodeFrame(responseType(type), route.unsubscribe(connection, payload), id));
          return Promise.resolve();
        });
      });
    }
    this.routes = routes;
    this.#handlers.set("ping", (connection, _payload, id) => connection.sendText(encodeFrame("pong", undefined, id)));
    this.#handlers.set("pong", () => undefined);
    // ws 8.23 supports closeTimeout; @types/ws does not list it yet.
    const serverOptions: ServerOptions & { closeTimeout: number } = {
      noServer: true,
      // Connection writes pre-encoded frames to the TCP socket; that needs uncompressed, in-order ws writes.
      perMessageDeflate: false,
      maxPayload: options.maxPayload,
      closeTimeout: options.closeTimeout,
    };
    this.#server = new WebSocketServer(serverOptions);
    if (options.heartbeatInterval > 0) {
      this.#heartbeat = setInterval(() => this.#beat(), options.heartbeatInterval);
      this.#heartbeat.unref();
    }
  }

  /** Operation types clients may send to this endpoint. */
  get operations(): string[] {
    return [...this.#handlers.keys()];
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Completes the WebSocket handshake for an already authorized request. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, user: unknown): void {
    this.#server.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, socket, request, user));
  }

  stats(): EndpointStats {
    const routes: Record<string, RouteStats> = {};
    for (const [name, route] of this.routes) routes[name] = route.stats();
    return {
      connections: this.#connections.size,
      framesSent: this.#framesSent,
      invalidFrames: this.#invalidFrames,
      unknownOperations: this.#unknownOperations,
      slowConsumerCloses: this.#slowConsumerCloses,
      framesDropped: this.#framesDropped,
      heartbeatTerminations: this.#heartbeatTerminations,
      rateLimitCloses: this.#rateLimitCloses,
      subscriptionsRefused: this.#subscriptionsRefused,
      routes,
    };
  }

  /**
   * Closes every client with 1001 and removes every topic. Resolves when all
   * sockets are closed (or terminated after the close timeout) and every
   * removeTopic has settled.
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    const closed = [...this.#connections].map(
      (connection) =>
        new Promise<void>((resolve) => {
          connection.socket.once("close", () => resolve());
          connection.close(CloseCode.goingAway, "server shutdown");
        }),
    );
    await Promise.all([...this.routes.values()].map((route) => route.shutdown(this.#options.closeTimeout)));
    await Promise.all(closed);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(ws: WebSocket, transport: Duplex, request: IncomingMessage, user: unknown): void {
    if (this.#closed) {
      ws.close(CloseCode.goingAway, "server shutdown");
      return;
    }
    const connection = new Connection(randomUUID(), ws, transport, request, user, this.#options, {
      onFramesSent: (_connection, count) => {
        this.#framesSent += count;
      },
      onFramesDropped: (_connection, count) => {
        this.#framesDropped += count;
      },
      onSlowConsumerClosed: () => {
        this.#slowConsumerCloses += 1;
      },
    });
    this.#connections.add(connection);
    let lifespan: NodeJS.Timeout | undefined;
    if (this.#options.maxConnectionLifespan > 0) {
      lifespan = setTimeout(() => connection.close(CloseCode.maxLifespan, "max connection lifespan"), this.#options.maxConnectionLifespan);
      lifespan.unref();
    }
    const markAlive = (): void => {
      connection.alive = true;
    };
    ws.on("pong", markAlive);
    ws.on("ping", markAlive);
    const bucket = this.#options.rateLimit !== undefined ? new TokenBucket(this.#options.rateLimit) : undefined;
    ws.on("message", (data, isBinary) => {
      connection.alive = true;
      if (bucket !== undefined && !bucket.take()) {
        if (connection.isOpen) this.#rateLimitCloses += 1;
        connection.close(CloseCode.policyViolation, "rate limit exceeded");
        return;
      }
      if (isBinary) {
        this.#invalidFrames += 1;
        connection.close(CloseCode.unsupportedData, "binary frames are not supported; send JSON text frames");
        return;
      }
      this.#receive(connection, (data as Buffer).toString("utf8"));
    });
    // ws closes the socket itself on protocol errors (1009 too big, 1007 bad UTF-8, …); count them.
    ws.on("error", (error) => {
      this.#invalidFrames += 1;
      this.#options.reportError(error, { module: this.name, where: `connection ${connection.id}` });
    });
    ws.on("close", () => {
      if (lifespan !== undefined) clearTimeout(lifespan);
      this.#connections.delete(connection);
      for (const route of this.routes.values()) route.release(connection);
    });
  }

  #receive(connection: Connection, text: string): void {
    const parsed = parseFrame(text);
    if (!parsed.ok) {
      this.#invalidFrames += 1;
      this.#sendError(connection, parsed.error, parsed.id);
      return;
    }
    const { type, payload, id } = parsed.envelope;
    const handler = this.#handlers.get(type);
    if (handler === undefined) {
      this.#unknownOperations += 1;
      this.#sendError(
        connection,
        {
          code: "unknown_operation",
          message: `Unknown operation "${type}" on module "${this.name}".`,
          details: { operations: this.operations },
        },
        id,
      );
      return;
    }
    try {
      handler(connection, payload, id, type);
    } catch (error) {
      this.#options.reportError(error, { module: this.name, where: type });
      this.#sendError(connection, { code: "internal_error", message: `Operation "${type}" failed: ${describeError(error)}` }, id);
    }
  }

  /** Runs a subscribe/unsubscribe in the connection's order; a throw becomes an internal_error answer. */
  #serially(connection: Connection, type: string, id: string | undefined, operation: () => Promise<void>): void {
    connection.enqueue(async () => {
      try {
        await operation();
      } catch (error) {
        this.#options.reportError(error, { module: this.name, where: type });
        this.#sendError(connection, { code: "internal_error", message: `Operation "${type}" failed: ${describeError(error)}` }, id);
      }
    });
  }

  /** Refuses a new subscription past the per-connection limit. */
  #admit(connection: Connection): string | undefined {
    let held = 0;
    for (const route of this.routes.values()) held += route.subscriptionsOf(connection);
    if (held < this.#options.maxSubscriptionsPerConnection) return undefined;
    this.#subscriptionsRefused += 1;
    return `subscription limit reached: at most ${this.#options.maxSubscriptionsPerConnection} per connection; unsubscribe from another topic first`;
  }

  #sendError(connection: Connection, error: ErrorPayload, id: string | undefined): void {
    connection.sendText(encodeFrame("error", error, id));
  }

  #beat(): void {
    for (const connection of this.#connections) {
      if (!connection.alive) {
        this.#heartbeatTerminations += 1;
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }
}
