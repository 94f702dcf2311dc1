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
 */
export function canonicalJson(value: unknown): string {
  const text = encode(value);
  // Top-level undefined has no JSON form; name it as null so a topic is always valid JSON.
  return text ?? "null";
}

function encode(value: unknown): string | undefined {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "bigint":
      return value.toString();
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === "function") return encode(withToJson.toJSON());
  if (Array.isArray(value)) {
    return `[${value.map((item) => encode(item) ?? "null").join(",")}]`;
  }
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const encoded = encode(record[key]);
    if (encoded !== undefined) members.push(`${JSON.stringify(key)}:${encoded}`);
  }
  return `{${members.join(",")}}`;
}

/** `bars:{"resolution":"1D","symbol":"AAPL"}` for route `bars` and that (parsed) request. */
export function buildTopic(route: string, parsedRequest: unknown): string {
  return `${route}:${canonicalJson(parsedRequest)}`;
}
