/**
 * The typed layer over WsClient: a contract (module → route → request and
 * data schemas, as the generator emits it) becomes
 * `client.datafeed.bars.subscribe({ symbol, resolution }, (bar) => …)` and
 * `for await (const bar of client.datafeed.bars.stream({...}))`, with request
 * and data types inferred from the schemas. One connection per module, opened
 * on first use. A loop that wants to see lost updates iterates `events()`
 * instead, whose items say their kind (delivery-events.ts).
 */
import type { z } from "zod";
import { endpointPath } from "../protocol/paths.js";
import { check, invalidOption, isFunction } from "../runtime/option-checks.js";
import { resolveClientOptions, type ConnectionState, type WsClientOptions } from "./client-options.js";
import type { DeliveryHandlers, Resubscription, StreamReset } from "./delivery-events.js";
import { baseUrlOf } from "./endpoint.js";
import type { Subscription } from "./subscription.js";
import { createStream, type UpdateStream } from "./update-stream.js";
import { WsClient } from "./ws-client.js";

/**
 * The typed client's own members: a module of one of these names would hide
 * one (`client.close` would be the module), so `createClient` refuses it, and
 * the generator refuses such a module name (through `wsgen/internal`). The
 * literal `satisfies` the member names both ways: a member added to
 * ClientMembers and not here, or listed here and not a member, is a type error.
 */
export const RESERVED_MODULE_NAMES: readonly MemberName[] = Object.freeze(
  Object.keys({ connection: true, states: true, reconnect: true, close: true } satisfies Record<MemberName, true>) as MemberName[],
);

type MemberName = keyof ClientMembers<ClientContract>;

/** The default of `stream()`'s `buffer` option. */
export const STREAM_DEFAULTS = { buffer: 1_000 } as const;

export interface RouteContract<Request extends z.ZodType = z.ZodType, Data extends z.ZodType = z.ZodType> {
  route: string;
  request: Request;
  data: Data;
}
export type ModuleContract = Record<string, RouteContract>;
export type ClientContract = Record<string, ModuleContract>;

/** Options of a typed `subscribe`: the delivery callbacks, and `onEnd` (SubscribeOptions). */
export interface RouteSubscribeOptions extends DeliveryHandlers {
  /** The subscription will receive nothing more (the client closed, or a resubscription was refused). @default undefined */
  onEnd?: (error?: Error) => void;
}

/** Options of `stream()` and `events()`. */
export interface StreamOptions extends DeliveryHandlers {
  /** Unread items kept, the oldest dropped first (counted in `dropped`). @default 1000 */
  buffer?: number;
}

/**
 * An item of `events()`: an update's data, a reset (updates were lost; data
 * continues from `reset.to`), or a resubscribe after a reconnect (whether
 * the server recovered what was missed; a reset follows when it did not).
 */
export type StreamEvent<Data> =
  | { readonly kind: "data"; readonly data: Data }
  | { readonly kind: "reset"; readonly reset: StreamReset }
  | { readonly kind: "resubscribe"; readonly resubscription: Resubscription };

export interface RouteClient<Request, Data> {
  /** Resolves when the server confirmed; rejects with WsRequestError (and its zod issues) when refused. */
  subscribe(request: Request, handler: (data: Data, topic: string) => void, options?: RouteSubscribeOptions): Promise<Subscription>;
  /**
   * Updates as an async iterable; leaving the loop unsubscribes. Lost
   * updates reach `options.onReset` only: a loop that must see them in line
   * iterates `events()`.
   */
  stream(request: Request, options?: StreamOptions): UpdateStream<Data>;
  /** Like `stream()`, with resets and resubscribes as items of their own kind beside the data. */
  events(request: Request, options?: StreamOptions): UpdateStream<StreamEvent<Data>>;
}

export type TypedClient<Contract extends ClientContract> = {
  [Module in keyof Contract]: {
    [Route in keyof Contract[Module]]: RouteClient<z.input<Contract[Module][Route]["request"]>, z.output<Contract[Module][Route]["data"]>>;
  };
} & ClientMembers<Contract>;

