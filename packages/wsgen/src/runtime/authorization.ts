/**
 * Per-subscription authorization: the hooks a module and a route declare,
 * asked on every subscribe (not only a topic's first, as `createTopic` is),
 * with the authenticated user, the route, the parsed request and its topic.
 * Only `true` admits; a string refuses with that message, anything else
 * (`false`, a forgotten `return`) refuses with a default one. The refusal
 * is answered `code: "forbidden"` and keeps nothing.
 *
 * Subscribes run one at a time per connection, so a hook that never answers
 * would hold every later operation of its connection: the hooks get
 * `authorizeTimeout` in all, after which the subscribe fails as if they threw.
 */

/** What an `authorize` hook sees of one subscribe. */
export interface SubscribeAttempt<User, Req> {
  /** What `authenticate` returned (`null` when the app has no `authenticate`). */
  user: User;
  module: string;
  route: string;
  /** The topic the request names. */
  topic: string;
  /** The request after zod parsing (defaults applied, unknown keys stripped). */
  request: Req;
}

/** `true` admits; `false` or a refusal message refuses. */
export type AuthorizeResult = boolean | string;

/** Decides whether `attempt.user` may subscribe; may be async. A throw refuses, answered `internal_error` and reported. */
export type AuthorizeHook<User, Req = unknown> = (attempt: SubscribeAttempt<User, Req>) => AuthorizeResult | Promise<AuthorizeResult>;

/** The verdict of every hook that applies: admitted, or refused with a message. */
export type AuthorizationVerdict = { admitted: true } | { admitted: false; message: string };

/**
 * Asks each hook in turn (the module's before the route's); the first
 * refusal decides. Rejects when a hook throws, or when they have not
 * decided within `timeoutMs` (0: no limit).
 */
export async function authorizeSubscribe<User, Req>(
  hooks: readonly AuthorizeHook<User, Req>[],
  attempt: SubscribeAttempt<User, Req>,
  timeoutMs = 0,
): Promise<AuthorizationVerdict> {
  if (timeoutMs === 0) return askInTurn(hooks, attempt);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms (authorizeTimeout)`)), timeoutMs);
  });
  try {
    return await Promise.race([askInTurn(hooks, attempt), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function askInTurn<User, Req>(
  hooks: readonly AuthorizeHook<User, Req>[],
  attempt: SubscribeAttempt<User, Req>,
): Promise<AuthorizationVerdict> {
  for (const hook of hooks) {
    const result: unknown = await hook(attempt);
    if (result === true) continue;
    const message = typeof result === "string" && result !== "" ? result : `not authorized to subscribe to ${attempt.topic}`;
    return { admitted: false, message };
  }
  return { admitted: true };
}
