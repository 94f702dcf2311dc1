/**
 * The example process with AUTH_TOKEN and ALLOWED_ORIGINS, tested from
 * outside: 401 without the token (socket and HTTP), 403 for other origins,
 * and the per-connection limits a public endpoint gets.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient } from "./support/client.js";
import { REPO_ROOT } from "./support/project.js";
import { eventually } from "./support/server.js";

let server: ChildProcess;
let output = "";
let base = "";
const ws = (module: string, query = ""): string => `${base.replace("http", "ws")}/api/v1/${module}/ws${query}`;

beforeAll(async () => {
  server = spawn(process.execPath, ["--import", "tsx", "--conditions=wsgen-source", "examples/trading/src/main.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: "0", TICK_MS: "50", AUTH_TOKEN: "s3cret", ALLOWED_ORIGINS: "http://app.example" },
  });
  server.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await eventually(() => output.includes("Prometheus metrics"), 30_000, "the server to start");
  base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;
}, 40_000);
afterAll(() => {
  server.kill("SIGTERM");
});

const order = { accountId: "A", symbol: "AAPL", side: "buy", type: "market", qty: 1 };

describe("authentication", () => {
  it("answers 401 to an upgrade without the token or with a wrong one", async () => {
    await expect(TestClient.connect(ws("datafeed"))).rejects.toThrow(/HTTP 401/);
    await expect(TestClient.connect(ws("datafeed"), { headers: { authorization: "Bearer nope" } })).rejects.toThrow(/HTTP 401/);
    await expect(TestClient.connect(ws("datafeed", "?token=s3cre"))).rejects.toThrow(/HTTP 401/);
  });

  it("accepts the token as a Bearer header or as a query parameter", async () => {
    const byHeader = await TestClient.connect(ws("datafeed"), { headers: { authorization: "Bearer s3cret" } });
    expect((await byHeader.subscribe("bars", { symbol: "AAPL", resolution: "1D" })).payload.status).toBe("ok");
    const byQuery = await TestClient.connect(ws("broker", "?token=s3cret"));
    expect((await byQuery.subscribe("orders", { accountId: "A" })).payload.status).toBe("ok");
    await byHeader.close();
    await byQuery.close();
  });

  it("guards the order endpoint the same way", async () => {
    const denied = await fetch(`${base}/api/v1/broker/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(order),
    });
    expect(denied.status).toBe(401);
    expect(denied.headers.get("www-authenticate")).toBe("Bearer");
    const allowed = await fetch(`${base}/api/v1/broker/orders`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer s3cret" },
      body: JSON.stringify(order),
    });
    expect(allowed.status).toBe(201);
    expect((await fetch(`${base}/api/v1/broker/positions?accountId=A&token=s3cret`)).status).toBe(200);
  });

  it("answers 403 to a browser origin that is not allowed", async () => {
    const headers = { authorization: "Bearer s3cret" };
    await expect(TestClient.connect(ws("datafeed"), { headers, origin: "http://evil.example" })).rejects.toThrow(/HTTP 403/);
    const allowed = await TestClient.connect(ws("datafeed"), { headers, origin: "http://app.example" });
    await allowed.close();
  });
});

describe("limits", () => {
  it("refuses the 101st subscription of one connection and closes a flooding one with 1008", async () => {
    const client = await TestClient.connect(ws("datafeed", "?token=s3cret"));
    // Stay under the 50 frames/s sustained rate with its burst of 100: send each frame only once the server's bucket holds a token.
    const bucket = tokenBucketBound({ perSecond: 50, burst: 100 });
    const replies = [];
    for (let i = 0; i < 101; i++) {
      await eventually(() => bucket.spare(performance.now()) >= 5, 10_000, "a token in the server's bucket");
      bucket.sent(performance.now());
      replies.push(await client.subscribe("bars", { symbol: `S${i}`, resolution: "1D" }));
    }
    expect(replies.filter((reply) => reply.payload.status === "ok")).toHaveLength(100);
    expect(replies[100]!.payload.message).toMatch(/subscription limit reached/);
    await client.close();

    const flooder = await TestClient.connect(ws("datafeed", "?token=s3cret"));
    for (let i = 0; i < 300; i++) flooder.send({ type: "ping" });
    expect(await flooder.closed).toEqual({ code: 1008, reason: "rate limit exceeded" });
  }, 30_000);
});

/**
 * A lower bound on the tokens left in the server's per-connection bucket (full at the upgrade, `perSecond` refill,
 * capped at `burst`) before the next frame, for frames sent one at a time, each after the reply to the one before.
 * The bucket holds min over j of (burst - (frames from j on) + perSecond x (time since the server took frame j)),
 * and the server took frame j no later than frame j + 1 was sent.
 */
function tokenBucketBound({ perSecond, burst }: { perSecond: number; burst: number }) {
  const sentAt: number[] = [];
  return {
    sent: (now: number): void => void sentAt.push(now),
    /** Tokens beyond the one the next frame takes, at the earliest the server can see it. */
    spare(now: number): number {
      let least = burst;
      for (let j = 1; j <= sentAt.length; j++) {
        const tookNoLaterThan = j < sentAt.length ? sentAt[j]! : now;
        least = Math.min(least, burst - (sentAt.length + 1 - j) + (perSecond * (now - tookNoLaterThan)) / 1000);
      }
      return least - 1;
    },
  };
}
