/**
 * Slow consumers: a client that completes the handshake, subscribes and
 * never reads is held back by its route's lag policy once its delivery lag
 * passes maxLagMs (conflate, skip, or closed with 1013 and let go at once),
 * and with lag detection off is closed with 1013 (or, by option, has frames
 * dropped) once its send buffer passes the high-water mark, while a normal
 * client on the same topic receives every update in order. In process, and
 * against a server in its own process publishing 10,000 msg/s, whose RSS
 * stays bounded; and one drained batch is not written whole past the mark.
 * tests/runtime-lag.test.ts has the lag policies with clients that resume.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { RecordingService, routeClass } from "./support/fixtures.js";
import { TestClient } from "./support/client.js";
import { REPO_ROOT } from "./support/project.js";
import { maskedTextFrame, rawConnect, type RawClient } from "./support/raw-client.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";
import { endpointPath } from "../packages/wsgen/src/protocol/paths.js";

/** The stated bound: the server stays under this RSS whatever the stalled client does. */
const RSS_BOUND = 250 * 1024 * 1024;

let server: ChildProcess | undefined;
let running: RunningApp | undefined;
let raws: RawClient[] = [];
afterEach(async () => {
  server?.kill("SIGKILL");
  server = undefined;
  for (const raw of raws) raw.socket.destroy();
  raws = [];
  await running?.stop();
  running = undefined;
});

/** What GET /stats answers: the app's stats and the server's RSS. */
type FloodStats = {
  rss: number;
  modules: {
    feed: {
      slowConsumerCloses: number;
      framesDropped: number;
      connections: number;
      lagEpisodes: number;
      routes: { ticks: { updatesDropped: number; laggingSubscribers: number } };
    };
  };
};

/** How the flood server treats the stalled client: by the high-water mark alone (lag detection off), or by a lag policy. */
type Treatment = { slowConsumer: "close" | "drop" } | { lagPolicy: "conflate" | "skip" | "close" };

async function startFloodServer(treatment: Treatment): Promise<{ port: number; stats: () => Promise<FloodStats> }> {
  const env =
    "slowConsumer" in treatment ? { SLOW_CONSUMER: treatment.slowConsumer, MAX_LAG_MS: "0" } : { LAG_POLICY: treatment.lagPolicy };
  server = spawn(process.execPath, ["--import", "tsx", "--conditions=wsgen-source", "tests/support/flood-server.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
  });
  let output = "";
  server.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await eventually(() => /port \d+/.test(output), 20_000, "flood server");
  const port = Number(/port (\d+)/.exec(output)![1]);
  return { port, stats: async () => (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as FloodStats };
}

const TREATMENTS: [string, Treatment][] = [
  ["slowConsumer close, no lag detection", { slowConsumer: "close" }],
  ["slowConsumer drop, no lag detection", { slowConsumer: "drop" }],
  ["lagPolicy conflate", { lagPolicy: "conflate" }],
  ["lagPolicy skip", { lagPolicy: "skip" }],
  ["lagPolicy close", { lagPolicy: "close" }],
];

describe.each(TREATMENTS)("slow consumer, %s", (_name, treatment) => {
  it("keeps the normal client whole and the server's memory bounded", async () => {
    const { port, stats } = await startFloodServer(treatment);
    const healthy = await TestClient.connect(`ws://127.0.0.1:${port}${endpointPath("feed")}`);
    let expected = 1;
    let gaps = 0;
    let received = 0;
    healthy.socket.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string; payload: { payload: { seq: number } } };
      if (frame.type !== "ticks.update") return;
      if (frame.payload.payload.seq !== expected) gaps += 1;
      expected = frame.payload.payload.seq + 1;
      received += 1;
    });
    await healthy.subscribe("ticks", { name: "t" });
    const stalled = await rawConnect(port, endpointPath("feed"));
    stalled.sendText(JSON.stringify({ type: "ticks.subscribe", payload: { name: "t" } }));
    stalled.socket.pause(); // never reads again

    await eventually(() => received > 20_000, 20_000, "20,000 updates at the healthy client");
    const during = await stats();
    if ("slowConsumer" in treatment && treatment.slowConsumer === "drop") {
      expect(during.modules.feed.framesDropped).toBeGreaterThan(0);
      expect(during.modules.feed.connections).toBe(2);
    } else if ("slowConsumer" in treatment || treatment.lagPolicy === "close") {
      expect(during.modules.feed.slowConsumerCloses).toBe(1);
      // Let go within a second of its close frame, though the server's closeTimeout is a minute: its close handshake could never come back.
      let connections = during.modules.feed.connections;
      for (let tries = 0; connections !== 1 && tries < 50; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        connections = (await stats()).modules.feed.connections;
      }
      expect(connections).toBe(1);
    } else {
      // Never reads, so never answers a lag probe: lagging from then on, its updates held back, nothing buffered for it.
      expect(during.modules.feed.lagEpisodes).toBeGreaterThanOrEqual(1);
      expect(during.modules.feed.routes.ticks.laggingSubscribers).toBe(1);
      expect(during.modules.feed.framesDropped).toBe(0);
      expect(during.modules.feed.connections).toBe(2);
    }
    expect(gaps).toBe(0);
    expect(during.modules.feed.routes.ticks.updatesDropped).toBe(0);
    expect(during.rss).toBeLessThan(RSS_BOUND);
    stalled.socket.destroy();
  }, 40_000);
});

