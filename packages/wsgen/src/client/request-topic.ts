/**
 * The topic a subscribe request names, computed on the client as the server
 * computes it: the request parsed with the route's request schema (defaults,
 * stripping), then the shared topic builder. A request the server would
 * refuse (invalid_request) is refused here, before anything is sent.
 *
 * @module
 */
import { operationType } from "../protocol/messages.js";
import { encodeTopic } from "../protocol/topic.js";
import { WsRequestError } from "./errors.js";
import type { SchemaLike } from "./subscription.js";

/** The topic of `request` on `route`; throws WsRequestError (with the zod issues) for a request the server would refuse. */
export function requestTopic<Req>(route: string, request: unknown, requestSchema: SchemaLike<Req> | undefined): string {
  let parsed: unknown = request;
  if (requestSchema !== undefined) {
    const result = requestSchema.safeParse(request);
    if (!result.success) throw new WsRequestError(operationType(route, "subscribe"), "invalid request", "", result.error.issues);
    parsed = result.data;
  }
  const built = encodeTopic(route, parsed);
  if (!built.ok) throw new WsRequestError(operationType(route, "subscribe"), `invalid request: ${built.problem}`, "");
  return built.topic;
}
