/**
 * The fan-out benchmark's standalone wsgen entry, as an outside load tool runs
 * it: `node bench/fanout/servers/wsgen-server.js --port P --rate R`, then the
 * wire protocol on 127.0.0.1:P. Updates of the bars topic carry `t` (send
 * time on the performance.timeOrigin clock) and `seq` (publish slot, from 1).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { TestClient } from "./support/client.js";
import { REPO_ROOT } from "./support/project.js";
import { eventually } from "./support/server.js";

let server: ChildProcess;
let output = "";
let port = 0;

/**
 * A port that was free a moment ago. The entry takes a fixed --port and prints the port it was given, not the one it
 * got, so `--port 0` cannot be read back; another process may take the port meanwhile, so the start is retried.
 */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port: free } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return free;
}

/** Starts the entry on `at` (its output in `output`); resolves once it listens or has exited. */
async function startEntry(at: number): Promise<ChildProcess> {
  output = "";
  const child = spawn(process.execPath, ["bench/fanout/servers/wsgen-server.js", "--port", String(at), "--rate", "200"], { cwd: REPO_ROOT });
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  await eventually(() => output.includes("server on") || child.exitCode !== null, 30_000, "the entry to listen");
  if (child.exitCode !== null) await closed; // all of its output read
  return child;
}

beforeAll(async () => {
  // Another process may take the port between the probe and the entry's listen: then try another one.
  for (let attempt = 1; attempt <= 5; attempt++) {
    port = await freePort();
    server = await startEntry(port);
    if (!(server.exitCode !== null && output.includes("EADDRINUSE"))) break;
  }
  expect(output).toContain(`wsgen fan-out server on ${port}, rate 200`);
}, 40_000);
afterAll(() => {
  server.kill("SIGTERM");
});

it("publishes bars.update to the AAPL 1D topic with t and seq from 1, at the asked rate", async () => {
  const client = await TestClient.connect(`ws://127.0.0.1:${port}/api/v1/datafeed/ws`);
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
