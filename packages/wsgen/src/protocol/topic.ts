/**
 * The topic builder: `route + ":" + canonical JSON of the parsed request`
 * (docs/protocol.md, "Topics").
 *
 * This is the only implementation of the rule. The server, the generated
 * client and the tests all call it, so a topic string computed anywhere names
 * the same subscription everywhere. Browser-safe: no Node imports.
 */

/**
 * JSON with object keys sorted recursively, no spaces, arrays in order and
 * `null` kept. Values JSON cannot represent behave as in `JSON.stringify`:
 * `undefined` object members are dropped and become `null` inside arrays.
 *
 * Iterative, with an explicit stack: a request nested 10,000 deep is a
 * long string, never a stack overflow.
 */
export function canonicalJson(value: unknown): string {
  // Top-level undefined has no JSON form; name it as null so a topic is always valid JSON.
  return encodeIteratively(value) ?? "null";
}

/** A container being written: its opening has been emitted, its members are emitted one by one. */
interface OpenContainer {
  close: "]" | "}";
  /** Array items, or the object's values in key order. */
  members: unknown[];
  /** For objects, the sorted keys, parallel to `members`. */
  keys: string[] | undefined;
  next: number;
  /** Whether a member has been written (a comma goes before the next). */
  written: boolean;
}

/** The JSON of a scalar, undefined for what JSON drops, or a container to open. */
function encodeScalar(value: unknown): { text: string | undefined } | { container: OpenContainer; open: string } {
  let current = value;
  // toJSON may return another value with toJSON; each call is a step, not a recursion.
  for (let steps = 0; steps < 100; steps++) {
    if (current === null) return { text: "null" };
    switch (typeof current) {
      case "string":
      case "boolean":
        return { text: JSON.stringify(current) };
      case "number":
        return { text: Number.isFinite(current) ? JSON.stringify(current) : "null" };
      case "bigint":
        return { text: current.toString() };
      case "undefined":
      case "function":
      case "symbol":
        return { text: undefined };
    }
    const withToJson = current as { toJSON?: () => unknown };
    if (typeof withToJson.toJSON === "function") {
      current = withToJson.toJSON();
      continue;
    }
    if (Array.isArray(current)) return { open: "[", container: { close: "]", members: current, keys: undefined, next: 0, written: false } };
    const record = current as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return { open: "{", container: { close: "}", members: keys.map((key) => record[key]), keys, next: 0, written: false } };
  }
  throw new RangeError("toJSON returned values with toJSON more than 100 times");
}

function encodeIteratively(value: unknown): string | undefined {
  const root = encodeScalar(value);
  if ("text" in root) return root.text;
  const out: string[] = [root.open];
  const stack: OpenContainer[] = [root.container];
  while (stack.length > 0) {
    const top = stack.at(-1)!;
    if (top.next === top.members.length) {
      out.push(top.close);
      stack.pop();
      continue;
    }
    const index = top.next++;
    const encoded = encodeScalar(top.members[index]);
    const isArray = top.keys === undefined;
    // Object members JSON cannot represent are dropped; inside arrays they are null.
    if ("text" in encoded && encoded.text === undefined && !isArray) continue;
    if (top.written) out.push(",");
    top.written = true;
    if (!isArray) out.push(`${JSON.stringify(top.keys![index])}:`);
    if ("text" in encoded) out.push(encoded.text ?? "null");
    else {
      out.push(encoded.open);
      stack.push(encoded.container);
    }
  }
  return out.join("");
}

/** `bars:{"resolution":"1D","symbol":"AAPL"}` for route `bars` and that (parsed) request. */
export function buildTopic(route: string, parsedRequest: unknown): string {
  return `${route}:${canonicalJson(parsedRequest)}`;
}
