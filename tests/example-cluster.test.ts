/**
 * The example as a cluster (docs/scale-out.md): a real
 * redis-server and three real example processes started with the same
 * REDIS_URL. An order placed over HTTP on one process reaches subscribers on
 * the others with the same seq and epoch, its execution reaches a process
 * where nothing was produced, a subscriber resumes with `since` on another
 * process, and the demo page on one process shows an order placed through
 * another's. Without REDIS_URL nothing of Redis is loaded; a Redis that
 * cannot be reached is an exit 1 naming the URL.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, SCREENSHOTS } from "./support/browser.js";
import { TestClient, type Frame } from "./support/client.js";
import { runExample, startExample, type ExampleProcess } from "./support/example-process.js";
import { freePort, startRedisServer, type RedisServer } from "./support/redis-server.js";

let redis: RedisServer;
let a: ExampleProcess;
let b: ExampleProcess;
let c: ExampleProcess;
const clients: TestClient[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  const env = { REDIS_URL: redis.url, TICK_MS: "50" };
  [a, b, c] = await Promise.all([startExample(env, 60_000), startExample(env, 60_000), startExample(env, 60_000)]);
}, 90_000);
afterAll(async () => {
  for (const client of clients.splice(0)) client.socket.terminate();
  await Promise.all([a, b, c].map((example) => example?.stop("SIGTERM")));
  await redis?.stop();
}, 30_000);

const connect = async (example: ExampleProcess): Promise<TestClient> => {
  const client = await TestClient.connect(`${example.base.replace("http", "ws")}/api/v1/broker/ws`);
  clients.push(client);
  return client;
};

const subscribed = async (client: TestClient, route: string, request: unknown): Promise<Frame> => {
  const response = await client.subscribe(route, request);
  expect(response.payload).toMatchObject({ status: "ok" });
  return response;
};

const placeOrder = async (example: ExampleProcess, order: Record<string, unknown>): Promise<{ id: string }> => {
  const response = await fetch(`${example.base}/api/v1/broker/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ symbol: "AAPL", side: "buy", type: "market", qty: 1, ...order }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string };
};

const orderUpdate = (client: TestClient, id: string, status: string): Promise<Frame> =>
  client.next(
    (frame) => frame.type === "orders.update" && frame.payload.payload.id === id && frame.payload.payload.status === status,
    10_000,
  );

describe("the example as a cluster", () => {
  it("says so at startup", () => {
    for (const example of [a, b, c])
      expect(example.output()).toMatch(/scale-out on: topics shared through redis:\/\/127\.0\.0\.1:\d+\/? as node /);
  });

  it("sends an order placed over HTTP on A to subscribers on A and B with the same seq and epoch", async () => {
    const [onA, onB] = await Promise.all([connect(a), connect(b)]);
    await subscribed(onA, "orders", { accountId: "CL-1" });
    await subscribed(onB, "orders", { accountId: "CL-1" });
    const { id } = await placeOrder(a, { accountId: "CL-1" });
    for (const status of ["working", "filled"]) {
      const [fromA, fromB] = await Promise.all([orderUpdate(onA, id, status), orderUpdate(onB, id, status)]);
      expect(fromB.payload).toEqual(fromA.payload);
      expect(fromA.payload).toMatchObject({ topic: 'orders:{"accountId":"CL-1"}', seq: expect.any(Number), epoch: expect.any(String) });
    }
  }, 30_000);

  it("delivers an execution and a position produced on A to the only subscribers, on B, of both execution topics", async () => {
    const onB = await connect(b);
    await subscribed(onB, "executions", { accountId: "CL-2" });
    await subscribed(onB, "executions", { accountId: "CL-2", symbol: "MSFT" });
    await subscribed(onB, "positions", { accountId: "CL-2" });
    const { id } = await placeOrder(a, { accountId: "CL-2", symbol: "MSFT", qty: 4 });
    const topics = ['executions:{"accountId":"CL-2"}', 'executions:{"accountId":"CL-2","symbol":"MSFT"}'];
    const executions = await Promise.all(
      topics.map((topic) => onB.next((frame) => frame.type === "executions.update" && frame.payload.topic === topic, 10_000)),
    );
    for (const execution of executions) expect(execution.payload.payload).toMatchObject({ orderId: id, symbol: "MSFT", qty: 4 });
    const position = await onB.next((frame) => frame.type === "positions.update", 10_000);
    expect(position.payload.payload).toMatchObject({ accountId: "CL-2", symbol: "MSFT", qty: 4 });
  }, 30_000);

  it("resumes a subscriber on C from where it left A (since), replaying what it missed", async () => {
    const [onA, keeper] = await Promise.all([connect(a), connect(b)]);
    // The keeper holds the topic live (on another process) while the first subscriber is gone.
    await subscribed(keeper, "orders", { accountId: "CL-3" });
    await subscribed(onA, "orders", { accountId: "CL-3" });
    const first = await placeOrder(a, { accountId: "CL-3", type: "limit", limitPrice: 0.01 }); // stays working
    const held = await orderUpdate(onA, first.id, "working");
    onA.socket.terminate();
    const second = await placeOrder(b, { accountId: "CL-3", type: "limit", limitPrice: 0.02 });
    const missed = await orderUpdate(keeper, second.id, "working");

    const onC = await connect(c);
    const response = await onC.subscribeSince("orders", { accountId: "CL-3" }, { epoch: held.payload.epoch, seq: held.payload.seq });
    expect(response.payload).toMatchObject({ status: "ok", recovered: true, epoch: held.payload.epoch });
    expect((await orderUpdate(onC, second.id, "working")).payload).toEqual(missed.payload);
  }, 30_000);

  it("shows on B's demo page an order placed with A's page, and says which process served each", async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchBrowser();
      const [pageA, pageB] = await Promise.all([0, 1].map(() => browser!.newPage({ viewport: { width: 1280, height: 900 } })));
      const errors: string[] = [];
      for (const page of [pageA!, pageB!]) page.on("pageerror", (error) => errors.push(error.message));
      await pageA!.goto(`${a.base}/`);
      await pageB!.goto(`${b.base}/`);
      for (const [page, example] of [
        [pageA!, a],
        [pageB!, b],
      ] as const) {
        const badge = page.locator("#served-by");
        expect(await badge.getAttribute("data-port")).toBe(String(example.port));
        expect(await badge.getAttribute("data-shared")).toBe("true");
        expect(await badge.textContent()).toContain(`port ${example.port}`);
        // The orders panel is live (subscribed, list loaded) before the order goes.
        await page.waitForSelector("section[data-panel=orders][data-state=live]", { timeout: 20_000 });
      }
      expect(await pageA!.getAttribute("#served-by", "data-node")).not.toBe(await pageB!.getAttribute("#served-by", "data-node"));

      await pageA!.fill("#order-form input[name=symbol]", "NVDA");
      await pageA!.fill("#order-form input[name=qty]", "7");
      await pageA!.click("#place-order");
      for (const page of [pageB!, pageA!]) {
        await page.waitForSelector("#orders-body tr[data-status=filled]", { timeout: 20_000 });
        expect(await page.textContent("#orders-body tr[data-status=filled]")).toContain("NVDA");
        await page.waitForFunction(() => document.getElementById("executions-body")?.textContent?.includes("NVDA"), undefined, {
          timeout: 20_000,
        });
      }
      await pageB!.screenshot({ path: join(SCREENSHOTS, "demo-cluster-b.png") });
      expect(errors).toEqual([]);
    } finally {
      await browser?.close();
    }
  }, 90_000);
});

const traceDirs: string[] = [];
afterAll(() => {
  for (const dir of traceDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** NODE_OPTIONS for a process that prints `LOADED <url>` for every module of Redis it loads (wsgen/redis, node-redis). */