const Blob = z.object({ seq: z.number(), blob: z.string() });
type Blob = z.infer<typeof Blob>;
const BlobRequest = z.object({ name: z.string() });
type BlobRequest = z.infer<typeof BlobRequest>;
const BlobWsRouter = routeClass(BlobRequest, Blob, "BlobRequest", "Blob");

describe("slow consumers", () => {
  async function floodWithOneStalledClient(policy: "close" | "drop") {
    const service = new RecordingService<BlobRequest, Blob>();
    running = await startApp({
      modules: [{ name: "feed", routes: [new BlobWsRouter({ route: "blobs", service, validateUpdates: false })] }],
      highWaterMark: 256 * 1024,
      slowConsumer: policy,
      maxLagMs: 0, // the high-water mark alone: a lag policy would hold the stalled client back before it
    });
    const healthy = await TestClient.connect(running.wsUrl("feed"));
    await healthy.subscribe("blobs", { name: "x" });
    const stalled = await rawConnect(running.port, endpointPath("feed"));
    stalled.sendText(JSON.stringify({ type: "blobs.subscribe", payload: { name: "x" } }));
    await eventually(() => running!.app.stats().modules.feed!.routes.blobs!.subscriptions === 2, 2_000, "stalled subscribed");
    stalled.socket.pause(); // never read again: the kernel buffers fill, then ws's.

    const stats = () => running!.app.stats().modules.feed!;
    const blob = "x".repeat(32 * 1024);
    let seq = 0;
    let received = 0;
    healthy.socket.on("message", () => (received += 1));
    // Publish in bursts, letting the healthy client keep up, until the policy triggers.
    await eventually(
      () => {
        for (let i = 0; i < 20; i++) service.publish('blobs:{"name":"x"}', { seq: ++seq, blob });
        return policy === "close" ? stats().slowConsumerCloses > 0 : stats().framesDropped > 0;
      },
      10_000,
      `slow consumer ${policy}`,
    );
    await eventually(() => received >= seq, 5_000, "healthy client received everything");
    return { stats: stats(), healthy, stalled, seq, received };
  }

  it("closes a client whose send buffer passes the high-water mark with 1013, counted, while others keep receiving", async () => {
    const { stats, received, seq, stalled } = await floodWithOneStalledClient("close");
    expect(stats.slowConsumerCloses).toBe(1);
    expect(received).toBe(seq);
    stalled.socket.destroy();
    await eventually(() => running!.app.stats().modules.feed!.connections === 1, 6_000, "slow consumer gone");
  });

  it("drops frames for a slow client instead, by option, keeping it connected", async () => {
    const { stats, received, seq, stalled } = await floodWithOneStalledClient("drop");
    expect(stats.framesDropped).toBeGreaterThan(0);
    expect(stats.slowConsumerCloses).toBe(0);
    expect(stats.connections).toBe(2);
    expect(received).toBe(seq);
    stalled.socket.destroy();
  });

  it('still answers a slow client\'s subscribe under "drop": a response is never skipped, only data', async () => {
    const { stalled } = await floodWithOneStalledClient("drop");
    raws.push(stalled);
    stalled.sendText(JSON.stringify({ type: "blobs.subscribe", id: "late", payload: { name: "y" } }));
    await eventually(() => running!.app.stats().modules.feed!.routes.blobs!.topics === 2, 2_000, "the second topic");
    await new Promise((resolve) => setTimeout(resolve, 100)); // its answer is written while the buffer is still over the mark
    stalled.socket.resume();
    await eventually(() => stalled.received().includes('"id":"late"'), 5_000, "the late subscribe's response");
  });

  it('closes a stalled client that keeps asking under "drop" at twice the mark, instead of buffering answers forever', async () => {
    const { stalled } = await floodWithOneStalledClient("drop");
    raws.push(stalled);
    // ~10,000 pings in one TCP write: their pongs alone are past twice the 256 KiB mark.
    const pings = Buffer.concat(Array.from({ length: 10_000 }, (_, id) => maskedTextFrame(JSON.stringify({ type: "ping", id: `${id}` }))));
    stalled.socket.write(pings);
    await eventually(() => running!.app.stats().modules.feed!.slowConsumerCloses === 1, 5_000, "the close");
  });
});

