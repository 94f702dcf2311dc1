/**
 * A timer for a moment in time rather than a delay. Node keeps delays up to
 * about 24.8 days and fires a longer one at once, while a credential may be
 * valid for a year: the timer re-arms in steps until the moment comes.
 */
import { MAX_TIMER_MS } from "./option-checks.js";

export interface DeadlineTimer {
  clear(): void;
}

/** Runs `run` at `at` (milliseconds since the epoch), or at once if it has passed. Does not keep the process alive. */
export function runAt(at: number, run: () => void): DeadlineTimer {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const delay = at - Date.now();
    if (delay <= 0) {
      run();
      return;
    }
    timer = setTimeout(arm, Math.min(delay, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}