function tracingRedisImports(): { NODE_OPTIONS: string } {
  const dir = mkdtempSync(join(tmpdir(), "wsgen-trace-"));
  traceDirs.push(dir);
  writeFileSync(
    join(dir, "hooks.mjs"),
    "export async function resolve(specifier, context, next) {\n" +
      "  const resolved = await next(specifier, context);\n" +
      "  if (/redis/.test(resolved.url)) process.stderr.write(`LOADED ${resolved.url}\\n`);\n" +
      "  return resolved;\n}\n",
  );
  writeFileSync(
    join(dir, "trace.mjs"),
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});\n`,
  );
  return { NODE_OPTIONS: `--import ${join(dir, "trace.mjs")}` };
}

describe("the example alone", () => {
  it("loads nothing of Redis without REDIS_URL", async () => {
    const alone = await startExample({ ...tracingRedisImports(), REDIS_URL: "" });
    try {
      expect(alone.output()).toContain("scale-out off: this process serves alone");
      expect(alone.output()).not.toContain("LOADED");
    } finally {
      await alone.stop("SIGKILL");
    }
  }, 40_000);
});

describe("the example with a Redis it cannot reach", () => {
  it("exits 1 within the connect timeout and a second, naming the URL", async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const run = runExample({ REDIS_URL: url, ...tracingRedisImports() });
    expect(await run.exited).toBe(1);
    // The tracer sees what the test above says is not loaded without REDIS_URL.
    expect(run.stderr()).toMatch(/LOADED .*\/redis\/index\.ts/);
    // 5 s is redisBroker's connectTimeoutMs; the rest is tsx loading the example on a busy machine.
    expect(Date.now() - started).toBeLessThan(5_000 + 1_000 + 4_000);
    expect(run.stderr()).toContain(`Redis at ${url} is unreachable`);
    expect(run.output()).not.toContain("listening on");
  }, 20_000);

  it("refuses a REDIS_URL that is not a Redis URL with exit 2", async () => {
    const run = runExample({ REDIS_URL: "http://127.0.0.1:6379" });
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toContain(
      "invalid environment variable REDIS_URL: must be a redis://host:port, rediss://host:port (TLS) or unix://",
    );
  }, 20_000);
});