const Room = z.object({ room: z.string() });

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
        modules: [{ name: "chat", routes: [new LineWsRouter({ route: "lines", service })] }],
        highWaterMark: HWM,
        slowConsumer: policy,
        heartbeatInterval: 0,
      });
      const sockets: Socket[] = [];
      running.server.on("connection", (socket) => sockets.push(socket));
      const stalled = await rawConnect(running.port, endpointPath("chat"));
      raws.push(stalled);
      const rooms = ["a", "b"].slice(0, topicCount);
      for (const room of rooms) stalled.sendText(JSON.stringify({ type: "lines.subscribe", id: room, payload: { room } }));
      await eventually(() => service.live.size === topicCount, 2_000, "the topics");
      // The subscribe replies are out: the stalled client has read both before it stops reading.
      const replies = (): number => stalled.received().split('"type":"lines.subscribe.response"').length - 1;
      await eventually(() => replies() === topicCount, 2_000, "the subscribe replies");
      stalled.socket.pause(); // never reads again

      // 1000 x 20 KB in one synchronous burst (the queue's default capacity): one drain.
      const topics = [...service.live.keys()];
      const text = "x".repeat(20_000);
      for (let seq = 0; seq < 1000; seq++) service.publish(topics[seq % topics.length]!, { seq, text });
      // The burst is one synchronous drain: once the queue is empty, every frame of it was written or refused.
      await eventually(() => running!.app.stats().modules.chat!.routes.lines!.queued === 0, 2_000, "the burst drained");

      const stats = running.app.stats().modules.chat!;
      // One frame by one send, ~280 KB were held for this client and ~790 frames dropped. A whole batch is 20 MB.
      if (policy === "drop") expect(stats.framesDropped).toBeGreaterThan(0);
      else expect(stats.slowConsumerCloses).toBe(1);
      expect(sockets[0]!.writableLength).toBeLessThan(HWM + 4 * text.length);
    },
  );
});
