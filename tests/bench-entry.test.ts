/**
 * The fan-out benchmark's standalone wsgen entry, as an outside load tool runs
 * it: `node bench/fanout/servers/wsgen-server.js --port P --rate R`, then the
 * wire protocol on 127.0.0.1:P. Updates of the bars topic carry `t` (send
 * time on the performance.timeOrigin clock) and `seq` (publish slot, from 1).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { TestClient } from "./support/client.js";
import { REPO_ROOT } from "./support/project.js";
import { eventually } from "./support/server.js";
import { endpointPath } from "../packages/wsgen/src/protocol/paths.js";

let server: ChildProcess;
let output = "";
let port = 0;

beforeAll(async () => {
  // --port 0: the OS picks a free port, and the entry prints the one it got.
  server = spawn(process.execPath, ["bench/fanout/servers/wsgen-server.js", "--port", "0", "--rate", "200"], { cwd: REPO_ROOT });
  server.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await eventually(() => /server on \d+/.test(output) || server.exitCode !== null, 30_000, "the entry to listen");
  const match = /wsgen fan-out server on (\d+), rate 200/.exec(output);
  expect(match, output).not.toBeNull();
  port = Number(match![1]);
  expect(port).toBeGreaterThan(0);
}, 40_000);
afterAll(() => {
  server.kill("SIGTERM");
});

it("publishes bars.update to the AAPL 1D topic with t and seq from 1, at the asked rate", async () => {
  const client = await TestClient.connect(`ws://127.0.0.1:${port}${endpointPath("datafeed")}`);
  const reply = await client.subscribe("bars", { symbol: "AAPL", resolution: "1D" });
  expect(reply.payload).toMatchObject({ status: "ok", topic: 'bars:{"resolution":"1D","symbol":"AAPL"}' });
  const updates = () =>
    client.frames
      .filter((frame) => frame.type === "bars.update")
      .map((frame) => frame.payload as { topic: string; payload: { t: number; seq: number } });
  await eventually(() => updates().length >= 20, 10_000, "20 updates");
  const received = updates();
  expect(new Set(received.map((update) => update.topic))).toEqual(new Set(['bars:{"resolution":"1D","symbol":"AAPL"}']));
  expect(received.map((update) => update.payload.seq).slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  // Same machine, same clock source: the send stamp is in the recent past, not in another epoch.
  const age = performance.timeOrigin + performance.now() - received[19]!.payload.t;
  expect(age).toBeGreaterThanOrEqual(-50);
  expect(age).toBeLessThan(10_000);
  await client.close();
});
