/**
 * Frames encoded once for every subscriber (src/runtime/frame.ts): decoded
 * by ws's own Receiver at every header size, and delivered over real sockets
 * when one drain joins several updates and topics into one write per holder.
 */
import { createRequire } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { encodeTextFrame, joinFrames } from "wsgen";
import { RecordingService, routeClass } from "./support/fixtures.js";
import { TestClient } from "./support/client.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

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

describe("batched fan-out over real sockets", () => {
  const Room = z.object({ room: z.string() });
  const Line = z.object({ seq: z.number(), text: z.string() });
  const LineWsRouter = routeClass(Room, Line, "Room", "Line");
  let running: RunningApp | undefined;
  afterEach(() => running?.stop());

  it("keeps each holder's order across interleaved topics and large updates, and reaches only holders", async () => {
    const service = new RecordingService<z.infer<typeof Room>, z.infer<typeof Line>>();
    const router = new LineWsRouter({ route: "lines", service });
    running = await startApp({ modules: [{ name: "chat", routers: [router] }] });
    const both = await TestClient.connect(running.wsUrl("chat"));
    const onlyB = await TestClient.connect(running.wsUrl("chat"));
    const a = (await both.subscribe("lines", { room: "a" })).payload.topic as string;
    const b = (await both.subscribe("lines", { room: "b" })).payload.topic as string;
    await onlyB.subscribe("lines", { room: "b" });

    // One synchronous burst: runs of a, then b, then a again, with a 70 KB line in the middle.
    const published: { topic: string; seq: number }[] = [];
    const publish = (topic: string, seq: number, text = `line ${seq}`): void => {
      published.push({ topic, seq });
      service.publish(topic, { seq, text });
    };
    for (let seq = 1; seq <= 3; seq++) publish(a, seq);
    publish(b, 4, "€".repeat(70_000));
    publish(b, 5);
    for (let seq = 6; seq <= 8; seq++) publish(a, seq);

    type LineUpdate = { topic: string; payload: { seq: number; text: string } };
    const updates = (client: TestClient): LineUpdate[] =>
      client.frames.filter((frame) => frame.type === "lines.update").map((frame) => frame.payload as LineUpdate);
    await eventually(() => updates(both).length === 8 && updates(onlyB).length === 2, 5_000, "every update");
    expect(updates(both).map((update) => [update.topic, update.payload.seq])).toEqual(published.map(({ topic, seq }) => [topic, seq]));
    expect(updates(onlyB).map((update) => update.payload.seq)).toEqual([4, 5]);
    expect(updates(onlyB)[0]!.payload.text).toBe("€".repeat(70_000));
    // The route counts frames, not writes; the endpoint agrees.
    expect(router.stats()).toMatchObject({ updatesPublished: 8, framesSent: 10 });
    // Responses and updates share the socket: a ping after the burst is answered after it.
    expect(await both.request("ping")).toMatchObject({ type: "pong" });
  });

  it("holds a busy route's updates for batchWindowMs and sends them together; a quiet route's first update goes at once", async () => {
    const service = new RecordingService<z.infer<typeof Room>, z.infer<typeof Line>>();
    running = await startApp({ modules: [{ name: "chat", routers: [new LineWsRouter({ route: "lines", service, batchWindowMs: 60 })] }] });
    const client = await TestClient.connect(running.wsUrl("chat"));
    const topic = (await client.subscribe("lines", { room: "a" })).payload.topic as string;
    const arrivals = new Map<number, number>();
    client.socket.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string; payload: { payload: { seq: number } } };
      if (frame.type === "lines.update") arrivals.set(frame.payload.payload.seq, performance.now());
    });
    const sentAt = performance.now();
    service.publish(topic, { seq: 1, text: "first" });
    await eventually(() => arrivals.has(1), 2_000, "the first update");
    service.publish(topic, { seq: 2, text: "held" });
    service.publish(topic, { seq: 3, text: "held" });
    await eventually(() => arrivals.has(3), 2_000, "the held updates");
    // Lower bounds only, with slack: a loaded machine delays timers, and libuv may fire one about 1 ms early.
    expect(arrivals.get(2)! - sentAt).toBeGreaterThanOrEqual(55);
    expect(arrivals.get(3)! - arrivals.get(2)!).toBeLessThan(55);
    expect([...arrivals.keys()]).toEqual([1, 2, 3]);
  });
});
