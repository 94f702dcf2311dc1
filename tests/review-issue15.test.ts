/**
 * Review of issue 15 (authorization): attacks on the example process (real
 * process, JWT_SECRET set, real sockets and HTTP) and on the runtime. Each
 * case states what a user or operator is promised and fails while the
 * promise is broken.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineModule, WsRoute, type RouteOptions, type TopicUpdater } from "wsgen";
import { TestClient } from "./support/client.js";
import { REPO_ROOT } from "./support/project.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

const SECRET = "s3cret-for-the-review-of-issue-15";
const key = new TextEncoder().encode(SECRET);
const sign = (claims: { sub: string; accounts: string[] }, expiresIn: string | undefined = "1h") => {
  const jwt = new SignJWT({ accounts: claims.accounts }).setProtectedHeader({ alg: "HS256" }).setSubject(claims.sub);
  return (expiresIn === undefined ? jwt : jwt.setExpirationTime(expiresIn)).sign(key);
};

interface ExampleProcess {
  base: string;
  port: number;
  output: () => string;
  stop: () => void;
}

/** The example as `npm start` runs it, with `env` over the test's environment (a value `undefined` removes the variable). */
async function startExample(env: Record<string, string | undefined>): Promise<ExampleProcess> {
  const merged: Record<string, string | undefined> = { ...process.env, PORT: "0", TICK_MS: "50", JWT_SECRET: SECRET, ...env };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "--conditions=wsgen-source", "examples/trading/src/main.ts"], {
    cwd: REPO_ROOT,
    env: merged,
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await eventually(() => output.includes("Prometheus metrics"), 30_000, "the example to start");
  const base = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(output)![1]!;
  return { base, port: Number(new URL(base).port), output: () => output, stop: () => void child.kill("SIGTERM") };
}

/** Writes an upgrade request byte for byte and resolves with the status the server answers. */
function upgradeStatus(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version: 13",
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    let received = "";
    socket.on("connect", () => socket.write(`${lines.join("\r\n")}\r\n\r\n`));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received.includes("\r\n")) socket.destroy();
    });
    socket.on("close", () => resolve(Number(received.slice(9, 12))));
    socket.on("error", reject);
  });
}

/** A request nested deeper than the default maxRequestDepth (32). */
function deepRequest(depth = 40): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) value = { a: value };
  return { accountId: "A-1", nested: value };
}

