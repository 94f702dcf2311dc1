/**
 * Errors the runtime throws at its callers (misconfiguration, misuse). Each
 * carries a stable `code` so callers can branch without matching messages.
 * Errors a *client* causes never throw: they become protocol answers.
 */
export type WsgenErrorCode =
  | "ERR_INVALID_ROUTE_NAME"
  | "ERR_DUPLICATE_ROUTE"
  | "ERR_INVALID_MODULE_NAME"
  | "ERR_DUPLICATE_MODULE"
  | "ERR_ROUTE_ALREADY_MOUNTED"
  | "ERR_INVALID_OPTION"
  | "ERR_SERVICE_FAILED"
  | "ERR_AUTHORIZE_FAILED"
  | "ERR_REQUEST_SHAPE"
  | "ERR_TOPIC_NOT_JSON"
  | "ERR_INVALID_FRAME"
  | "ERR_CLIENT_ERRORS_SUPPRESSED"
  | "ERR_INVALID_UPDATE"
  | "ERR_INVALID_REQUEST"
  | "ERR_NOT_BOUND"
  | "ERR_ZOD_VERSION"
  | "ERR_BROKER_UNAVAILABLE"
  | "ERR_BROKER_FAILED"
  | "ERR_PRODUCER_DEPOSED";

export class WsgenError extends Error {
  readonly code: WsgenErrorCode;

  constructor(code: WsgenErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WsgenError";
    this.code = code;
  }
}

/** A message for any thrown value, for replies and logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : (JSON.stringify(error) ?? String(error));
}

/** Where an error that is nobody's answer happened. */
export interface ErrorContext {
  module: string;
  where: string;
}

/** Writes an error that is nobody's answer to the console: the default `onError`. */
export function reportToConsole(error: unknown, context: ErrorContext): void {
  console.error(`[wsgen] ${context.module} ${context.where}: ${describeError(error)}`);
}
