/**
 * Frames encoded once for every subscriber (src/runtime/frame.ts): decoded
 * by ws's own Receiver at every header size, also when joined into one
 * buffer. Their delivery over sockets is in runtime-fan-out.test.ts.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { encodeTextFrame, joinFrames } from "../packages/wsgen/src/runtime/frame.js";

/** ws's frame parser, which its clients use; @types/ws does not declare it, so this is the part the test needs. */
interface FrameReceiver {
  on(event: "message", listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  write(chunk: Buffer): boolean;
}
const { Receiver } = createRequire(import.meta.url)("ws") as {
  Receiver: new (options: { isServer: boolean; maxPayload: number }) => FrameReceiver;
};

/** Decodes server-to-client frames the way a ws client does, fed in arbitrary chunks. */
function decode(bytes: Buffer, chunk: number): string[] {
  const messages: string[] = [];
  const receiver = new Receiver({ isServer: false, maxPayload: 0 });
  receiver.on("message", (data, isBinary) => {
    expect(isBinary).toBe(false);
    messages.push(data.toString("utf8"));
  });
  receiver.on("error", (error) => {
    throw error;
  });
  for (let offset = 0; offset < bytes.length; offset += chunk) receiver.write(bytes.subarray(offset, offset + chunk));
  return messages;
}

describe("encodeTextFrame", () => {
  // Lengths around the 7-bit, 16-bit and 64-bit header forms, with multi-byte UTF-8 so bytes ≠ characters.
  const texts = [0, 1, 125, 126, 127, 65_535, 65_536, 200_001].map((bytes) => {
    const euro = "€".repeat(Math.floor(bytes / 3));
    return euro + "x".repeat(bytes - Buffer.byteLength(euro));
  });

  it("encodes every header length so ws's Receiver reads the exact text back", () => {
    for (const text of texts) {
      const length = Buffer.byteLength(text);
      const { bytes } = encodeTextFrame(text);
      expect(bytes.length - length).toBe(length < 126 ? 2 : length < 65_536 ? 4 : 10);
      expect(decode(bytes, 7)).toEqual([text]);
    }
  });

  it("joins frames into one buffer that decodes as the same messages in order", () => {
    const joined = joinFrames(texts.map(encodeTextFrame));
    expect(joined.frames).toHaveLength(texts.length);
    expect(decode(joined.bytes, 4096)).toEqual(texts);
    const single = encodeTextFrame("{}");
    expect(joinFrames([single])).toBe(single);
  });
});
