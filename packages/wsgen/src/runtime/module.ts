/**
 * A module: a named set of routes served at one endpoint
 * (`/api/v1/{name}/ws`) and described by one AsyncAPI document.
 */
import type { AsyncApiSecurityScheme } from "./asyncapi-security.js";
import type { AuthorizeHook } from "./authorization.js";
import type { WsRoute } from "./route.js";

/**
 * A route of unknown request and data types. `any` because a module holds
 * routes of different types side by side, and WsRoute is invariant in both
 * (it takes Req in and gives Data out); no method is called through this type
 * with values of the wrong type. The user type is kept: a route's hooks must
 * accept the module's user.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute<User = unknown> = WsRoute<any, any, User>;

export interface WsModuleDefinition<User = unknown> {
  /** A letter, then letters, digits, `_` or `-` (`market-data`); the endpoint is mounted at `/api/v1/{name}/ws`. */
  name: string;
  /** The module's routes: generated router instances (or any WsRoute). */
  routes: readonly AnyRoute<User>[];
  /**
   * Asked on every subscribe to any of the module's routes, before the
   * route's own `authorize`; sees the request as `unknown` (routes differ).
   * @default undefined
   */
  authorize?: AuthorizeHook<User>;
  /**
   * How clients authenticate, for the AsyncAPI document: named security
   * schemes, any one of which is accepted.
   * @default the app's `asyncapi.securitySchemes`, else none
   */
  securitySchemes?: Readonly<Record<string, AsyncApiSecurityScheme>>;
  /** AsyncAPI title; defaults to "<Name> WebSockets". */
  title?: string;
  /** AsyncAPI description. */
  description?: string;
  /** AsyncAPI document version. */
  version?: string;
}

/**
 * Declares a module; a typed identity function so module files read as
 * configuration. Give the user type of the app's `authenticate` to type the
 * hooks: `defineModule<Trader>({ name, routes, authorize: ({ user }) => … })`.
 */
export function defineModule<User = unknown>(definition: WsModuleDefinition<User>): WsModuleDefinition<User> {
  return definition;
}
