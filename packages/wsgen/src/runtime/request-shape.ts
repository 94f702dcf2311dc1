/**
 * Bounds on a request's shape, checked before the route's schema sees it:
 * how deep objects and arrays nest and how many members (object keys and
 * array items) the whole request holds. A 64 KiB frame can nest 30,000
 * levels or hold 30,000 keys; schemas that accept open shapes
 * (`z.unknown()`, records, loose objects) would pass that on to the topic
 * builder and the service. The walk is iterative, so no shape can exhaust
 * the stack.
 */

/** The limits, as `WsAppOptions` names them. */
export interface RequestShapeLimits {
  /** Deepest nesting of objects and arrays; a scalar or `{}` is depth 0, `{"a":{}}` depth 1. */
  maxRequestDepth: number;
  /** Most object keys plus array items in the whole request. */
  maxRequestKeys: number;
}

/** The defaults of the limits (`APP_DEFAULTS` takes them from here). */
export const REQUEST_SHAPE_DEFAULTS = { maxRequestDepth: 32, maxRequestKeys: 1_000 } as const satisfies RequestShapeLimits;

/** Why `value` breaks the limits, or undefined when it keeps them. */
export function requestShapeProblem(value: unknown, limits: RequestShapeLimits): string | undefined {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  let members = 0;
  while (pending.length > 0) {
    const { value: current, depth } = pending.pop()!;
    if (typeof current !== "object" || current === null) continue;
    const children: unknown[] = Array.isArray(current) ? current : Object.values(current);
    if (children.length === 0) continue;
    if (depth + 1 > limits.maxRequestDepth) return `request nests deeper than ${limits.maxRequestDepth} levels`;
    members += children.length;
    if (members > limits.maxRequestKeys) return `request holds more than ${limits.maxRequestKeys} keys and array items`;
    for (const child of children) pending.push({ value: child, depth: depth + 1 });
  }
  return undefined;
}