describe("the example with JWT_SECRET (no ALLOWED_ORIGINS, as the README's `JWT_SECRET=… npm start`)", () => {
  let example: ExampleProcess;
  let alice = "";
  beforeAll(async () => {
    example = await startExample({ NODE_ENV: "development", ALLOWED_ORIGINS: undefined });
    alice = await sign({ sub: "alice", accounts: ["A-1"] });
  }, 40_000);
  afterAll(() => example.stop());
  const ws = (module: string) => `${example.base.replace("http", "ws")}/api/v1/${module}/ws`;

  // MEDIUM. Issue 15: "logging that cannot be flooded by one client (one line per connection per kind of error)".
  // The dedup is per connection, so one client that reconnects writes a line per connection: about 4,000 lines/s
  // from one token on a 2-core machine (six kinds per broker connection, each logged once).
  it("one client reconnecting in a loop cannot write a log line per connection", async () => {
    const before = example
      .output()
      .split("\n")
      .filter((line) => line.startsWith("[wsgen]")).length;
    const connections = 100;
    for (let i = 0; i < connections; i++) {
      const client = await TestClient.connect(ws("broker"), { headers: { authorization: `Bearer ${alice}` } });
      expect((await client.subscribe("orders", deepRequest())).payload.code).toBe("invalid_request");
      await client.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const logged =
      example
        .output()
        .split("\n")
        .filter((line) => line.startsWith("[wsgen]")).length - before;
    // One client, one token, one kind of error: a bounded handful of lines (or a summary), not one per reconnect.
    expect(logged, `${logged} log lines from ${connections} reconnects of one client`).toBeLessThanOrEqual(10);
  }, 30_000);

  // MEDIUM. The README sends browsers to the `token` cookie ("a cookie travels with the same-origin upgrade by itself"),
  // but a cookie travels with a *cross-origin* upgrade too: WebSockets have no CORS, SameSite=Strict only stops
  // cross-*site* pages (another port of the same host, or any *.example.com page, is same-site), and a cookie someone
  // sets without SameSite stops nothing. allowedOrigins defaults to "any", so an upgrade authenticated by cookie
  // from a foreign Origin is accepted: cross-site WebSocket hijacking of the victim's orders and positions.
  it("refuses an upgrade authenticated by the ambient cookie when its Origin is not the server's own", async () => {
    const cookie = `token=${alice}`;
    // Sanity: same-origin with the cookie is accepted.
    expect(await upgradeStatus(example.port, "/api/v1/broker/ws", { Cookie: cookie, Origin: example.base })).toBe(101);
    for (const origin of ["http://evil.example", "http://127.0.0.1:1"]) {
      const status = await upgradeStatus(example.port, "/api/v1/broker/ws", { Cookie: cookie, Origin: origin });
      expect({ origin, status }).toEqual({ origin, status: 403 });
    }
  });

  // LOW. DESIGN.md: "Missing, expired or badly signed tokens get 401". A token without `exp` can never be expired:
  // it is accepted forever over HTTP and WebSocket, and its connection is never closed with 4001.
  it("refuses a token without exp (it would never expire)", async () => {
    const forever = await sign({ sub: "alice", accounts: ["A-1"] }, undefined);
    const response = await fetch(`${example.base}/api/v1/broker/orders?accountId=A-1`, { headers: { authorization: `Bearer ${forever}` } });
    expect(response.status).toBe(401);
    await expect(TestClient.connect(ws("broker"), { headers: { authorization: `Bearer ${forever}` } })).rejects.toThrow(/HTTP 401/);
  });

  // LOW. RFC 9110 §11.1: the auth scheme is case-insensitive. `Authorization: bearer <jwt>` (what several HTTP
  // clients and proxies send) is treated as no credentials at all.
  it("accepts the Bearer scheme in any case", async () => {
    for (const scheme of ["bearer", "BEARER"]) {
      const response = await fetch(`${example.base}/api/v1/broker/orders?accountId=A-1`, {
        headers: { authorization: `${scheme} ${alice}` },
      });
      expect({ scheme, status: response.status }).toEqual({ scheme, status: 200 });
    }
  });
});

describe("the example with JWT_SECRET and NODE_ENV unset", () => {
  let example: ExampleProcess;
  beforeAll(async () => {
    example = await startExample({ NODE_ENV: undefined });
  }, 40_000);
  afterAll(() => example.stop());

  // MEDIUM. Development tokens are on unless NODE_ENV is exactly "production": an operator who sets JWT_SECRET
  // (turning authentication on) but not NODE_ENV hands a 12-hour token, signed with the real secret, to anyone who
  // asks `GET /` (any Host header, so DNS rebinding works too). That token reads ACC-1/ACC-2, places orders on them,
  // reads /metrics and the documents. Authentication that is on should fail closed: development tokens only when
  // asked for (e.g. DEV_TOKENS=1), never merely because NODE_ENV is unset.
  it("hands out no valid token to an anonymous visitor when NODE_ENV is simply unset", async () => {
    const page = await fetch(`${example.base}/`, { headers: { host: "attacker.example" } });
    const cookie = (page.headers.get("set-cookie") ?? "").split(";")[0]!;
    const metrics = await fetch(`${example.base}/metrics`, { headers: cookie === "" ? {} : { cookie } });
    expect({ cookie: cookie !== "", metrics: metrics.status }).toEqual({ cookie: false, metrics: 401 });
  });
});

/* ---------------------------------------------------------------- runtime ---------------------------------------------------------------- */

let running: RunningApp<{ sub: string; accounts: string[] }> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

type Trader = { sub: string; accounts: string[] };
const TRADERS: Record<string, Trader> = { alice: { sub: "alice", accounts: ["A-1"] }, bob: { sub: "bob", accounts: ["B-1"] } };
const traderOf = (url: string | undefined): Trader | undefined => TRADERS[new URL(url ?? "/", "http://x").searchParams.get("token") ?? ""];

/** A service that keeps each topic's updater. */
function keepingService<Data>() {
  const updaters = new Map<string, TopicUpdater<Data>>();
  return {
    updaters,
    createTopic: (topic: string, update: TopicUpdater<Data>) => void updaters.set(topic, update),
    removeTopic: (topic: string) => void updaters.delete(topic),
  };
}

const Order = z.object({ id: z.string(), accountId: z.string() });
type Order = z.infer<typeof Order>;

describe("runtime: topic vs authorize", () => {
  // MEDIUM. authorize sees the parsed request; the topic is canonicalJson of the same parsed request. canonicalJson
  // writes a Set or a Map (what a `.transform(ids => new Set(ids))` gives) as `{}`, so every user's request names the
  // same topic: Bob is authorized on his own B-1 and then joins the topic Alice's request created, receiving A-1's
  // orders. Two requests that authorize differently must never name one topic.
  it("does not put two users' differently-authorized requests on one topic (Set/Map in the parsed request)", async () => {
    const Request = z.object({ accountIds: z.array(z.string()).transform((ids) => new Set(ids)) });
    type Request = z.infer<typeof Request>;
    class AccountsRouter extends WsRoute<Request, Order, Trader> {
      constructor(options: RouteOptions<Request, Order, "orders", Trader>) {
        super({ ...options, route: "orders", request: Request, data: Order, requestName: "AccountsRequest", dataName: "Order" });
      }
    }
    const service = keepingService<Order>();
    const route = new AccountsRouter({
      service,
      authorize: ({ user, request }) => [...request.accountIds].every((id) => user.accounts.includes(id)),
    });
    running = await startApp<Trader>({
      modules: [defineModule<Trader>({ name: "broker", routes: [route] })],
      authenticate: (request) => traderOf(request.url),
    });
    const alice = await TestClient.connect(`${running.wsUrl("broker")}?token=alice`);
    const bob = await TestClient.connect(`${running.wsUrl("broker")}?token=bob`);
    const aliceTopic = (await alice.subscribe("orders", { accountIds: ["A-1"] })).payload.topic as string;
    const bobAnswer = (await bob.subscribe("orders", { accountIds: ["B-1"] })).payload;
    expect(bobAnswer.status).toBe("ok");
    service.updaters.get(aliceTopic)?.({ id: "o1", accountId: "A-1" });
    await alice.next((frame) => frame.type === "orders.update");
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Bob, authorized on B-1 only, receives A-1's order.
    expect(bob.frames.filter((frame) => frame.type === "orders.update")).toEqual([]);
    expect({ aliceTopic, bobTopic: bobAnswer.topic }).not.toEqual({ aliceTopic, bobTopic: aliceTopic });
    await Promise.all([alice.close(), bob.close()]);
  });
});

describe("runtime: slow authorize", () => {
  // MEDIUM. Subscribes run one at a time per connection, behind an async authorize (a directory or database call).
  // While one hangs, every later frame is queued with its whole payload and nothing bounds the queue (rateLimit is
  // off by default, and the subscription limit is asked only after authorize): 1,500 frames of 16 KiB are 24 MB held
  // for one connection, no answer, no close. A bound (queued operations per connection, or an authorize timeout)
  // should answer or close well before that.
  it("bounds the subscribes one connection can queue behind a hanging authorize", async () => {
    const service = keepingService<Order>();
    class OrdersRouter extends WsRoute<{ accountId: string }, Order, Trader> {
      constructor(options: RouteOptions<{ accountId: string }, Order, "orders", Trader>) {
        super({
          ...options,
          route: "orders",
          request: z.object({ accountId: z.string() }),
          data: Order,
          requestName: "R",
          dataName: "Order",
        });
      }
    }
    let asked = 0;
    const route = new OrdersRouter({
      service,
      authorize: () => {
        asked += 1;
        return new Promise<boolean>(() => undefined);
      },
    });
    running = await startApp<Trader>({
      modules: [defineModule<Trader>({ name: "broker", routes: [route] })],
      authenticate: (request) => traderOf(request.url),
    });
    const client = await TestClient.connect(`${running.wsUrl("broker")}?token=alice`);
    const pad = "x".repeat(16 * 1024);
    for (let i = 0; i < 1_500; i++) client.send({ type: "orders.subscribe", id: `s${i}`, payload: { accountId: "A-1", pad } });
    const outcome = await Promise.race([
      client.closed.then(() => "closed"),
      client
        .next((frame) => frame.id !== undefined, 5_000)
        .then(
          () => "answered",
          () => "neither",
        ),
    ]);
    expect(asked).toBe(1);
    expect(outcome, "1,500 subscribes (24 MB) queued behind one hanging authorize: no answer, no close").not.toBe("neither");
    client.socket.terminate();
  }, 20_000);
});

describe("runtime: one log line per connection per kind of error", () => {
  // LOW. The dedup key is where an error happened (`orders.subscribe`), not its kind: a client that first sends one
  // over-deep request (ERR_REQUEST_SHAPE, its own fault) silences every later ERR_AUTHORIZE_FAILED of its connection,
  // the server-side failure an operator needs to see (a directory that is down).
  it("still reports an authorize failure after a request-shape error on the same connection", async () => {
    const reported: string[] = [];
    class OrdersRouter extends WsRoute<{ accountId: string }, Order, Trader> {
      constructor(options: RouteOptions<{ accountId: string }, Order, "orders", Trader>) {
        super({
          ...options,
          route: "orders",
          request: z.object({ accountId: z.string() }),
          data: Order,
          requestName: "R",
          dataName: "Order",
        });
      }
    }
    const route = new OrdersRouter({
      service: keepingService<Order>(),
      authorize: () => {
        throw new Error("directory down");
      },
    });
    running = await startApp<Trader>({
      modules: [defineModule<Trader>({ name: "broker", routes: [route] })],
      authenticate: (request) => traderOf(request.url),
      onError: (error) => reported.push((error as { code?: string }).code ?? String(error)),
    });
    const client = await TestClient.connect(`${running.wsUrl("broker")}?token=alice`);
    expect((await client.subscribe("orders", deepRequest())).payload.code).toBe("invalid_request");
    expect((await client.subscribe("orders", { accountId: "A-1" })).payload.code).toBe("internal_error");
    expect(reported).toEqual(["ERR_REQUEST_SHAPE", "ERR_AUTHORIZE_FAILED"]);
    await client.close();
  });
});
