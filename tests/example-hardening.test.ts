/**
 * The example process with JWT_SECRET and ALLOWED_ORIGINS, attacked from
 * outside over real sockets and HTTP: 401 for missing, expired, unsigned,
 * `alg: none`, wrong-secret and malformed tokens; each trader allowed on
 * their own accounts and refused on another's on every broker route and
 * HTTP endpoint; path variants (`/./`, `/x/../`, `%2e%2e`, absolute-form,
 * doubled slashes, backslashes, mixed case) never served without auth, as a
 * property over generated variants; the token never in a response body;
 * /metrics and the documents protected; a connection closed with 4001 when
 * its token expires; 403 for other origins; the per-connection limits; a
 * bounded log however often one client reconnects with a bad request.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import fc from "fast-check";
import { SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient } from "./support/client.js";
import { REPO_ROOT } from "./support/project.js";
import { eventually } from "./support/server.js";

const SECRET = "s3cret-for-the-hardening-test";
let server: ChildProcess;
let output = "";
let base = "";
let port = 0;
const ws = (module: string, query = ""): string => `${base.replace("http", "ws")}/api/v1/${module}/ws${query}`;

const sign = (claims: { sub: string; accounts: string[] }, { secret = SECRET, expiresIn = "1h" } = {}) =>
  new SignJWT({ accounts: claims.accounts })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(claims.sub)
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));

let alice = "";
let bob = "";
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  server = spawn(process.execPath, ["--import", "tsx", "--conditions=wsgen-source", "examples/trading/src/main.ts"], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: "0",
      TICK_MS: "50",
      JWT_SECRET: SECRET,
      ALLOWED_ORIGINS: "http://app.example",
      NODE_ENV: "development",
      DEV_TOKENS: "1",
    },
  });
  server.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await eventually(() => output.includes("Prometheus metrics"), 30_000, "the server to start");
  base = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(output)![1]!;
  port = Number(new URL(base).port);
  alice = await sign({ sub: "alice", accounts: ["A-1", "A-2"] });
  bob = await sign({ sub: "bob", accounts: ["VICTIM-42"] });
}, 40_000);
afterAll(() => {
  server.kill("SIGTERM");
});

/** One HTTP/1.1 request written byte for byte (no client-side normalisation of the target), answered as status and body. */
function rawRequest(
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body = "",
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`];
    if (headers.Connection === undefined) lines.push("Connection: close");
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    if (body !== "") lines.push("Content-Type: application/json", `Content-Length: ${Buffer.byteLength(body)}`);
    socket.on("connect", () => socket.write(`${lines.join("\r\n")}\r\n\r\n${body}`));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      // An upgrade that succeeded never ends by itself: the status line is enough.
      if (received.startsWith("HTTP/1.1 101")) socket.destroy();
    });
    socket.on("close", () => resolve({ status: Number(received.slice(9, 12)), body: received.slice(received.indexOf("\r\n\r\n") + 4) }));
    socket.on("error", reject);
  });
}

const victimOrder = { accountId: "VICTIM-42", symbol: "AAPL", side: "buy", type: "market", qty: 1000 };

describe("tokens at the upgrade", () => {
  it("answers 401 to missing, expired, unsigned, alg:none, wrong-secret and malformed tokens", async () => {
    const expired = await sign({ sub: "alice", accounts: ["A-1"] }, { expiresIn: "-10s" });
    const wrongSecret = await sign({ sub: "alice", accounts: ["A-1"] }, { secret: "not-the-secret" });
    const algNone = new UnsecuredJWT({ sub: "alice", accounts: ["A-1"] }).setExpirationTime("1h").encode();
    const [header, payload] = alice.split(".");
    const unsigned = `${header}.${payload}.`;
    const noAccounts = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("x").sign(new TextEncoder().encode(SECRET));
    await expect(TestClient.connect(ws("datafeed"))).rejects.toThrow(/HTTP 401/);
    for (const token of [expired, wrongSecret, algNone, unsigned, noAccounts, "not-a-jwt"]) {
      await expect(TestClient.connect(ws("datafeed"), { headers: bearer(token) })).rejects.toThrow(/HTTP 401/);
      await expect(TestClient.connect(ws("broker", `?token=${token}`))).rejects.toThrow(/HTTP 401/);
      expect((await fetch(`${base}/api/v1/broker/orders?accountId=A-1`, { headers: bearer(token) })).status).toBe(401);
    }
  });

  it("accepts a valid token as a Bearer header, a token cookie or a query parameter", async () => {
    const byHeader = await TestClient.connect(ws("datafeed"), { headers: bearer(alice) });
    expect((await byHeader.subscribe("bars", { symbol: "AAPL", resolution: "1D" })).payload.status).toBe("ok");
    const byCookie = await TestClient.connect(ws("broker"), { headers: { cookie: `theme=dark; token=${alice}` } });
    expect((await byCookie.subscribe("orders", { accountId: "A-1" })).payload.status).toBe("ok");
    const byQuery = await TestClient.connect(ws("broker", `?token=${alice}`));
    expect((await byQuery.subscribe("positions", { accountId: "A-2" })).payload.status).toBe("ok");
    await Promise.all([byHeader.close(), byCookie.close(), byQuery.close()]);
  });

  it("closes a connection with 4001 when its token expires, and a new token connects again", async () => {
    const shortLived = await sign({ sub: "alice", accounts: ["A-1"] }, { expiresIn: "2s" });
    const client = await TestClient.connect(ws("broker"), { headers: bearer(shortLived) });
    expect((await client.subscribe("orders", { accountId: "A-1" })).payload.status).toBe("ok");
    expect(await client.closed).toEqual({ code: 4001, reason: "credentials expired" });
    await expect(TestClient.connect(ws("broker"), { headers: bearer(shortLived) })).rejects.toThrow(/HTTP 401/);
    // What the typed client's token provider does on 4001: connect with a fresh token.
    const renewed = await TestClient.connect(ws("broker"), { headers: bearer(alice) });
    expect((await renewed.subscribe("orders", { accountId: "A-1" })).payload.status).toBe("ok");
    await renewed.close();
  }, 10_000);
});

describe("per-account authorization", () => {
  it("allows a trader on their own accounts and refuses another's on every broker route", async () => {
    const client = await TestClient.connect(ws("broker"), { headers: bearer(alice) });
    for (const route of ["orders", "positions", "executions"]) {
      expect((await client.subscribe(route, { accountId: "A-1" })).payload.status).toBe("ok");
      const refused = (await client.subscribe(route, { accountId: "VICTIM-42" })).payload;
      expect(refused).toMatchObject({ status: "error", code: "forbidden" });
    }
    // Refused even when the victim's own session already created the topic.
    const victim = await TestClient.connect(ws("broker"), { headers: bearer(bob) });
    expect((await victim.subscribe("orders", { accountId: "VICTIM-42" })).payload.status).toBe("ok");
    expect((await client.subscribe("orders", { accountId: "VICTIM-42" })).payload.code).toBe("forbidden");
    await Promise.all([client.close(), victim.close()]);
  });

  it("allows a trader on their own accounts and refuses another's on every HTTP endpoint", async () => {
    const post = (token: string, order: object) =>
      fetch(`${base}/api/v1/broker/orders`, {
        method: "POST",
        headers: { "content-type": "application/json", ...bearer(token) },
        body: JSON.stringify(order),
      });
    expect((await post(alice, { ...victimOrder, accountId: "A-1" })).status).toBe(201);
    expect((await post(alice, victimOrder)).status).toBe(403);
    for (const path of ["orders", "positions"]) {
      expect((await fetch(`${base}/api/v1/broker/${path}?accountId=A-1`, { headers: bearer(alice) })).status).toBe(200);
      expect((await fetch(`${base}/api/v1/broker/${path}?accountId=VICTIM-42`, { headers: bearer(alice) })).status).toBe(403);
    }
    const victims = (await (await post(bob, { ...victimOrder, type: "limit", limitPrice: 0.01 })).json()) as { id: string };
    expect((await fetch(`${base}/api/v1/broker/orders/${victims.id}`, { method: "DELETE", headers: bearer(alice) })).status).toBe(403);
    expect((await fetch(`${base}/api/v1/broker/orders/${victims.id}`, { method: "DELETE", headers: bearer(bob) })).status).toBe(200);
  });
});

describe("path variants", () => {
  /** Ways to spell a path that a prefix test of the raw URL would not recognise, and a normaliser might. */
  const spellings = fc.constantFrom(
    (path: string) => path.replace("/broker/", "/./broker/"),
    (path: string) => path.replace("/broker/", "/x/../broker/"),
    (path: string) => path.replace("/broker/", "/broker/./"),
    (path: string) => path.replace("/v1/", "/v1/%2e/"),
    (path: string) => path.replace("/broker/", "/%2e%2e/v1/broker/"),
    (path: string) => path.replace("/broker/", "/x/%2E%2E/broker/"),
    (path: string) => path.replace("/broker/", "/broker//"),
    (path: string) => path.replace("/api/", "//api/"),
    (path: string) => path.replace(/\//g, "\\"),
    (path: string) => path.replace("/broker/", "\\broker\\"),
    (path: string) => path.replace("broker", "BROKER"),
    (path: string) => path.replace("broker", "Broker").replace("api", "API"),
    (path: string) => path.replace("broker", "%62roker"),
    (path: string) => `http://127.0.0.1:${port}${path}`,
    (path: string) => `http://victim.example${path.replace("/broker/", "/./broker/")}`,
  );
  const targets = fc.constantFrom(
    { method: "GET", path: "/api/v1/broker/orders?accountId=VICTIM-42" },
    { method: "GET", path: "/api/v1/broker/positions?accountId=VICTIM-42" },
    { method: "POST", path: "/api/v1/broker/orders" },
    { method: "GET", path: "/api/v1/broker/ws/asyncapi.json" },
    { method: "GET", path: "/api/v1/broker/ws" },
  );

  const upgradeHeaders = {
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
  };

  it("are told apart by the harness: the plain spellings are served with a token and refused without", async () => {
    expect((await rawRequest("GET", "/api/v1/broker/orders?accountId=A-1", bearer(alice))).status).toBe(200);
    expect((await rawRequest("GET", "/api/v1/broker/orders?accountId=A-1")).status).toBe(401);
    expect((await rawRequest("GET", "/api/v1/broker/ws", { ...bearer(alice), ...upgradeHeaders })).status).toBe(101);
    expect((await rawRequest("GET", "/api/v1/broker/ws", upgradeHeaders)).status).toBe(401);
  });

  it("are refused or 404, never served, without a token or with another trader's", async () => {
    await fc.assert(
      fc.asyncProperty(targets, fc.array(spellings, { minLength: 1, maxLength: 3 }), fc.boolean(), async (target, respell, asAlice) => {
        const spelled = respell.reduce<string>((path, spelling) => spelling(path), target.path);
        const headers: Record<string, string> = asAlice ? bearer(alice) : {};
        if (target.path.endsWith("/ws")) Object.assign(headers, upgradeHeaders);
        const body = target.method === "POST" ? JSON.stringify(victimOrder) : "";
        const { status, body: answer } = await rawRequest(target.method, spelled, headers, body);
        const served = status >= 200 && status < 300;
        // Alice may read the documents and open a socket; nobody may reach VICTIM-42's data, and nobody unauthenticated anything.
        const mayServe = asAlice && (target.path.endsWith("/ws") || target.path.includes("asyncapi")) ? true : !served;
        expect({ spelled, status, mayServe }).toMatchObject({ mayServe: true });
        if (!asAlice) expect([spelled, status]).not.toEqual([spelled, 101]);
        expect(answer).not.toContain("VICTIM-42");
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});

describe("exposure", () => {
  it("refuses /metrics and the AsyncAPI documents without a token, and serves them with one", async () => {
    for (const path of ["/metrics", "/api/v1/ws/asyncapi.json", "/api/v1/broker/ws/asyncapi.json", "/api/v1/datafeed/ws/asyncapi"]) {
      expect([path, (await fetch(`${base}${path}`)).status]).toEqual([path, 401]);
      expect([path, (await fetch(`${base}${path}`, { headers: bearer(alice) })).status]).toEqual([path, 200]);
    }
    const document = (await (await fetch(`${base}/api/v1/broker/ws/asyncapi.json`, { headers: bearer(alice) })).json()) as {
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(["bearer", "cookie", "query"]);
  });

  it("never puts the token in a response body", async () => {
    const answers = await Promise.all([
      rawRequest("GET", `/nowhere?token=${alice}`),
      rawRequest("GET", `/api/v1/broker/orders?accountId=VICTIM-42&token=${alice}`),
      rawRequest("GET", `/api/v1/broker/orders?token=${alice}`),
      rawRequest("GET", `/api/v1/broker/ws/asyncapi.json?version=${alice}&token=${alice}`),
      rawRequest("GET", `/api/v1/ws/asyncapi.json?version=${alice}`, bearer(alice)),
      rawRequest("PATCH", `/api/v1/broker/orders?token=${alice}`),
      rawRequest("POST", `/api/v1/broker/orders?token=${alice}`, {}, `{"accountId":"${alice}"`),
      rawRequest("GET", `/api/v1/broker/ws?token=${alice.slice(0, -2)}`, { Upgrade: "websocket", Connection: "Upgrade" }),
      rawRequest("GET", `/metrics?token=${alice.slice(0, -2)}`),
    ]);
    for (const { status, body } of answers) {
      expect(status).toBeGreaterThanOrEqual(400);
      expect(body).not.toContain(alice.slice(0, 40));
    }
    expect(output).not.toContain(alice.slice(0, 40));
  });

  it("names nothing of the URL in a 404 body (an order id from the path is the caller's text)", async () => {
    const response = await fetch(`${base}/api/v1/broker/orders/NO-SUCH-ORDER-4242`, { method: "DELETE", headers: bearer(alice) });
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain("4242");
  });

  // One line per connection per kind is still a flood when one client reconnects in a loop (about 4,000 lines/s
  // from one token on a 2-core machine): client-caused errors share one budget across the app.
  it("writes a bounded handful of log lines for one client reconnecting in a loop with a bad request", async () => {
    const logged = () => output.split("\n").filter((line) => line.startsWith("[wsgen]")).length;
    const before = logged();
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) deep = { a: deep };
    for (let i = 0; i < 100; i++) {
      const client = await TestClient.connect(ws("broker"), { headers: bearer(alice) });
      expect((await client.subscribe("orders", { accountId: "A-1", nested: deep })).payload.code).toBe("invalid_request");
      await client.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(logged() - before, "log lines from 100 reconnects of one client").toBeLessThanOrEqual(10);
  }, 30_000);

  it("gives the demo page a development token as an HttpOnly, SameSite=Strict cookie that the sockets accept", async () => {
    const page = await fetch(`${base}/`);
    const cookie = page.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^token=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const client = await TestClient.connect(ws("broker"), { headers: { cookie: cookie.split(";")[0]! } });
    expect((await client.subscribe("orders", { accountId: "ACC-1" })).payload.status).toBe("ok");
    expect((await client.subscribe("orders", { accountId: "A-1" })).payload.code).toBe("forbidden");
    await client.close();
  });

  it("answers 403 to a browser origin that is not allowed", async () => {
    const headers = bearer(alice);
    await expect(TestClient.connect(ws("datafeed"), { headers, origin: "http://evil.example" })).rejects.toThrow(/HTTP 403/);
    const allowed = await TestClient.connect(ws("datafeed"), { headers, origin: "http://app.example" });
    await allowed.close();
  });
});

describe("limits", () => {
  it("refuses the 101st subscription of one connection and closes a flooding one with 1008", async () => {
    const client = await TestClient.connect(ws("datafeed", `?token=${alice}`));
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

    const flooder = await TestClient.connect(ws("datafeed", `?token=${alice}`));
    for (let i = 0; i < 300; i++) flooder.send({ type: "ping", id: `p${i}` });
    expect(await flooder.closed).toEqual({ code: 1008, reason: "rate limit exceeded" });
    // The 100 frames the bucket admitted were answered before the close.
    expect(flooder.frames.filter((frame) => frame.type === "pong")).toHaveLength(100);
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
