/**
 * What `authenticate` answers, read in one place: a user (optionally with the
 * moment its credentials expire) or a refusal. Every falsy answer refuses —
 * `0`, `""`, `NaN` and `0n` as much as `null`, `undefined` and `false` — so a
 * hook that returns "nothing found" in any spelling never lets a caller in.
 */

const IDENTITY = Symbol("wsgen.identity");

/** A user whose credentials expire: what `authenticated(user, { expiresAt })` returns. */
export interface Authenticated<User> {
  readonly [IDENTITY]: true;
  readonly user: User;
  /** Milliseconds since the epoch; the connection is closed with 4001 then. */
  readonly expiresAt: number;
}

/** What `authenticate` may answer: a user, a user with an expiry, or anything falsy to refuse (401). */
export type AuthenticateResult<User> = User | Authenticated<User> | null | undefined | false | 0 | "";

/**
 * Wraps the user `authenticate` found with the moment its credentials stop
 * being valid (a JWT's `exp × 1000`, a session's end). The upgrade is
 * refused with 401 if that moment has passed, and an accepted connection is
 * closed with 4001 "credentials expired" when it comes, so a client
 * reconnects with fresh credentials.
 */
export function authenticated<User>(user: User, options: { expiresAt: Date | number }): Authenticated<User> {
  const expiresAt = options.expiresAt instanceof Date ? options.expiresAt.getTime() : options.expiresAt;
  return { [IDENTITY]: true, user, expiresAt };
}

/** A user the upgrade accepts, and when its credentials expire (undefined: never). */
export interface Identity<User = unknown> {
  user: User;
  expiresAt: number | undefined;
}

/** Reads an `authenticate` answer: the identity to accept, or undefined to refuse with 401. */
export function readAuthentication<User>(result: AuthenticateResult<User>, now: number = Date.now()): Identity<User> | undefined {
  if (!result) return undefined;
  if (isAuthenticated<User>(result)) {
    const { user, expiresAt } = result;
    // An expiry that is not a number, or has passed, refuses: a malformed expiry must not mean "never".
    if (!user || typeof expiresAt !== "number" || !(expiresAt > now)) return undefined;
    return { user, expiresAt };
  }
  return { user: result, expiresAt: undefined };
}

function isAuthenticated<User>(result: User | Authenticated<User>): result is Authenticated<User> {
  return typeof result === "object" && result !== null && IDENTITY in result;
}
