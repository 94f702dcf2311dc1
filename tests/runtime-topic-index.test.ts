/** TopicIndex: which holders hold which topics, and when a topic is first taken or last released. */
import { describe, expect, it } from "vitest";
import { TopicIndex } from "../packages/wsgen/src/runtime/topic-index.js";

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
