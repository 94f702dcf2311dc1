import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { buildTopic, canonicalJson, TopicIndex, topicRoute, UpdateQueue } from "wsgen";
import { BarSubscriptionRequest } from "./support/fixtures.js";
import { eventually } from "./support/server.js";

describe("buildTopic", () => {
  it("builds the DESIGN.md example from the parsed request", () => {
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
    expect(topicRoute('quotes:{"symbols":["A:B"]}')).toBe("quotes");
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

describe("TopicIndex", () => {
  it("counts a holder once per topic and reports first and last", () => {
    const index = new TopicIndex<string>();
    expect(index.add("t", "a")).toBe(true);
    expect(index.add("t", "a")).toBe(false);
    expect(index.add("t", "b")).toBe(false);
    expect(index.subscriptionCount).toBe(2);
    expect(index.delete("t", "a")).toBe(false);
    expect(index.delete("t", "a")).toBe(false);
    expect(index.delete("t", "b")).toBe(true);
    expect(index.topicCount).toBe(0);
  });

  it("releases every topic of a dropped holder and reports the emptied ones", () => {
    const index = new TopicIndex<string>();
    index.add("x", "a");
    index.add("y", "a");
    index.add("y", "b");
    expect(index.deleteHolder("a")).toEqual(["x"]);
    expect([...index.holders("y")]).toEqual(["b"]);
    expect(index.topicsOf("a").size).toBe(0);
  });
});

describe("UpdateQueue", () => {
  it("drops the oldest items when full, counts them and never throws", async () => {
    const batches: number[][] = [];
    const queue = new UpdateQueue<number>({ capacity: 3, deliver: (items) => batches.push([...items]) });
    for (let i = 1; i <= 10; i++) expect(queue.push(i)).toBe(true);
    expect(queue.size).toBe(3);
    expect(queue.dropped).toBe(7);
    await new Promise((resolve) => setImmediate(resolve));
    // One synchronous burst drains as one batch, oldest first.
    expect(batches).toEqual([[8, 9, 10]]);
    queue.push(11);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[8, 9, 10], [11]]);
  });

  it("reports a batch whose delivery throws, keeps delivering later ones, and refuses items once closed", () => {
    const onDeliverError = vi.fn();
    const delivered: number[] = [];
    const queue = new UpdateQueue<number>({
      deliver: (items) => {
        if (items.includes(2)) throw new Error("boom");
        delivered.push(...items);
      },
      onDeliverError,
    });
    queue.push(1);
    queue.push(2);
    queue.drain();
    expect(onDeliverError).toHaveBeenCalledExactlyOnceWith(expect.any(Error), [1, 2]);
    queue.push(3);
    queue.drain();
    expect(delivered).toEqual([3]);
    expect(queue.size).toBe(0);
    queue.close();
    expect(queue.push(4)).toBe(false);
  });

  it("drains an idle queue at once and holds items pushed within batchWindowMs of the last drain", async () => {
    const drains: { at: number; items: number[] }[] = [];
    const queue = new UpdateQueue<number>({
      batchWindowMs: 40,
      deliver: (items) => drains.push({ at: performance.now(), items: [...items] }),
    });
    queue.push(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(drains.map((drain) => drain.items)).toEqual([[1]]);
    queue.push(2);
    await new Promise((resolve) => setImmediate(resolve));
    queue.push(3);
    expect(drains).toHaveLength(1);
    await eventually(() => drains.length === 2, 2_000, "the held batch");
    expect(drains[1]!.items).toEqual([2, 3]);
    // Only a lower bound: timers fire late on a busy machine, and at most about 1 ms early (libuv keeps a millisecond loop clock).
    expect(drains[1]!.at - drains[0]!.at).toBeGreaterThanOrEqual(37);
    expect(() => new UpdateQueue({ batchWindowMs: -1, deliver: () => undefined })).toThrow(/batchWindowMs/);
  });

  it("cancels a pending batch-window timer on close, so a closed queue does not keep the process alive", async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === "Timeout").length;
    const delivered: number[] = [];
    const queue = new UpdateQueue<number>({ batchWindowMs: 1_000, deliver: (items) => delivered.push(...items) });
    queue.push(1);
    await new Promise((resolve) => setImmediate(resolve));
    const before = timers();
    queue.push(2); // inside the window: held on a timer
    expect(timers()).toBe(before + 1);
    queue.close();
    expect(timers()).toBe(before);
    expect(delivered).toEqual([1]);
  });

  it("rejects a capacity that is not a positive integer", () => {
    expect(() => new UpdateQueue({ capacity: 0, deliver: () => undefined })).toThrow(/positive integer/);
  });
});
