/**
 * Calling a topic's local handlers: each update validated per handler (each
 * may have its own data schema), and each callback's exception reported
 * instead of thrown, so one failing handler neither stops the others nor
 * breaks the client's frame loop.
 *
 * @module
 */
import { asError, WsRequestError } from "./errors.js";
import type { Listener } from "./subscription.js";

/** Delivers `data` of `topic` to every listener, validated with its schema when `validate`. */
export function deliverTo(
  listeners: Iterable<Listener>,
  data: unknown,
  topic: string,
  validate: boolean,
  report: (error: Error) => void,
): void {
  for (const listener of listeners) {
    let value = data;
    if (listener.dataSchema !== undefined && validate) {
      const result = listener.dataSchema.safeParse(value);
      if (!result.success) {
        report(new WsRequestError("update", `update for ${topic} does not match the data schema`, topic, result.error.issues));
        continue;
      }
      value = result.data;
    }
    callSafely(() => listener.handler(value, topic), report);
  }
}

/** Calls `call` for every listener; an exception goes to `report`. */
export function tellEach(listeners: Iterable<Listener>, call: (listener: Listener) => void, report: (error: Error) => void): void {
  for (const listener of listeners) callSafely(() => call(listener), report);
}

function callSafely(call: () => void, report: (error: Error) => void): void {
  try {
    call();
  } catch (error) {
    report(asError(error));
  }
}
