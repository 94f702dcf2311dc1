/**
 * The typed layer over WsClient: a contract (module → route → request and
 * data schemas, as the generator emits it) becomes
 * `client.datafeed.bars.subscribe({ symbol, resolution }, (bar) => …)` and
 * `for await (const bar of client.datafeed.bars.stream({...}))`, with request
 * and data types inferred from the schemas. One connection per module, opened
 * on first use.
 */
import type { z } from "zod";
import { endpointPath } from "../protocol/paths.js";
import { check, invalidOption, isFunction } from "../runtime/option-checks.js";
import { resolveClientOptions, type ConnectionState, type WsClientOptions } from "./client-options.js";
import { baseUrlOf } from "./endpoint.js";
import type { Subscription } from "./subscription.js";
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

/** An async iterable of updates that can also be ended from outside the loop. */
export interface UpdateStream<Data> extends AsyncIterable<Data> {
  readonly topic: Promise<string>;
  close(): Promise<void>;
}

export interface RouteClient<Request, Data> {
  /** Resolves when the server confirmed; rejects with WsRequestError (and its zod issues) when refused. */
  subscribe(request: Request, handler: (data: Data, topic: string) => void): Promise<Subscription>;
  /**
   * Updates as an async iterable; leaving the loop unsubscribes. Keeps at
   * most `buffer` unread updates, dropping the oldest (@default 1000).
   */
  stream(request: Request, options?: { buffer?: number }): UpdateStream<Data>;
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
      const options = { requestSchema: contract.request, dataSchema: contract.data };
      // Async, so that a connection that cannot be made (a `path` giving a URL the WebSocket refuses) rejects instead of throwing.
      const subscribe = async (request: unknown, handler: (data: unknown, topic: string) => void, onEnd?: (error?: Error) => void) =>
        connection(module).subscribe(contract.route, request, handler, { ...options, onEnd });
      routeClients[name] = {
        subscribe: (request, handler) => subscribe(request, handler),
        stream: (request, streamOptions) =>
          createStream((handler, onEnd) => subscribe(request, handler, onEnd), streamOptions?.buffer ?? STREAM_DEFAULTS.buffer),
      };
    }
    typed[module] = routeClients;
  }
  return typed as TypedClient<Contract>;
}

function createStream<Data>(
  subscribe: (handler: (data: Data) => void, onEnd: (error?: Error) => void) => Promise<Subscription>,
  capacity: number,
): UpdateStream<Data> {
  const buffer: Data[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  let failure: Error | undefined;
  let iterated = false;
  const subscription = subscribe(
    (data) => {
      buffer.push(data);
      if (buffer.length > capacity) buffer.shift();
      wake?.();
    },
    (error) => {
      // The client closed (the loop ends) or refused a resubscription (the loop throws).
      done = true;
      failure = error;
      wake?.();
    },
  );
  const topic = subscription.then((active) => active.topic);
  // Whoever iterates sees a refusal thrown from the loop; the derived promise must not also go unhandled.
  topic.catch(() => undefined);
  const close = async (): Promise<void> => {
    done = true;
    wake?.();
    await (await subscription).unsubscribe();
  };
  return {
    topic,
    close,
    async *[Symbol.asyncIterator]() {
      if (iterated) throw new TypeError("a stream can be iterated once; call stream() again for another loop");
      iterated = true;
      await subscription; // surfaces a refused subscription as a throw from the loop
      try {
        for (;;) {
          if (buffer.length > 0) {
            yield buffer.shift() as Data;
            continue;
          }
          if (done) break;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
        if (failure !== undefined) throw failure;
      } finally {
        if (!done) await close();
      }
    },
  };
}
