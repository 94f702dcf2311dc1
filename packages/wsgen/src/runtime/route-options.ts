/**
 * The options of a route (`new OrderWsRouter({...})`), with their defaults
 * in one literal. The README's route option table is checked against it.
 */
import type { AuthorizeHook } from "./authorization.js";
import type { Defaults } from "./option-checks.js";
import type { WsRouteService } from "./service.js";

/** What the user passes to a route: to a generated router class, or with its declaration to `WsRoute`. */
export interface RouteOptions<Req, Data, Route extends string = string, User = unknown> {
  /** Starts and stops data per topic. */
  service: WsRouteService<Req, Data, User>;
  /**
   * Asked on every subscribe of this route, after the module's `authorize`:
   * `true` admits, `false` or a message refuses with `code: "forbidden"`.
   * May be async. Type the user with the router's type parameter:
   * `new OrderWsRouter<Trader>({ service, authorize: ({ user, request }) => user.accounts.includes(request.accountId) })`.
   * @default undefined (every authenticated client may subscribe)
   */
  authorize?: AuthorizeHook<User, Req>;
  /** The route name is fixed by `ws.ts`; it may be restated here, nothing else. @default the declared name */
  route?: Route;
  /** Shown in the AsyncAPI document. @default the alias's JSDoc in ws.ts */
  description?: string;
  /** Capacity of the update queue; when full, the oldest update is dropped and counted. @default 1000 */
  queueCapacity?: number;
  /**
   * Minimum milliseconds (0 to 1000) between two fan-outs of this route.
   * Updates that come sooner wait and go out together, one write per
   * subscriber instead of one per update, trading up to this much latency for
   * CPU on busy routes; a route that is not busy is never delayed.
   * @default 0 (every fan-out on the next turn of the event loop)
   */
  batchWindowMs?: number;
  /** Validate each update against the data schema before sending; an invalid one is dropped and reported. @default true */
  validateUpdates?: boolean;
}

/** The defaults of the optional `RouteOptions` keys. */
export const ROUTE_DEFAULTS = {
  authorize: undefined,
  description: undefined,
  queueCapacity: 1_000,
  batchWindowMs: 0,
  validateUpdates: true,
} as const satisfies Defaults<Omit<RouteOptions<unknown, unknown>, "service" | "route">>;
