/**
 * Replay flow control: a client that resubscribes many busy topics at once
 * with `since` (a reconnect) gets every replay whole, one after another at
 * the pace it reads, instead of the later ones being refused `too_large`
 * because the earlier ones fill its send buffer: a replay that does not fit
 * waits for the buffer to drain (subscribes run one at a time per connection).
 */
import { afterEach, expect, it } from "vitest";
import { z } from "zod";
import { TestClient } from "./support/client.js";
import { RecordingService, routeClass } from "./support/fixtures.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

const Item = z.object({ n: z.number(), pad: z.string() });
const Feed = z.object({ name: z.string() });
const ItemWsRouter = routeClass(Feed, Item, "Feed", "Item");

let running: RunningApp | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

it("replays 24 topics of 750 kB each to a client that reads late, every one recovered and whole", async () => {
  const service = new RecordingService<z.infer<typeof Feed>, z.infer<typeof Item>>();
  running = await startApp({
    modules: [
      {
        name: "feed",
        routes: [
          new ItemWsRouter({
            route: "items",
            service,
            validateUpdates: false,
            historySize: 2_000,
            historyMaxBytes: 4 * 1024 * 1024,
            queueCapacity: 20_000,
          }),
        ],
      },
    ],
    heartbeatInterval: 0,
  });
  const names = Array.from({ length: 24 }, (_, i) => `t${i}`);
  // The keeper holds every topic, so their streams go on while the other client is away.
  const keeper = await TestClient.connect(running.wsUrl("feed"));
  const epochs = new Map<string, string>();
  for (const name of names) epochs.set(name, (await keeper.subscribe("items", { name })).payload.epoch as string);
  const pad = "x".repeat(1_500);
  const keeperUpdates = (): number => keeper.frames.filter((frame) => frame.type === "items.update").length;
  // In steps the keeper can take, so it is never a slow consumer itself.
  for (let n = 1; n <= 500; n += 50) {
    for (const name of names) for (let k = n; k < n + 50; k++) service.publish(`items:{"name":"${name}"}`, { n: k, pad });
    await eventually(() => keeperUpdates() === names.length * (n + 49), 10_000, "the keeper's updates");
  }

  // 18 MB of replays (each under the 1 MiB mark) asked at once by a client that reads nothing for a second: far past the kernel's buffers and the 1 MiB mark.
  const back = await TestClient.connect(running.wsUrl("feed"));
  back.socket.pause();
  for (const name of names) back.send({ type: "items.subscribe", id: name, payload: { name }, since: { epoch: epochs.get(name), seq: 0 } });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  back.socket.resume();

  const responses = await Promise.all(names.map((name) => back.next((frame) => frame.id === name, 20_000)));
  for (const response of responses) expect(response.payload).toMatchObject({ status: "ok", recovered: true });
  await eventually(
    () => back.frames.filter((frame) => frame.type === "items.update").length === names.length * 500,
    20_000,
    "every replayed update",
  );
  for (const name of names) {
    const got = back.frames.filter((frame) => frame.type === "items.update" && frame.payload.topic === `items:{"name":"${name}"}`);
    expect(got.map((frame) => frame.payload.seq as number)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
  }
  expect(running.app.stats().modules.feed!.slowConsumerCloses).toBe(0);
}, 60_000);
