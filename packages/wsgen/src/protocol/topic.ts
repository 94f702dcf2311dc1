/**
 * The topic builder: `route + ":" + canonical JSON of the parsed request`
 * (docs/protocol.md, "Topics").
 *
 * This is the only implementation of the rule. The server, the generated
 * client and the tests all call it, so a topic string computed anywhere names
 * the same subscription everywhere. Browser-safe: no Node imports.
 *
 * A topic is shared by every subscriber whose request names it, and each one
 * was authorized for its own request: two requests that differ must never
 * name one topic. So only JSON data is encoded (plain objects, arrays,
 * strings, finite numbers, booleans, null); anything else — a Set or a Map
 * (which `JSON.stringify` writes as `{}`), a Date, a class instance, a
 * bigint, NaN — is refused with the place it was found, never written lossily.
 */

/** The canonical JSON of `value`, or why `value` is not JSON data a topic can name. */
export type CanonicalJson = { ok: true; text: string } | { ok: false; problem: string };

/**
 * JSON with object keys sorted recursively, no spaces, arrays in order and
 * `null` kept. Object members whose value is `undefined` are left out (as
 * when absent); a top-level `undefined` (no request) is written as `null`.
 *
 * Iterative, with an explicit stack: a request nested 10,000 deep is a
 * long string, never a stack overflow.
 */
export function encodeCanonicalJson(value: unknown): CanonicalJson {
  if (value === undefined) return { ok: true, text: "null" };
  const root = encodeValue(value);
  if ("problem" in root) return { ok: false, problem: `the request is ${root.problem}` };
  if ("text" in root) return { ok: true, text: root.text };
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
    const member = top.members[index];
    const isArray = top.keys === undefined;
    // An undefined object member is the same request as an absent one; inside an array it has no JSON form.
    if (member === undefined && !isArray) continue;
    const encoded = encodeValue(member);
    if ("problem" in encoded) return { ok: false, problem: `the request holds ${encoded.problem} at ${pathOf(stack)}` };
    if (top.written) out.push(",");
    top.written = true;
    if (!isArray) out.push(`${JSON.stringify(top.keys![index])}:`);
    if ("text" in encoded) out.push(encoded.text);
    else {
      out.push(encoded.open);
      stack.push(encoded.container);
    }
  }
  return { ok: true, text: out.join("") };
}

/** `canonicalJson` as a string; throws a TypeError naming the value for anything that is not JSON data. */
export function canonicalJson(value: unknown): string {
  const encoded = encodeCanonicalJson(value);
  if (!encoded.ok) throw new TypeError(notJsonMessage(encoded.problem));
  return encoded.text;
}

/** The topic a parsed request names, or why it names none (it holds something that is not JSON data). */
export function encodeTopic(route: string, parsedRequest: unknown): { ok: true; topic: string } | { ok: false; problem: string } {
  const encoded = encodeCanonicalJson(parsedRequest);
  return encoded.ok ? { ok: true, topic: `${route}:${encoded.text}` } : { ok: false, problem: notJsonMessage(encoded.problem) };
}

/**
 * `bars:{"resolution":"1D","symbol":"AAPL"}` for route `bars` and that
 * (parsed) request. Throws a TypeError when the request holds something that
 * is not JSON data (a Set, a Map, a Date, a class instance, a bigint, NaN).
 */
export function buildTopic(route: string, parsedRequest: unknown): string {
  const built = encodeTopic(route, parsedRequest);
  if (!built.ok) throw new TypeError(built.problem);
  return built.topic;
}

function notJsonMessage(problem: string): string {
  return `${problem}, which a topic cannot name: a route's request schema must parse to JSON data (plain objects, arrays, strings, finite numbers, booleans, null)`;
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

type Encoded = { text: string } | { container: OpenContainer; open: string } | { problem: string };

/** The JSON of a scalar, a container to open, or what the value is when it is not JSON data. */
function encodeValue(value: unknown): Encoded {
  if (value === null) return { text: "null" };
  switch (typeof value) {
    case "string":
    case "boolean":
      return { text: JSON.stringify(value) };
    case "number":
      // NaN and ±Infinity would be written as null: the same topic as a null request.
      return Number.isFinite(value) ? { text: JSON.stringify(value) } : { problem: `the number ${String(value)}` };
    case "object":
      break;
    case "undefined":
      return { problem: "undefined" };
    default:
      return { problem: `a ${typeof value}` };
  }
  if (Array.isArray(value)) return { open: "[", container: { close: "]", members: value, keys: undefined, next: 0, written: false } };
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
    return { problem: typeof name === "string" && name !== "" ? `a ${name}` : "an object that is not a plain object" };
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return { open: "{", container: { close: "}", members: keys.map((key) => record[key]), keys, next: 0, written: false } };
}

/** Where the member being written sits: `accountIds`, `filters[2].ids`. */
function pathOf(stack: readonly OpenContainer[]): string {
  let path = "";
  for (const container of stack) {
    const index = container.next - 1;
    if (container.keys === undefined) path += `[${index}]`;
    else {
      const key = container.keys[index]!;
      if (!/^[A-Za-z_$][\w$]*$/.test(key)) path += `[${JSON.stringify(key)}]`;
      else path += path === "" ? key : `.${key}`;
    }
  }
  return path === "" ? "the top level" : path;
}
