/**
 * The benches' entries, as an outside tool runs them:
 * - the fan-out benchmark's standalone wsgen entry: `node
 *   bench/fanout/servers/wsgen-server.js --port P --rate R`, then the wire
 *   protocol on 127.0.0.1:P. Updates of the bars topic carry `t` (send time
 *   on the performance.timeOrigin clock) and `seq` (publish slot, from 1);
 * - the recovery bench's server, which publishes only when told over HTTP
 *   and replays from its history to a resubscribe with `since`;
 * - the orchestrators (bench:recovery, bench:fanout, bench:cluster and its
 *   failover runs), in smoke runs far too small for figures: they only
 *   show the harness runs end to end and prints its table.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient, type Frame } from "./support/client.js";
import { REPO_ROOT } from "./support/project.js";
import { eventually } from "./support/server.js";
import { endpointPath } from "../packages/wsgen/src/protocol/paths.js";

const TOPIC = 'bars:{"resolution":"1D","symbol":"AAPL"}';
const REQUEST = { symbol: "AAPL", resolution: "1D" };
const children: ChildProcess[] = [];

/** Runs `node …args` in the repository; `exited` resolves with its exit code and everything it printed. */
function run(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; output: string }> } {
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT });
  children.push(child);
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once("close", (code) => resolve({ code, output })),
  );
  return { child, output: () => output, exited };
}

/** Starts a server entry on `--port 0` and resolves with the port it printed (matched by `pattern`'s first group). */
async function startEntry(args: string[], pattern: RegExp): Promise<number> {
  const { child, output } = run(args);
  await eventually(() => pattern.test(output()) || child.exitCode !== null, 30_000, "the entry to listen");
  const match = pattern.exec(output());
  expect(match, output()).not.toBeNull();
  return Number(match![1]);
}

interface BarUpdate {
  topic: string;
  seq: number;
  epoch: string;
  payload: { t: number; seq: number };
}
const updates = (client: TestClient): BarUpdate[] =>
  client.frames.filter((frame: Frame) => frame.type === "bars.update").map((frame) => frame.payload as BarUpdate);

afterAll(() => {
  for (const child of children) child.kill("SIGTERM");
});

