/**
 * WsEndpoint: the WebSocket endpoint of one module (`/api/v1/{module}/ws`).
 * It accepts upgraded sockets, routes `{route}.subscribe` and
 * `{route}.unsubscribe` frames to the module's routes, answers everything
 * else per the bad-input table (docs/bad-input.md), runs the heartbeat and the lifespan
 * limit, and releases every subscription of a socket on every close path.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type ServerOptions, type WebSocket } from "ws";
import type { Identity } from "./authentication.js";
import { Connection } from "./connection.js";
import { runAt, type DeadlineTimer } from "./deadline-timer.js";
import { describeError, WsgenError, type ErrorContext } from "./errors.js";
import { errorKind, type ClientErrorBudget } from "./error-reports.js";
import { Histogram, LAG_SECONDS_BUCKETS, type HistogramSnapshot } from "./histogram.js";
import type { AnyRoute, WsModuleDefinition } from "./module.js";
import type { ResolvedAppOptions } from "./app-options.js";
import {
  CloseCode,
  CloseReason,
  encodeEnvelope,
  MessageType,
  operationType,
  parseEnvelope,
  responseType,
  type ErrorPayload,
} from "../protocol/messages.js";
import { endpointPath } from "../protocol/paths.js";
import type { RouteStats } from "./route-stats.js";
import { TokenBucket } from "./token-bucket.js";

/** The app options an endpoint uses, resolved, and where to report errors. */
export type EndpointOptions = Pick<
  ResolvedAppOptions,
  | "highWaterMark"
  | "slowConsumer"
  | "maxLagMs"
  | "maxSubscriptionsPerConnection"
  | "maxQueuedOperations"
  | "authorizeTimeout"
  | "rateLimit"
  | "heartbeatInterval"
  | "maxConnectionLifespan"
  | "maxPayload"
  | "maxRequestDepth"
  | "maxRequestKeys"
  | "closeTimeout"
  | "broker"
> & {
  reportError(error: unknown, context: ErrorContext): void;
  /** The app's budget for reports of client-caused errors, shared by its endpoints. */
  clientErrors: ClientErrorBudget;
};

export interface ModuleStats {
  connections: number;
  /** Frames written to clients: updates, replies, errors, pongs. */
  framesSent: number;
  invalidFrames: number;
  unknownOperations: number;
  slowConsumerCloses: number;
  framesDropped: number;
  heartbeatTerminations: number;
  /** Measured delivery lag of its connections, in seconds (lag probes' round trips). */
  deliveryLag: HistogramSnapshot;
  /** Times one of its connections started lagging (its routes' lag policies applied). */
  lagEpisodes: number;
  rateLimitCloses: number;
  /** Connections closed with 1008 for having more than `maxQueuedOperations` operations waiting. */
  queueLimitCloses: number;
  subscriptionsRefused: number;
  /** Connections closed with 4001 because the expiry `authenticate` gave passed. */
  credentialsExpiredCloses: number;
  /** Errors caused by or met on a connection, each counted; see `errorsNotLogged`. */
  connectionErrors: number;
  /**
   * Connection errors not passed to `onError`: repeats of a kind (code and
   * where) on one connection, and client-caused errors over the app's
   * `clientErrorReportsPerMinute`.
   */
  errorsNotLogged: number;
  routes: Record<string, RouteStats>;
}

/** Answers one operation; `since` is the envelope's, which only a subscribe reads. */
type Handler<User> = (connection: Connection<User>, payload: unknown, id: string | undefined, type: string, since: unknown) => void;

export class WsEndpoint<User = unknown> {
  readonly name: string;
  readonly path: string;
  readonly definition: WsModuleDefinition<User>;
  readonly routes: ReadonlyMap<string, AnyRoute<User>>;
  readonly #options: EndpointOptions;
  readonly #server: WebSocketServer;
  readonly #connections = new Set<Connection<User>>();
  readonly #handlers = new Map<string, Handler<User>>();
  readonly #heartbeat: NodeJS.Timeout | undefined;
  #invalidFrames = 0;
  #unknownOperations = 0;
  #slowConsumerCloses = 0;
  #framesDropped = 0;
  #heartbeatTerminations = 0;
  readonly #deliveryLag = new Histogram(LAG_SECONDS_BUCKETS);
  #lagEpisodes = 0;
  #rateLimitCloses = 0;
  #queueLimitCloses = 0;
  #framesSent = 0;
  #subscriptionsRefused = 0;
  #credentialsExpiredCloses = 0;
  #connectionErrors = 0;
  #errorsNotLogged = 0;
  #closed = false;

