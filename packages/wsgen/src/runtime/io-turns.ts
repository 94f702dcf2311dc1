/**
 * IoTurns: whether the event loop has polled for I/O since a moment.
 *
 * A lag probe overdue by the clock is not yet evidence against its client:
 * if this process was busy (a long synchronous task, a GC pause), the pong
 * may be sitting unread in the kernel, and a fan-out on a timer or in the
 * check phase runs before the next poll reads it. A probe therefore counts
 * as overdue only once the loop has polled after the moment it became due.
 *
 * Two nested setImmediate callbacks are two check phases, with a complete
 * poll phase between them (one scheduled during a poll callback runs in
 * that same iteration's check phase, before any new poll). Nothing is
 * scheduled unless someone asks, so an idle or keeping-up server pays
 * nothing.
 */

/** Every poll phase that started after this moment has not been confirmed; one that started before it has. */
let polledAfter = -Infinity;
let confirming = false;

/** True when a full I/O poll has run since `moment` (performance.now() ms); else asks for the next one to be noted. */
export function polledSince(moment: number): boolean {
  if (polledAfter >= moment) return true;
  if (!confirming) {
    confirming = true;
    const askedAt = performance.now();
    setImmediate(() =>
      setImmediate(() => {
        confirming = false;
        polledAfter = askedAt;
      }),
    );
  }
  return false;
}