describe("the fan-out wsgen entry", () => {
  let port = 0;
  beforeAll(async () => {
    // --port 0: the OS picks a free port, and the entry prints the one it got.
    port = await startEntry(
      ["bench/fanout/servers/wsgen-server.js", "--port", "0", "--rate", "200"],
      /wsgen fan-out server on (\d+), rate 200/,
    );
    expect(port).toBeGreaterThan(0);
  }, 40_000);

  it("publishes bars.update to the AAPL 1D topic with t and seq from 1, at the asked rate", async () => {
    const client = await TestClient.connect(`ws://127.0.0.1:${port}${endpointPath("datafeed")}`);
    const reply = await client.subscribe("bars", REQUEST);
    expect(reply.payload).toMatchObject({ status: "ok", topic: TOPIC });
    await eventually(() => updates(client).length >= 20, 10_000, "20 updates");
    const received = updates(client);
    expect(new Set(received.map((update) => update.topic))).toEqual(new Set([TOPIC]));
    expect(received.map((update) => update.payload.seq).slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Same machine, same clock source: the send stamp is in the recent past, not in another epoch.
    const age = performance.timeOrigin + performance.now() - received[19]!.payload.t;
    expect(age).toBeGreaterThanOrEqual(-50);
    expect(age).toBeLessThan(10_000);
    await client.close();
  });

  it("refuses an unknown --lag-policy with a usage error, not a stack trace", async () => {
    const { code, output } = await run(["bench/fanout/servers/wsgen-server.js", "--port", "0", "--lag-policy", "sometimes"]).exited;
    expect(code).toBe(2);
    expect(output).toContain('usage error: --lag-policy must be one of conflate, skip, close, got "sometimes"');
  }, 30_000);
});

describe("the recovery bench's server", () => {
  let port = 0;
  const control = async (method: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  beforeAll(async () => {
    port = await startEntry(
      ["--import", "tsx", "--conditions=wsgen-source", "bench/recovery/server.ts", "--port", "0", "--history", "50"],
      /wsgen recovery server on (\d+), historySize 50/,
    );
  }, 40_000);

  it("publishes only when told, and replays exactly what a client missed to its resubscribe with since", async () => {
    const url = `ws://127.0.0.1:${port}${endpointPath("datafeed")}`;
    expect((await control("POST", "/bench/publish?count=3")).status).toBe(409); // no subscriber yet: no topic
    const anchor = await TestClient.connect(url);
    await anchor.subscribe("bars", REQUEST);
    const client = await TestClient.connect(url);
    await client.subscribe("bars", REQUEST);
    expect((await control("POST", "/bench/publish?count=3")).body).toEqual({ head: 3 });
    await eventually(() => updates(client).length === 3, 5_000, "3 updates");
    const last = updates(client)[2]!;
    await client.close();
    await eventually(() => updates(anchor).length === 3, 5_000, "the anchor's updates");
    const left = async (): Promise<boolean> => (await control("GET", "/bench/stats")).body.subscriptions === 1;
    for (let tries = 0; !(await left()) && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await control("POST", "/bench/publish?count=5")).body).toEqual({ head: 8 });

    const back = await TestClient.connect(url);
    const reply = await back.subscribeSince("bars", REQUEST, { epoch: last.epoch, seq: last.seq });
    expect(reply.payload).toMatchObject({ status: "ok", recovered: true, seq: 8 });
    await eventually(() => updates(back).length === 5, 5_000, "the 5 missed updates");
    expect(updates(back).map((update) => [update.seq, update.payload.seq])).toEqual([4, 5, 6, 7, 8].map((seq) => [seq, seq]));
    const stats = (await control("GET", "/bench/stats")).body;
    expect(stats).toMatchObject({ subscriptions: 2, recoveries: 1, updatesReplayed: 5 });
    expect(stats.cpuMicros).toBeGreaterThan(0);
    expect((await control("POST", "/bench/publish?count=-1")).status).toBe(400);
    await Promise.all([anchor.close(), back.close()]);
  });
});

describe("the orchestrators, in smoke runs", () => {
  /** Runs a bench orchestrator from source to its end; resolves with what it printed, once it has exited 0. */
  const orchestrate = async (script: string, args: string[]): Promise<string> => {
    const { code, output } = await run(["--import", "tsx", script, ...args]).exited;
    expect(code, output).toBe(0);
    return output;
  };

  it("bench:recovery replays to every client with since, and none without", async () => {
    const output = await orchestrate("bench/recovery/run.ts", ["--clients", "5", "--missed", "20", "--history", "50"]);
    expect(output).toMatch(/\| resubscribe with since \(replay\) \| [\d.]+ \|.*\| 100 \| 5\/5 \|/);
    expect(output).toMatch(/\| resubscribe without since \| [\d.]+ \|.*\| 0 \| 5\/5 \|/);
  }, 60_000);

  it("bench:fanout --scenario overload prints ages, skips and RSS beside raw ws", async () => {
    const output = await orchestrate("bench/fanout/run.ts", [
      ...["--scenario", "overload"],
      ...["--clients", "5", "--rates", "50", "--seconds", "1", "--targets", "wsgen,ws"],
    ]);
    expect(output).toContain("| subscribers | rate | target | updates/s published | deliveries/s | skipped % |");
    expect(output).toMatch(/\| 5 \| 50 \| wsgen \| \d+ \| \d+ \| 0\.0 \|/);
    // The floor's own ratios are 1.00, or "–" where a 1 s window gave too few CPU ticks to divide by.
    expect(output).toMatch(/^\| 5 \| 50 \| ws \| \d+ \| \d+ \| 0\.0 \|.*\| (1\.00|–) \| (1\.00|–) \| (1\.00|–) \| (1\.00|–) \|$/m);
  }, 60_000);

  it("bench:cluster splits its clients over two processes of each target and counts Redis requests per update", async () => {
    const output = await orchestrate("bench/cluster/run.ts", [
      ...["--clients", "4", "--rates", "50"],
      ...["--seconds", "1", "--targets", "wsgen-redis,socketio-sharded"],
    ]);
    expect(output).toContain(
      "| subscribers | rate | target | updates/s published | updates/s reaching clients | deliveries/s | dropped % |",
    );
    // Per-process figures for both processes; about one publish request per update (the window's edges and lease renewals move it a little).
    expect(output).toMatch(
      /^\| 4 \| 50 \| wsgen-redis \| \d+ \| \d+ \| \d+ \| 0\.0 \|.*\| [\d.–]+ \/ [\d.–]+ \|.*\| [01]\.\d\d \| evalsha [01]\.\d\d/m,
    );
    expect(output).toMatch(/^\| 4 \| 50 \| socketio-sharded \| \d+ \| \d+ \| \d+ \| 0\.0 \|.*\| [01]\.\d\d \| spublish [01]\.\d\d \|/m);
  }, 60_000);

  it("bench:cluster --failover kills the producing process and times the new epoch's first update", async () => {
    const output = await orchestrate("bench/cluster/run.ts", [
      ...["--failover", "1", "--processes", "2"],
      ...["--lease-ms", "500", "--tick-ms", "100"],
    ]);
    expect(output).toMatch(/^\| 1 \| 0 \| \d+ \/ \d+ \| \d+ \/ \d+ \| 600 \| [01] \|$/m);
  }, 60_000);
});