  constructor(definition: WsModuleDefinition<User>, options: EndpointOptions) {
    this.name = definition.name;
    this.path = endpointPath(definition.name);
    this.definition = definition;
    this.#options = options;
    const routes = new Map<string, AnyRoute<User>>();
    for (const route of definition.routes) {
      if (routes.has(route.name)) {
        throw new WsgenError(
          "ERR_DUPLICATE_ROUTE",
          `Module "${this.name}" has two routes named "${route.name}"; route names must be unique within a module.`,
        );
      }
      routes.set(route.name, route);
      route.mount({
        module: this.name,
        authorize: definition.authorize,
        authorizeTimeout: options.authorizeTimeout,
        requestShape: { maxRequestDepth: options.maxRequestDepth, maxRequestKeys: options.maxRequestKeys },
        broker: options.broker,
        reportError: (error, context, client) => {
          if (client instanceof Connection) this.#reportFrom(client as Connection<User>, error, context);
          else options.reportError(error, context);
        },
      });
      this.#handlers.set(operationType(route.name, "subscribe"), (connection, payload, id, type, since) => {
        this.#runInOrder(connection, type, id, async () => {
          // A subscribe queued behind a slow one may run after the socket closed: it must not take a topic.
          if (!connection.isOpen) return;
          await route.subscribe(connection, payload, {
            since,
            limitRefusal: () => this.#limitRefusal(connection),
            answer: (response) => connection.sendText(encodeEnvelope(responseType(type), response, id)),
          });
        });
      });
      this.#handlers.set(operationType(route.name, "unsubscribe"), (connection, payload, id, type) => {
        this.#runInOrder(connection, type, id, () => {
          connection.sendText(encodeEnvelope(responseType(type), route.unsubscribe(connection, payload), id));
          return Promise.resolve();
        });
      });
    }
    this.routes = routes;
    this.#handlers.set(MessageType.ping, (connection, _payload, id) =>
      connection.sendText(encodeEnvelope(MessageType.pong, undefined, id)),
    );
    this.#handlers.set(MessageType.pong, () => undefined);
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
      this.#heartbeat = setInterval(() => this.#checkHeartbeats(), options.heartbeatInterval);
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

  /** Completes the WebSocket handshake for an already authenticated request. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, identity: Identity<User>): void {
    this.#server.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, socket, request, identity));
  }

  stats(): ModuleStats {
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
      deliveryLag: this.#deliveryLag.snapshot(),
      lagEpisodes: this.#lagEpisodes,
      rateLimitCloses: this.#rateLimitCloses,
      queueLimitCloses: this.#queueLimitCloses,
      subscriptionsRefused: this.#subscriptionsRefused,
      credentialsExpiredCloses: this.#credentialsExpiredCloses,
      connectionErrors: this.#connectionErrors,
      errorsNotLogged: this.#errorsNotLogged,
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
          connection.close(CloseCode.goingAway, CloseReason.serverShutdown);
        }),
    );
    await Promise.all([...this.routes.values()].map((route) => route.shutdown(this.#options.closeTimeout)));
    await Promise.all(closed);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(ws: WebSocket, transport: Duplex, request: IncomingMessage, identity: Identity<User>): void {
    if (this.#closed) {
      ws.close(CloseCode.goingAway, CloseReason.serverShutdown);
      return;
    }
    const connection = new Connection<User>(randomUUID(), ws, transport, request, identity.user, this.#options, {
      onFramesSent: (_connection, count) => {
        this.#framesSent += count;
      },
      onFramesDropped: (_connection, count) => {
        this.#framesDropped += count;
      },
      onSlowConsumerClosed: () => {
        this.#slowConsumerCloses += 1;
      },
      onLagMeasured: (_connection, lagMs) => this.#deliveryLag.observe(lagMs / 1000),
      onLagging: () => {
        this.#lagEpisodes += 1;
      },
    });
    this.#connections.add(connection);
    let lifespan: NodeJS.Timeout | undefined;
    if (this.#options.maxConnectionLifespan > 0) {
      lifespan = setTimeout(() => connection.close(CloseCode.maxLifespan, CloseReason.maxLifespan), this.#options.maxConnectionLifespan);
      lifespan.unref();
    }
    let expiry: DeadlineTimer | undefined;
    if (identity.expiresAt !== undefined) {
      expiry = runAt(identity.expiresAt, () => {
        if (connection.isOpen) this.#credentialsExpiredCloses += 1;
        connection.close(CloseCode.credentialsExpired, CloseReason.credentialsExpired);
      });
    }
    ws.on("pong", (payload) => {
      connection.alive = true;
      connection.lag.acknowledge(payload, performance.now());
    });
    ws.on("ping", () => {
      connection.alive = true;
    });
    const bucket = this.#options.rateLimit !== undefined ? new TokenBucket(this.#options.rateLimit) : undefined;
    ws.on("message", (data, isBinary) => {
      // Frames that arrive after a limit tripped are not read: the connection is closing.
      if (connection.ignoringFrames) return;
      connection.alive = true;
      if (bucket !== undefined && !bucket.take()) {
        connection.ignoringFrames = true;
        if (connection.isOpen) this.#rateLimitCloses += 1;
        this.#closeAfterQueued(connection, CloseCode.policyViolation, CloseReason.rateLimit);
        return;
      }
      if (isBinary) {
        this.#invalidFrames += 1;
        connection.close(CloseCode.unsupportedData, CloseReason.binaryFrame);
        return;
      }
      this.#receive(connection, (data as Buffer).toString("utf8"));
    });
    // ws closes the socket itself on protocol errors (1009 too big, 1007 bad UTF-8, …); count them.
    ws.on("error", (error) => {
      this.#invalidFrames += 1;
      const invalid = new WsgenError("ERR_INVALID_FRAME", `a client broke the WebSocket protocol: ${error.message}`, { cause: error });
      this.#reportFrom(connection, invalid, { module: this.name, where: `connection ${connection.id}` });
    });
    ws.on("close", () => {
      if (lifespan !== undefined) clearTimeout(lifespan);
      expiry?.clear();
      this.#connections.delete(connection);
      for (const route of this.routes.values()) route.release(connection);
    });
  }

  #receive(connection: Connection<User>, text: string): void {
    const parsed = parseEnvelope(text);
    if (!parsed.ok) {
      this.#invalidFrames += 1;
      this.#sendError(connection, parsed.error, parsed.id);
      return;
    }
    const { type, payload, id, since } = parsed.envelope;
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
      handler(connection, payload, id, type, since);
    } catch (error) {
      this.#operationFailed(connection, type, id, error);
    }
  }

  /**
   * Closes `connection` once every operation it queued before now has
   * answered, so the frames admitted before a rate-limit trip get their
   * replies; a close timeout bounds the wait for a hanging service.
   */
  #closeAfterQueued(connection: Connection<User>, code: number, reason: string): void {
    const fallback = setTimeout(() => connection.close(code, reason), this.#options.closeTimeout);
    fallback.unref();
    connection.enqueue(() => {
      clearTimeout(fallback);
      connection.close(code, reason);
      return Promise.resolve();
    });
  }

  /**
   * Reports an error met on `connection`: the first of each kind (its code
   * and where it happened) per connection goes to `onError` unless it is
   * client-caused and the app's budget for those is spent (error-reports.ts);
   * every other one is only counted.
   */
  #reportFrom(connection: Connection<User>, error: unknown, context: ErrorContext): void {
    this.#connectionErrors += 1;
    if (!connection.firstOfKind(errorKind(error, context)) || !this.#options.clientErrors.admit(error, context)) {
      this.#errorsNotLogged += 1;
      return;
    }
    this.#options.reportError(error, context);
  }

  /** An operation threw: report it, and answer the client with internal_error. */
  #operationFailed(connection: Connection<User>, type: string, id: string | undefined, error: unknown): void {
    this.#reportFrom(connection, error, { module: this.name, where: type });
    this.#sendError(connection, { code: "internal_error", message: `Operation "${type}" failed: ${describeError(error)}` }, id);
  }

  /**
   * Runs a subscribe/unsubscribe in the connection's order; a throw becomes
   * an internal_error answer. One past `maxQueuedOperations` closes the
   * connection at once (the waiting ones are behind something slow, so
   * their answers may be far off) instead of holding its payload too.
   */
  #runInOrder(connection: Connection<User>, type: string, id: string | undefined, operation: () => Promise<void>): void {
    if (connection.queuedOperations >= this.#options.maxQueuedOperations) {
      connection.ignoringFrames = true;
      if (connection.isOpen) this.#queueLimitCloses += 1;
      connection.close(CloseCode.policyViolation, CloseReason.tooManyQueued);
      return;
    }
    connection.enqueue(async () => {
      try {
        await operation();
      } catch (error) {
        this.#operationFailed(connection, type, id, error);
      }
    });
  }

  /** Why `connection` may take no new subscription (it holds the most allowed), or undefined when it may. */
  #limitRefusal(connection: Connection<User>): string | undefined {
    let held = 0;
    for (const route of this.routes.values()) held += route.subscriptionsOf(connection);
    if (held < this.#options.maxSubscriptionsPerConnection) return undefined;
    this.#subscriptionsRefused += 1;
    return `subscription limit reached: at most ${this.#options.maxSubscriptionsPerConnection} per connection; unsubscribe from another topic first`;
  }

  #sendError(connection: Connection<User>, error: ErrorPayload, id: string | undefined): void {
    connection.sendText(encodeEnvelope(MessageType.error, error, id));
  }

  /** Terminates every connection that showed no life since the last tick, and pings the others. */
  #checkHeartbeats(): void {
    for (const connection of this.#connections) {
      if (!connection.alive) {
        this.#heartbeatTerminations += 1;
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
      connection.lag.pinged();
    }
  }
}
