/**
 * The messages of a topic's channels, as the publish script writes them
 * (scripts.ts). Updates travel as bytes: `b1:<epoch>:<first seq>:<n>:<gap>:`
 * then, for each, `<byte length>:<JSON>`; no payload is escaped or parsed on
 * the way. Control messages are short text: `x:live`, `x:failed:<why>`,
 * `x:free`, `x:reset:<epoch>` on the topic's channel, `unheld` and
 * `deposed:<token>` on its producer's.
 */

/** Updates positioned by one publish: seqs `first`…`first + n - 1`, after `gap` skipped ones. */
export interface PublishedBatch {
  readonly kind: "updates";
  readonly epoch: string;
  readonly first: number;
  readonly gap: number;
  readonly payloads: readonly Buffer[];
}

export type ChannelMessage =
  | PublishedBatch
  | { readonly kind: "live" }
  | { readonly kind: "failed"; readonly why: string }
  | { readonly kind: "free" }
  | { readonly kind: "reset"; readonly epoch: string }
  | { readonly kind: "unheld" }
  | { readonly kind: "deposed"; readonly token: string };

const COLON = 0x3a;

/** Parses a channel message; undefined for one this version does not know (ignored, never fatal). */
export function parseChannelMessage(message: Buffer): ChannelMessage | undefined {
  if (message[0] === 0x62 && message[1] === 0x31 && message[2] === COLON) return parseBatch(message);
  const text = message.toString();
  if (text === "x:live") return { kind: "live" };
  if (text === "x:free") return { kind: "free" };
  if (text === "unheld") return { kind: "unheld" };
  if (text.startsWith("x:failed:")) return { kind: "failed", why: text.slice("x:failed:".length) };
  if (text.startsWith("x:reset:")) return { kind: "reset", epoch: text.slice("x:reset:".length) };
  if (text.startsWith("deposed:")) return { kind: "deposed", token: text.slice("deposed:".length) };
  return undefined;
}

function parseBatch(message: Buffer): PublishedBatch | undefined {
  let at = 3;
  const field = (): string | undefined => {
    const end = message.indexOf(COLON, at);
    if (end === -1) return undefined;
    const value = message.toString("latin1", at, end);
    at = end + 1;
    return value;
  };
  const epoch = field();
  const first = Number(field());
  const n = Number(field());
  const gap = Number(field());
  if (epoch === undefined || !Number.isSafeInteger(first) || !Number.isSafeInteger(n) || !Number.isSafeInteger(gap)) return undefined;
  const payloads: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const length = Number(field());
    if (!Number.isSafeInteger(length) || at + length > message.length) return undefined;
    payloads.push(message.subarray(at, at + length));
    at += length;
  }
  return { kind: "updates", epoch, first, gap, payloads };
}
