/**
 * Topic strings: buildTopic over the parsed request, and the canonical JSON
 * it is made of; a parsed request that is not JSON data names no topic.
 */
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

describe("what a topic cannot name", () => {
  class Account {
    constructor(readonly id: string) {}
  }
  it.each([
    ["a Set", { ids: new Set(["A-1"]) }, /holds a Set at ids/],
    ["a Map", { byId: new Map([["A-1", 1]]) }, /holds a Map at byId/],
    ["a Date", { since: new Date(0) }, /holds a Date at since/],
    ["a class instance", { filters: [{ account: new Account("A-1") }] }, /holds a Account at filters\[0\]\.account/],
    ["a bigint", { n: 1n }, /holds a bigint at n/],
    ["NaN", { price: Number.NaN }, /holds the number NaN at price/],
    ["Infinity", { price: Number.POSITIVE_INFINITY }, /holds the number Infinity at price/],
    ["undefined in an array", { ids: ["A-1", undefined] }, /holds undefined at ids\[1\]/],
    ["a function", { f: () => 1 }, /holds a function at f/],
    ["a Set at the top level", new Set(), /the request is a Set/],
  ])("refuses %s, naming where it is, instead of writing it lossily", (_name, request, message) => {
    expect(() => buildTopic("orders", request)).toThrow(TypeError);
    expect(() => buildTopic("orders", request)).toThrow(message);
  });

  it("tells two Sets apart by refusing both (JSON.stringify would write each as {})", () => {
    expect(JSON.stringify({ ids: new Set(["A-1"]) })).toBe(JSON.stringify({ ids: new Set(["B-1"]) }));
    expect(() => buildTopic("orders", { ids: new Set(["A-1"]) })).toThrow(/a topic cannot name/);
  });

  it("still takes JSON data: plain and null-prototype objects, undefined members left out as if absent", () => {
    expect(buildTopic("r", Object.assign(Object.create(null) as object, { b: 1, a: undefined }))).toBe('r:{"b":1}');
    expect(buildTopic("r", undefined)).toBe("r:null");
  });
});

function reverseKeys(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).reverse());
}
