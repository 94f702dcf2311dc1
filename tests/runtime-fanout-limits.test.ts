/**
 * Limits of the batched, frame-once fan-out (route.ts #fanOut,
 * update-queue.ts drain), found by review: one update that cannot be
 * serialized must not take the rest of its drain down with it, and one
 * drained batch must not be written whole past a slow client's highWaterMark.
 */
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { RecordingService, routeClass } from "./support/fixtures.js";
import { TestClient } from "./support/client.js";
import { rawConnect, type RawClient } from "./support/raw-client.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

const Room = z.object({ room: z.string() });
let running: RunningApp | undefined;
let raws: RawClient[] = [];
afterEach(async () => {
  for (const raw of raws) raw.socket.destroy();
  raws = [];
  await running?.stop();
  running = undefined;
});

describe("a drained batch", () => {
  it("still delivers the other updates when one update of the batch cannot be serialized", async () => {
    const Line = z.object({ seq: z.number(), extra: z.unknown().optional() });
    const LineWsRouter = routeClass(Room, Line, "Room", "Line");
    const service = new RecordingService<z.infer<typeof Room>, z.infer<typeof Line>>();
    const errors: unknown[] = [];
    running = await startApp({
      modules: [{ name: "chat", routers: [new LineWsRouter({ route: "lines", service })] }],
      onError: (error) => errors.push(error),
    });
    const client = await TestClient.connect(running.wsUrl("chat"));
    const a = (await client.subscribe("lines", { room: "a" })).payload.topic as string;
    const b = (await client.subscribe("lines", { room: "b" })).payload.topic as string;

    // One synchronous burst, so one drain: the BigInt makes JSON.stringify throw for seq 2 only.
    service.publish(a, { seq: 1 });
    service.publish(a, { seq: 2, extra: 1n });
    service.publish(b, { seq: 3 });
    service.publish(a, { seq: 4 });

    await eventually(() => errors.length > 0, 2_000, "the serialization error to be reported");
    const seqs = (): number[] =>
      client.frames
        .filter((frame) => frame.type === "lines.update")
        .map((frame) => (frame.payload as { payload: { seq: number } }).payload.seq);
    await eventually(() => seqs().length >= 3, 2_000, `updates 1, 3 and 4 (got ${JSON.stringify(seqs())})`);
    expect(seqs()).toEqual([1, 3, 4]);
    expect(String(errors[0])).toMatch(/could not be serialized/);
    expect(running.app.stats().modules.chat!.routes.lines).toMatchObject({ updatesPublished: 3, updatesInvalid: 1, framesSent: 3 });
  });
});

describe("highWaterMark with batched writes", () => {
  const Line = z.object({ seq: z.number(), text: z.string() });
  const LineWsRouter = routeClass(Room, Line, "Room", "Line");
  const HWM = 256 * 1024;

  it.each([
    ["one topic", 1, "drop"],
    ["two interleaved topics", 2, "drop"],
    ["two interleaved topics", 2, "close"],
  ] as const)(
    "keeps a stalled client's buffered bytes near the mark within one burst (%s: %d topic(s), policy %s)",
    async (_name, topicCount, policy) => {
      const service = new RecordingService<z.infer<typeof Room>, z.infer<typeof Line>>();
      running = await startApp({
        modules: [{ name: "chat", routers: [new LineWsRouter({ route: "lines", service })] }],
        highWaterMark: HWM,
        slowConsumer: policy,
        heartbeatInterval: 0,
      });
      const sockets: Socket[] = [];
      running.server.on("connection", (socket) => sockets.push(socket));
      const stalled = await rawConnect(running.port, "/api/v1/chat/ws");
      raws.push(stalled);
      const rooms = ["a", "b"].slice(0, topicCount);
      for (const room of rooms) stalled.sendText(JSON.stringify({ type: "lines.subscribe", id: room, payload: { room } }));
      await eventually(() => service.live.size === topicCount, 2_000, "the topics");
      await new Promise((resolve) => setTimeout(resolve, 50)); // the subscribe replies are out
      stalled.socket.pause(); // never reads again

      // 1000 x 20 KB in one synchronous burst (the queue's default capacity): one drain.
      const topics = [...service.live.keys()];
      const text = "x".repeat(20_000);
      for (let seq = 0; seq < 1000; seq++) service.publish(topics[seq % topics.length]!, { seq, text });
      await new Promise((resolve) => setTimeout(resolve, 300));

      const stats = running.app.stats().modules.chat!;
      // One frame by one send, ~280 KB were held for this client and ~790 frames dropped. A whole batch is 20 MB.
      if (policy === "drop") expect(stats.framesDropped).toBeGreaterThan(0);
      else expect(stats.slowConsumerCloses).toBe(1);
      expect(sockets[0]!.writableLength).toBeLessThan(HWM + 4 * text.length);
    },
  );
});
