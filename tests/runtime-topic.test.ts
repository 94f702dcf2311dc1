/** Topic strings: buildTopic over the parsed request, and the canonical JSON it is made of. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildTopic } from "wsgen";
import { canonicalJson } from "../packages/wsgen/src/protocol/topic.js";
import { BarSubscriptionRequest } from "./support/fixtures.js";

describe("buildTopic", () => {
  it("builds the docs/protocol.md example from the parsed request", () => {
    const request = BarSubscriptionRequest.parse({ symbol: "AAPL", resolution: "1D" });
    expect(buildTopic("bars", request)).toBe('bars:{"resolution":"1D","symbol":"AAPL"}');
  });

  it("applies defaults and strips unknown keys because it takes the parsed request", () => {
    const request = BarSubscriptionRequest.parse({ symbol: "AAPL", extra: true });
    expect(buildTopic("bars", request)).toBe('bars:{"resolution":"1D","symbol":"AAPL"}');
  });

  it("sorts keys recursively, keeps arrays in order and null as null, with no spaces", () => {
    expect(canonicalJson({ b: [3, { z: 1, a: null }], a: { y: "x y", c: true } })).toBe(
      '{"a":{"c":true,"y":"x y"},"b":[3,{"a":null,"z":1}]}',
    );
    expect(canonicalJson({ skip: undefined, keep: 1 })).toBe('{"keep":1}');
  });

  it("is the same for any key order and parses back to the same value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const shuffled = JSON.parse(JSON.stringify(value, (_key, inner: unknown) => reverseKeys(inner))) as unknown;
        const text = canonicalJson(value);
        expect(canonicalJson(shuffled)).toBe(text);
        expect(text.length).toBe(JSON.stringify(value).length); // same members, no added spaces
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });
});

function reverseKeys(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).reverse());
}
