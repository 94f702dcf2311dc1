/**
 * A module: a named set of routes served at one endpoint
 * (`/api/v1/{name}/ws`) and described by one AsyncAPI document.
 */
import type { WsRoute } from "./route.js";

/**
 * A route of unknown request and data types. `any` because a module holds
 * routes of different types side by side, and WsRoute is invariant in both
 * (it takes Req in and gives Data out); no method is called through this type
 * with values of the wrong type.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = WsRoute<any, any>;

export interface WsModuleDefinition {
  /** A letter, then letters, digits, `_` or `-` (`market-data`); the endpoint is mounted at `/api/v1/{name}/ws`. */
  name: string;
  /** The module's routes: generated router instances (or any WsRoute). */
  routes: readonly AnyRoute[];
  /** AsyncAPI title; defaults to "<Name> WebSockets". */
  title?: string;
  /** AsyncAPI description. */
  description?: string;
  /** AsyncAPI document version. */
  version?: string;
}

/** Declares a module; a typed identity function so module files read as configuration. */
export function defineModule(definition: WsModuleDefinition): WsModuleDefinition {
  return definition;
}
