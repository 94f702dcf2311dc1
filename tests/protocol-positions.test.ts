/**
 * The position rules of protocol/positions.ts, which the server, the client
 * and the tests share: what an update at one position means to a subscriber
 * holding another, and which `since` values a subscribe may carry.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  epochChanged,
  gapBetween,
  isDuplicate,
  isNext,
  positionProblem,
  stepFrom,
  type StreamPosition,
} from "../packages/wsgen/src/protocol/positions.js";

const epoch = fc.constantFrom("a.1", "a.2", "b.1");
const seq = fc.integer({ min: 0, max: 1_000_000 });
const position = fc.record({ epoch, seq });

describe("position rules", () => {
  it("classify every pair of positions as exactly one of next, duplicate, gap or epoch", () => {
    fc.assert(
      fc.property(position, position, (held, next) => {
        const step = stepFrom(held, next);
        const kinds = [isNext(held, next), isDuplicate(held, next), gapBetween(held, next) > 0, epochChanged(held, next)];
        expect(kinds.filter(Boolean)).toHaveLength(1);
        if (held.epoch !== next.epoch) expect(step).toEqual({ kind: "epoch" });
        else if (next.seq === held.seq + 1) expect(step).toEqual({ kind: "next" });
        else if (next.seq <= held.seq) expect(step).toEqual({ kind: "duplicate" });
        else expect(step).toEqual({ kind: "gap", missed: next.seq - held.seq - 1 });
      }),
    );
  });

  it("count a stream's skipped updates: applying what arrives, the gaps add up to what was not received", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 200 }), (delivered) => {
        // Updates 1..n of one stream, each delivered or skipped, then possibly a duplicate of the last.
        let held: StreamPosition = { epoch: "e", seq: 0 };
        let missed = 0;
        delivered.forEach((arrives, index) => {
          if (!arrives) return;
          const next = { epoch: "e", seq: index + 1 };
          missed += gapBetween(held, next);
          expect(isDuplicate(next, held)).toBe(true);
          held = next;
        });
        const lastDelivered = delivered.lastIndexOf(true) + 1;
        expect(missed).toBe(delivered.slice(0, lastDelivered).filter((arrives) => !arrives).length);
      }),
    );
  });

  it("accept as `since` exactly {epoch: non-empty string, seq: safe integer ≥ 0}", () => {
    expect(positionProblem({ epoch: "x.1", seq: 0 })).toBeUndefined();
    expect(positionProblem({ epoch: "x.1", seq: 42 })).toBeUndefined();
    for (const bad of [null, 7, "x", [], {}, { epoch: "", seq: 1 }, { epoch: 1, seq: 1 }, { epoch: "x".repeat(65), seq: 1 }]) {
      expect(positionProblem(bad), JSON.stringify(bad)).toMatch(/epoch|object/);
    }
    for (const bad of [
      { epoch: "x", seq: -1 },
      { epoch: "x", seq: 1.5 },
      { epoch: "x", seq: "1" },
      { epoch: "x", seq: 2 ** 60 },
    ]) {
      expect(positionProblem(bad), JSON.stringify(bad)).toMatch(/"seq"/);
    }
    expect(positionProblem({ epoch: "x", seq: 1, offset: 2 })).toMatch(/unknown keys "offset"/);
  });
});
