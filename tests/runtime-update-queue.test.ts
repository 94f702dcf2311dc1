/**
 * The per-route update queue (update-queue.ts): bounded, dropping the oldest,
 * draining a synchronous burst as one batch, holding a busy route's updates
 * for batchWindowMs; and the same overflow rule over a real socket.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UpdateQueue } from "../packages/wsgen/src/runtime/update-queue.js";
import { BarWsRouter, RecordingService, bar, type Bar, type BarSubscriptionRequest } from "./support/fixtures.js";
import { TestClient } from "./support/client.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

describe("UpdateQueue", () => {
  it("drops the oldest items when full, counts them and never throws", async () => {
    const batches: number[][] = [];
    const queue = new UpdateQueue<number>({ capacity: 3, deliver: (items) => batches.push([...items]) });
    for (let i = 1; i <= 10; i++) expect(queue.push(i)).toBe(true);
    expect(queue.size).toBe(3);
    expect(queue.dropped).toBe(7);
    await new Promise((resolve) => setImmediate(resolve));
    // One synchronous burst drains as one batch, oldest first.
    expect(batches).toEqual([[8, 9, 10]]);
    queue.push(11);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[8, 9, 10], [11]]);
  });

  it("reports a batch whose delivery throws, keeps delivering later ones, and refuses items once closed", () => {
    const onDeliverError = vi.fn();
    const delivered: number[] = [];
    const queue = new UpdateQueue<number>({
      deliver: (items) => {
        if (items.includes(2)) throw new Error("boom");
        delivered.push(...items);
      },
      onDeliverError,
    });
    queue.push(1);
    queue.push(2);
    queue.drain();
    expect(onDeliverError).toHaveBeenCalledExactlyOnceWith(expect.any(Error), [1, 2]);
    queue.push(3);
    queue.drain();
    expect(delivered).toEqual([3]);
    expect(queue.size).toBe(0);
    queue.close();
    expect(queue.push(4)).toBe(false);
  });

  it("drains an idle queue at once and holds items pushed within batchWindowMs of the last drain", async () => {
    const drains: { at: number; items: number[] }[] = [];
    const queue = new UpdateQueue<number>({
      batchWindowMs: 40,
      deliver: (items) => drains.push({ at: performance.now(), items: [...items] }),
    });
    queue.push(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(drains.map((drain) => drain.items)).toEqual([[1]]);
    queue.push(2);
    await new Promise((resolve) => setImmediate(resolve));
    queue.push(3);
    expect(drains).toHaveLength(1);
    await eventually(() => drains.length === 2, 2_000, "the held batch");
    expect(drains[1]!.items).toEqual([2, 3]);
    // Only a lower bound: timers fire late on a busy machine, and at most about 1 ms early (libuv keeps a millisecond loop clock).
    expect(drains[1]!.at - drains[0]!.at).toBeGreaterThanOrEqual(37);
    expect(() => new UpdateQueue({ batchWindowMs: -1, deliver: () => undefined })).toThrow(/batchWindowMs/);
  });

  it("cancels a pending batch-window timer on close, so a closed queue does not keep the process alive", async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === "Timeout").length;
    const delivered: number[] = [];
    const queue = new UpdateQueue<number>({ batchWindowMs: 1_000, deliver: (items) => delivered.push(...items) });
    queue.push(1);
    await new Promise((resolve) => setImmediate(resolve));
    const before = timers();
    queue.push(2); // inside the window: held on a timer
    expect(timers()).toBe(before + 1);
    queue.close();
    expect(timers()).toBe(before);
    expect(delivered).toEqual([1]);
  });

  it("rejects a capacity that is not a positive integer", () => {
    expect(() => new UpdateQueue({ capacity: 0, deliver: () => undefined })).toThrow(/positive integer/);
  });
});

describe("update queue", () => {
  const AAPL = 'bars:{"resolution":"1D","symbol":"AAPL"}';
  let running: RunningApp;
  let bars: RecordingService<BarSubscriptionRequest, Bar>;
  beforeEach(async () => {
    bars = new RecordingService();
    running = await startApp({
      modules: [{ name: "datafeed", routes: [new BarWsRouter({ route: "bars", service: bars, queueCapacity: 1000 })] }],
    });
  });
  afterEach(() => running.stop());
  const barStats = () => running.app.stats().modules.datafeed!.routes.bars!;

  it("drops the oldest updates on overflow, counts them, never throws into the service, and leaves a seq gap", async () => {
    const client = await TestClient.connect(running.wsUrl("datafeed"));
    await client.subscribe("bars", { symbol: "AAPL" });
    // Every update frame as it arrives, including the one next() takes below.
    const closes: number[] = [];
    const seqs: number[] = [];
    client.socket.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string; payload: { payload: Bar; seq: number } };
      if (frame.type !== "bars.update") return;
      closes.push(frame.payload.payload.close);
      seqs.push(frame.payload.seq);
    });
    const update = bars.live.get(AAPL)!;
    expect(() => {
      for (let i = 1; i <= 1500; i++) update(bar(i));
    }).not.toThrow();
    expect(barStats().updatesDropped).toBe(500);
    // The newest update arrives: next() rejects if it does not.
    await expect(client.next((f) => f.type === "bars.update" && f.payload.payload.close === 1500)).resolves.toEqual({
      type: "bars.update",
      payload: { topic: AAPL, payload: bar(1500), seq: 1500, epoch: expect.any(String) },
    });
    await client.request("ping");
    expect(closes.length).toBe(1000);
    expect(closes[0]).toBe(501);
    // The 500 dropped kept their places in the stream: the subscriber sees them missing.
    expect(seqs[0]).toBe(501);
    expect(seqs.at(-1)).toBe(1500);
  });
});
