/**
 * Fan-out: writes one drained batch of encoded updates to the holders of
 * their topics. Consecutive updates of one topic are joined into one run, and
 * each holder gets all of its runs in one write, in publish order — the usual
 * case, one topic bursting, is one write per holder per batch. A holder that
 * is lagging is offered its runs' updates to hold back instead (lag-policy.ts).
 */
import type { StreamPosition } from "../protocol/positions.js";
import type { LagSignal } from "./delivery-lag.js";
import { joinFrames, type EncodedFrames } from "./frame.js";

/** What fan-out writes to (a connection): an identity and a way to write encoded frames. */
export interface Subscriber {
  readonly id: string;
  /**
   * Writes runs of frames encoded once for every holder, in order; returns how
   * many frames were written. `owed`: frames a subscribe answer promised (its
   * replay, already bounded by `sendRoom`), written whatever the slow-consumer policy.
   */
  writeFrames(runs: readonly EncodedFrames[], owed?: boolean): number;
  /**
   * Bytes it may still be sent before it counts as a slow consumer (may be
   * below 0), which bounds a replay; undefined for one without a send buffer.
   */
  readonly sendRoom?: number;
  /** Its delivery lag; undefined for one that never lags. */
  readonly lag?: LagSignal;
}

export interface EncodedUpdate {
  topic: string;
  frame: EncodedFrames;
  position: StreamPosition;
}

/** Asked before a holder is written a topic's updates: true when it took them instead (the holder is lagging). */
export type HoldBack = (holder: Subscriber, topic: string, updates: readonly EncodedUpdate[]) => boolean;

interface Run {
  topic: string;
  updates: EncodedUpdate[];
  joined?: EncodedFrames;
}

/** Writes `updates` in order to `holders(topic)` of each; returns how many frames were written in all. */
export function fanOut(updates: readonly EncodedUpdate[], holders: (topic: string) => Iterable<Subscriber>, holdBack: HoldBack): number {
  const runs: Run[] = [];
  for (const update of updates) {
    const last = runs.at(-1);
    if (last?.topic === update.topic) last.updates.push(update);
    else runs.push({ topic: update.topic, updates: [update] });
  }
  const joined = (run: Run): EncodedFrames => (run.joined ??= joinFrames(run.updates.map((update) => update.frame)));
  let written = 0;
  if (runs.length === 1) {
    const run = runs[0]!;
    for (const holder of holders(run.topic)) {
      if (!holdBack(holder, run.topic, run.updates)) written += holder.writeFrames([joined(run)]);
    }
    return written;
  }
  // Several topics interleaved: gather each holder's runs in order, then hand them over together.
  const perHolder = new Map<Subscriber, EncodedFrames[]>();
  for (const run of runs) {
    for (const holder of holders(run.topic)) {
      if (holdBack(holder, run.topic, run.updates)) continue;
      const pending = perHolder.get(holder);
      if (pending === undefined) perHolder.set(holder, [joined(run)]);
      else pending.push(joined(run));
    }
  }
  for (const [holder, pending] of perHolder) written += holder.writeFrames(pending);
  return written;
}
