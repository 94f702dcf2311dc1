/**
 * Fan-out: writes one drained batch of encoded updates to the holders of
 * their topics. Consecutive updates of one topic are joined into one run, and
 * each holder gets all of its runs in one write, in publish order — the usual
 * case, one topic bursting, is one write per holder per batch.
 */
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
}

export interface EncodedUpdate {
  topic: string;
  frame: EncodedFrames;
}

/** Writes `updates` in order to `holders(topic)` of each; returns how many frames were written in all. */
export function fanOut(updates: readonly EncodedUpdate[], holders: (topic: string) => Iterable<Subscriber>): number {
  const runs: { topic: string; frames: EncodedFrames[] }[] = [];
  for (const { topic, frame } of updates) {
    const last = runs.at(-1);
    if (last?.topic === topic) last.frames.push(frame);
    else runs.push({ topic, frames: [frame] });
  }
  let written = 0;
  if (runs.length === 1) {
    const { topic, frames } = runs[0]!;
    const joined = [joinFrames(frames)];
    for (const holder of holders(topic)) written += holder.writeFrames(joined);
    return written;
  }
  // Several topics interleaved: gather each holder's runs in order, then hand them over together.
  const perHolder = new Map<Subscriber, EncodedFrames[]>();
  for (const { topic, frames } of runs) {
    const joined = joinFrames(frames);
    for (const holder of holders(topic)) {
      const pending = perHolder.get(holder);
      if (pending === undefined) perHolder.set(holder, [joined]);
      else pending.push(joined);
    }
  }
  for (const [holder, pending] of perHolder) written += holder.writeFrames(pending);
  return written;
}
