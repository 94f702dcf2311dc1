/**
 * Frame: WebSocket text frames encoded once, for every subscriber.
 *
 * `ws` builds a frame header per `send` and writes header and payload as two
 * chunks; for a fan-out to N sockets that is N headers and N two-chunk writes
 * of the same bytes. Encoding the whole frame once (RFC 6455 §5.2: FIN, text
 * opcode, unmasked because servers must not mask) lets every subscriber get
 * one `write` of a shared Buffer, and several updates queued for the same
 * holders travel as one Buffer holding consecutive frames.
 */

/** Complete frames, ready to be written as they are to any number of sockets. */
export interface EncodedFrames {
  /** Every frame, back to back. */
  readonly bytes: Buffer;
  /** The same frames one by one (the original buffers, no copy), for writing up to a limit and for counting. */
  readonly frames: readonly Buffer[];
}

const FIN_TEXT = 0x81;

/** Encodes `text` (JSON) as one final, unmasked text frame, writing the UTF-8 straight into the frame. */
export function encodeTextFrame(text: string): EncodedFrames {
  return encodeInto((size) => Buffer.allocUnsafe(size), text);
}

/**
 * The same for a frame that is kept (an update, in its topic's history): in
 * its own memory, not a slice of Node's shared 8 KiB pool, whose whole slab a
 * kept 100-byte slice would hold alive. Once per update, not per subscriber;
 * short-lived frames (replies) stay pooled.
 */
export function encodeRetainedTextFrame(text: string): EncodedFrames {
  return encodeInto((size) => Buffer.allocUnsafeSlow(size), text);
}

/** A kept frame (as encodeRetainedTextFrame) whose text is `before`, then `middle`'s bytes (UTF-8 JSON already), then `after`. */
export function encodeRetainedFrameAround(before: string, middle: Buffer, after: string): EncodedFrames {
  const head = Buffer.byteLength(before);
  const length = head + middle.length + Buffer.byteLength(after);
  const { bytes, headerLength } = frameOf(length, (size) => Buffer.allocUnsafeSlow(size));
  bytes.write(before, headerLength);
  middle.copy(bytes, headerLength + head);
  bytes.write(after, headerLength + head + middle.length);
  return { bytes, frames: [bytes] };
}

function encodeInto(allocate: (size: number) => Buffer, text: string): EncodedFrames {
  const { bytes, headerLength } = frameOf(Buffer.byteLength(text), allocate);
  bytes.write(text, headerLength);
  return { bytes, frames: [bytes] };
}

/** A buffer for one text frame of `length` payload bytes, its header written. */
function frameOf(length: number, allocate: (size: number) => Buffer): { bytes: Buffer; headerLength: number } {
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const bytes = allocate(headerLength + length);
  bytes[0] = FIN_TEXT;
  if (length < 126) {
    bytes[1] = length;
  } else if (length < 65_536) {
    bytes[1] = 126;
    bytes.writeUInt16BE(length, 2);
  } else {
    bytes[1] = 127;
    // 64-bit length; a JS Buffer never exceeds 2^53, so the high word comes from a division.
    bytes.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    bytes.writeUInt32BE(length >>> 0, 6);
  }
  return { bytes, headerLength };
}

/** Joins encoded frames, in order, into one buffer (no copy for a single one). */
export function joinFrames(runs: readonly EncodedFrames[]): EncodedFrames {
  if (runs.length === 1) return runs[0]!;
  const frames = runs.flatMap((run) => run.frames);
  return { bytes: Buffer.concat(runs.map((run) => run.bytes)), frames };
}
