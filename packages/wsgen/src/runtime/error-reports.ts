/**
 * Which errors met on connections reach `onError` (docs/runtime.md,
 * "Reporting errors a connection causes").
 *
 * Per connection, one error of each kind — its code and where it happened —
 * is reported and repeats are only counted. That alone does not stop one
 * client that reconnects in a loop, each new connection bringing a fresh
 * "first", so errors a client causes (a request over the shape limits, a
 * frame that breaks the protocol) also share one budget across the whole
 * app: `clientErrorReportsPerMinute`. Past it they are counted and one
 * `ERR_CLIENT_ERRORS_SUPPRESSED` report per module a minute later says how
 * many were held back. Failures of the server's own code (a throwing
 * service or `authorize` hook) are never held by the budget: an operator
 * must see them.
 */
import { WsgenError, type ErrorContext, type WsgenErrorCode } from "./errors.js";
import { TokenBucket } from "./token-bucket.js";

/** Codes of errors a client causes by what it sends; every other error is the server's. */
const CLIENT_CAUSED: ReadonlySet<WsgenErrorCode> = new Set<WsgenErrorCode>(["ERR_REQUEST_SHAPE", "ERR_INVALID_FRAME"]);

/** How often the held-back count is reported, and the window the budget is stated in. */
const SUMMARY_INTERVAL_MS = 60_000;

/** The stable kind of an error for de-duplication: its code (when it has one) and where it happened. */
export function errorKind(error: unknown, context: ErrorContext): string {
  const code = (error as { code?: unknown } | null)?.code;
  return `${typeof code === "string" ? code : "unknown"} at ${context.where}`;
}

function isClientCaused(error: unknown): boolean {
  return error instanceof WsgenError && CLIENT_CAUSED.has(error.code);
}

/** The app-wide budget for reports of client-caused errors, and the summary of those it held back. */
export class ClientErrorBudget {
  readonly #bucket: TokenBucket | undefined;
  readonly #report: (error: unknown, context: ErrorContext) => void;
  /** Held-back reports per module since the last summary. */
  readonly #held = new Map<string, number>();
  #summary: NodeJS.Timeout | undefined;

  /** `perMinute` 0 passes no client-caused error on, only the summaries. */
  constructor(perMinute: number, report: (error: unknown, context: ErrorContext) => void) {
    this.#bucket = perMinute > 0 ? new TokenBucket({ perSecond: perMinute / 60, burst: perMinute }) : undefined;
    this.#report = report;
  }

  /** Whether `error` may be reported now; false when it is client-caused and the budget is spent (it is then held). */
  admit(error: unknown, context: ErrorContext): boolean {
    if (!isClientCaused(error)) return true;
    if (this.#bucket?.take() === true) return true;
    this.#held.set(context.module, (this.#held.get(context.module) ?? 0) + 1);
    if (this.#summary === undefined) {
      this.#summary = setTimeout(() => this.flush(), SUMMARY_INTERVAL_MS);
      // A pending summary must not keep a process alive that has nothing else to do.
      this.#summary.unref();
    }
    return false;
  }

  /** Reports how many client-caused errors were held back per module since the last summary (on a timer, and on close). */
  flush(): void {
    if (this.#summary !== undefined) clearTimeout(this.#summary);
    this.#summary = undefined;
    for (const [module, count] of this.#held) {
      const message = `${count} error(s) caused by clients not reported (over clientErrorReportsPerMinute); app.stats() counts them in errorsNotLogged`;
      this.#report(new WsgenError("ERR_CLIENT_ERRORS_SUPPRESSED", message), { module, where: "client errors" });
    }
    this.#held.clear();
  }
}
