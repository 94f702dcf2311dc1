/**
 * `wsgen/internal`: what the code generator (`@wsgen/cli`) shares with the
 * runtime, so that each rule has one implementation. Not public API: it
 * changes with any release, and `@wsgen/cli` pins the exact `wsgen` version
 * it was built with. (Deliberately not tagged internal: stripInternal would drop the
 * exports from the published types that the CLI compiles against.)
 */
export { isModuleName } from "./protocol/paths.js";
export { isRouteName } from "./protocol/messages.js";
export {
  ASYNCAPI_VERSIONS,
  buildMergedAsyncApi,
  buildModuleAsyncApi,
  type AsyncApiVersion,
  type ModuleSpec,
  type RouteSpec,
} from "./runtime/asyncapi.js";
export { compareStrings } from "./util/compare.js";
export { deliveryPolicyOf, historyLimits, lagPolicyOf, lingerOf, ROUTE_DEFAULTS, type RouteOptions } from "./runtime/route-options.js";
export { LAG_POLICIES, type LagPolicy } from "./runtime/lag-policy.js";
export { RESERVED_MODULE_NAMES } from "./client/typed-client.js";