/** The members of a typed client beside its modules; their names are RESERVED_MODULE_NAMES. */
export interface ClientMembers<Contract extends ClientContract> {
  /** The module's connection (created on first use). */
  connection(module: keyof Contract & string): WsClient;
  /** Connection states by module, for modules in use. */
  states(): Partial<Record<keyof Contract & string, ConnectionState>>;
  /** Connects again now every connection that is refused or waiting to reconnect (`WsClient.reconnect`). */
  reconnect(): void;
  close(): void;
}

export interface ClientOptions extends WsClientOptions {
  /** Path of a module's endpoint. @default endpointPath: `/api/v1/{module}/ws` */
  path?: (module: string) => string;
}

/**
 * `baseUrl` is `ws://host:port` (or http(s)://, converted), or `""` or a path
 * from `/` for the page's own origin. Bad options, a bad base URL and a
 * module named as a member of the client throw here, before any connection
 * is made.
 */
export function createClient<Contract extends ClientContract>(
  baseUrl: string,
  contract: Contract,
  options: ClientOptions = {},
): TypedClient<Contract> {
  resolveClientOptions(options); // each connection resolves them again; this only checks them up front
  const base = baseUrlOf(baseUrl);
  const reserved = Object.keys(contract).find((module) => (RESERVED_MODULE_NAMES as readonly string[]).includes(module));
  if (reserved !== undefined)
    throw invalidOption(
      "contract",
      `without modules named ${RESERVED_MODULE_NAMES.join(", ")} (the typed client's own members)`,
      `a module named ${JSON.stringify(reserved)}`,
    );
  const path = check("path", options.path ?? endpointPath, isFunction, "a function from module name to path");
  const connections = new Map<string, WsClient>();
  const connection = (module: string): WsClient => {
    let client = connections.get(module);
    if (client === undefined) {
      client = new WsClient(`${base}${path(module)}`, options);
      connections.set(module, client);
    }
    return client;
  };
  const members: ClientMembers<ClientContract> = {
    connection,
    states: () => Object.fromEntries([...connections].map(([module, client]) => [module, client.state])),
    reconnect: () => {
      for (const client of connections.values()) if (client.state === "refused" || client.state === "reconnecting") client.reconnect();
    },
    close: () => {
      for (const client of connections.values()) client.close();
    },
  };
  const typed: Record<string, unknown> = { ...members };
  for (const [module, routes] of Object.entries(contract)) {
    const routeClients: Record<string, RouteClient<unknown, unknown>> = {};
    for (const [name, contract] of Object.entries(routes)) {
      const schemas = { requestSchema: contract.request, dataSchema: contract.data };
      // Async, so that a connection that cannot be made (a `path` giving a URL the WebSocket refuses) rejects instead of throwing.
      const subscribe = async (request: unknown, handler: (data: unknown, topic: string) => void, options: RouteSubscribeOptions = {}) =>
        connection(module).subscribe(contract.route, request, handler, { ...schemas, ...pickHandlers(options), onEnd: options.onEnd });
      const capacity = (options: StreamOptions | undefined): number => options?.buffer ?? STREAM_DEFAULTS.buffer;
      routeClients[name] = {
        subscribe,
        stream: (request, options) =>
          createStream((push, onEnd) => subscribe(request, push, { ...pickHandlers(options ?? {}), onEnd }), capacity(options)),
        events: (request, options) =>
          createStream<StreamEvent<unknown>>(
            (push, onEnd) =>
              subscribe(request, (data) => push({ kind: "data", data }), {
                onReset: (reset) => {
                  push({ kind: "reset", reset });
                  options?.onReset?.(reset);
                },
                onResubscribe: (resubscription) => {
                  push({ kind: "resubscribe", resubscription });
                  options?.onResubscribe?.(resubscription);
                },
                onEnd,
              }),
            capacity(options),
          ),
      };
    }
    typed[module] = routeClients;
  }
  return typed as TypedClient<Contract>;
}

/** The delivery callbacks of `options`, and nothing else of it (a stream's `buffer` is no subscribe option). */
function pickHandlers({ onReset, onResubscribe }: DeliveryHandlers): DeliveryHandlers {
  return { onReset, onResubscribe };
}
