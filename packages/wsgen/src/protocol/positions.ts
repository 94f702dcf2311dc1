/**
 * Stream positions (docs/protocol.md, "Delivery"): every topic is a stream
 * whose updates carry `seq` (1 for the first update, +1 for each after it)
 * and `epoch` (an opaque string that changes whenever the stream's
 * continuity is lost). The rules that compare a position a subscriber holds
 * with the next one it sees live here only, so the server, the client and
 * the tests cannot disagree about what a gap is.
 *
 * Browser-safe: no Node imports.
 */

/** Where a subscriber is in a topic's stream: the last update it holds (`seq: 0` before the first). */
export interface StreamPosition {
  readonly epoch: string;
  readonly seq: number;
}

/**
 * What an update at `next` means to a subscriber that holds `held`:
 * - `next`: the one right after it, to be applied;
 * - `duplicate`: one it already holds (or an older one), to be dropped;
 * - `gap`: `missed` updates (≥ 1) were skipped between the two;
 * - `epoch`: another stream altogether; nothing about continuity can be said.
 */
export type PositionStep =
  | { readonly kind: "next" }
  | { readonly kind: "duplicate" }
  | { readonly kind: "gap"; readonly missed: number }
  | { readonly kind: "epoch" };

const NEXT: PositionStep = { kind: "next" };
const DUPLICATE: PositionStep = { kind: "duplicate" };
const EPOCH: PositionStep = { kind: "epoch" };

/** Classifies the update at `next` for a subscriber that holds `held`. */
export function stepFrom(held: StreamPosition, next: StreamPosition): PositionStep {
  if (held.epoch !== next.epoch) return EPOCH;
  if (next.seq === held.seq + 1) return NEXT;
  if (next.seq <= held.seq) return DUPLICATE;
  return { kind: "gap", missed: next.seq - held.seq - 1 };
}

/** True when `next` follows `held` directly in the same epoch. */
export const isNext = (held: StreamPosition, next: StreamPosition): boolean => stepFrom(held, next).kind === "next";

/** True when a subscriber holding `held` already holds `next`. */
export const isDuplicate = (held: StreamPosition, next: StreamPosition): boolean => stepFrom(held, next).kind === "duplicate";

/** How many updates were skipped between `held` and `next` (0 when none or another epoch). */
export function gapBetween(held: StreamPosition, next: StreamPosition): number {
  const step = stepFrom(held, next);
  return step.kind === "gap" ? step.missed : 0;
}

/** True when `next` belongs to another stream than `held`. */
export const epochChanged = (held: StreamPosition, next: StreamPosition): boolean => held.epoch !== next.epoch;

/**
 * Why a resubscribe's `since` could not be recovered (`recovered: false`):
 * - `epoch`: the stream is another one (server restart, history gone, topic re-created);
 * - `trimmed`: updates after `since` fell out of the history's size or byte bound;
 * - `expired`: updates after `since` outlived the history's age bound;
 * - `ahead`: `since` is past the stream's last update, which no subscriber can hold;
 * - `too_large`: the replay would not fit in what the connection may still buffer
 *   (its high-water mark), and a replay is never sent in part.
 */
export const RECOVERY_FAILURE_REASONS = ["epoch", "trimmed", "expired", "ahead", "too_large"] as const;
export type RecoveryFailureReason = (typeof RECOVERY_FAILURE_REASONS)[number];

/** Longest `epoch` a client may send back; the server's own are far shorter. */
export const MAX_EPOCH_LENGTH = 64;

/**
 * Checks a `since` a client sent: undefined when it is a valid position,
 * otherwise what is wrong with it, in words a client author can act on.
 */
export function positionProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return 'must be an object {"epoch": string, "seq": integer}';
  }
  const { epoch, seq } = value as Record<string, unknown>;
  if (typeof epoch !== "string" || epoch.length === 0 || epoch.length > MAX_EPOCH_LENGTH) {
    return `"epoch" must be a non-empty string of at most ${MAX_EPOCH_LENGTH} characters, as received in an update`;
  }
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) {
    return '"seq" must be an integer of at least 0, as received in an update';
  }
  const extra = Object.keys(value).filter((key) => key !== "epoch" && key !== "seq");
  if (extra.length > 0) return `has unknown keys ${extra.map((key) => JSON.stringify(key)).join(", ")}; send only "epoch" and "seq"`;
  return undefined;
}
