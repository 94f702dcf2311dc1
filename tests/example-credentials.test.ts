/**
 * How the example takes credentials, attacked from outside over real sockets
 * and HTTP: the ambient `token` cookie counts only from the server's own
 * origin (or an allowed one), so a foreign page cannot hijack a socket with
 * a visitor's cookie; development tokens are opt-in (`DEV_TOKENS=1`), never
 * on because `NODE_ENV` is unset, and only for loopback Host names; tokens
 * without `exp` are refused; the Bearer scheme is case-insensitive; an empty
 * `token` cookie does not hide a valid one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { get as httpGet } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTradingApp, type TradingApp } from "../examples/trading/src/app.js";
import { TestClient } from "./support/client.js";
import { REPO_ROOT } from "./support/project.js";
import { eventually } from "./support/server.js";

const SECRET = "s3cret-for-the-credentials-test";
const key = new TextEncoder().encode(SECRET);
/** `expiresIn: null` signs a token without `exp` (an explicit `undefined` would take the default). */
const sign = (claims: { sub: string; accounts: string[] }, expiresIn: string | null = "1h") => {
  const jwt = new SignJWT({ accounts: claims.accounts }).setProtectedHeader({ alg: "HS256" }).setSubject(claims.sub);
  return (expiresIn === null ? jwt : jwt.setExpirationTime(expiresIn)).sign(key);
};

/** GET `url` with a Host header of our choosing (fetch does not let one replace it), answered with its set-cookie. */
function setCookieFor(url: string, host: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { headers: { host } }, (response) => {
      response.resume();
      const cookie = response.headers["set-cookie"];
      resolve(cookie?.[0]);
    });
    request.on("error", reject);
  });
}

/** Writes an upgrade request byte for byte (a browser's `Origin` and `Cookie`) and resolves with the status answered. */
function upgradeStatus(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const lines = [
      "GET /api/v1/broker/ws HTTP/1.1",
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

describe("the example process with JWT_SECRET only (NODE_ENV, DEV_TOKENS and ALLOWED_ORIGINS unset)", () => {
  let child: ChildProcess;
  let base = "";
  let port = 0;
  let alice = "";
  const ws = (module: string) => `${base.replace("http", "ws")}/api/v1/${module}/ws`;
  beforeAll(async () => {
    const env: Record<string, string | undefined> = { ...process.env, PORT: "0", TICK_MS: "50", JWT_SECRET: SECRET };
    for (const name of ["NODE_ENV", "DEV_TOKENS", "ALLOWED_ORIGINS"]) delete env[name];
    child = spawn(process.execPath, ["--import", "tsx", "--conditions=wsgen-source", "examples/trading/src/main.ts"], {
      cwd: REPO_ROOT,
      env,
    });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await eventually(() => output.includes("Prometheus metrics"), 30_000, "the example to start");
    base = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(output)![1]!;
    port = Number(new URL(base).port);
    alice = await sign({ sub: "alice", accounts: ["A-1"] });
  }, 40_000);
  afterAll(() => void child.kill("SIGTERM"));

  // A cookie travels with a cross-origin upgrade too: WebSockets have no CORS, and SameSite=Strict stops only
  // cross-*site* pages (another port of this host is the same site). allowedOrigins defaults to any, so without the
  // Origin check a foreign page would read the victim's orders through the victim's cookie.
  it("takes the token cookie from the server's own origin and ignores it from any other", async () => {
    const cookie = `token=${alice}`;
    expect(await upgradeStatus(port, { Cookie: cookie, Origin: base })).toBe(101);
    expect(await upgradeStatus(port, { Cookie: cookie })).toBe(101); // no Origin: not a browser
    for (const origin of ["http://evil.example", "http://127.0.0.1:1", "null"]) {
      expect({ origin, status: await upgradeStatus(port, { Cookie: cookie, Origin: origin }) }).toEqual({ origin, status: 401 });
    }
    // A credential a page must send explicitly is not ambient: a foreign page does not have it.
    expect(await upgradeStatus(port, { Authorization: `Bearer ${alice}`, Origin: "http://evil.example" })).toBe(101);
  });

  // An operator who sets JWT_SECRET but not NODE_ENV must not hand a token signed with the real secret to anyone
  // who asks for `/` (with any Host, so DNS rebinding too).
  it("hands out no development token when DEV_TOKENS is not set", async () => {
    for (const host of ["attacker.example", `127.0.0.1:${port}`]) {
      expect({ host, cookie: await setCookieFor(`${base}/`, host) }).toEqual({ host, cookie: undefined });
    }
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
  });

  // Missing, expired or badly signed tokens get 401; a token without `exp` could never expire, so it is refused too.
  it("refuses a token without exp", async () => {
    const forever = await sign({ sub: "alice", accounts: ["A-1"] }, null);
    const response = await fetch(`${base}/api/v1/broker/orders?accountId=A-1`, { headers: { authorization: `Bearer ${forever}` } });
    expect(response.status).toBe(401);
    await expect(TestClient.connect(ws("broker"), { headers: { authorization: `Bearer ${forever}` } })).rejects.toThrow(/HTTP 401/);
  });

  // RFC 9110 §11.1: the auth scheme is case-insensitive.
  it("accepts the Bearer scheme in any case", async () => {
    for (const scheme of ["bearer", "BEARER", "Bearer"]) {
      const response = await fetch(`${base}/api/v1/broker/orders?accountId=A-1`, { headers: { authorization: `${scheme} ${alice}` } });
      expect({ scheme, status: response.status }).toEqual({ scheme, status: 200 });
    }
  });

  it("takes the first non-empty token cookie (`token=; token=<jwt>`)", async () => {
    const response = await fetch(`${base}/api/v1/broker/orders?accountId=A-1`, { headers: { cookie: `token=; token=${alice}` } });
    expect(response.status).toBe(200);
  });
});

describe("development tokens (devTokens, as DEV_TOKENS=1 sets it)", () => {
  let app: TradingApp;
  let base = "";
  beforeAll(async () => {
    app = createTradingApp({ tickMs: 50, jwtSecret: SECRET, devTokens: true });
    await new Promise<void>((resolve) => app.server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  it("sets the cookie only for a loopback Host, never for another name (a public address, a rebound DNS name)", async () => {
    const port = new URL(base).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      expect({ host, cookie: await setCookieFor(`${base}/`, host) }).toEqual({ host, cookie: expect.stringMatching(/^token=/) });
    }
    for (const host of ["attacker.example", `192.168.1.2:${port}`, "127.0.0.1.nip.io"]) {
      expect({ host, cookie: await setCookieFor(`${base}/`, host) }).toEqual({ host, cookie: undefined });
    }
  });

  it("marks the cookie Secure when the page came over TLS (as a proxy in front says)", async () => {
    const plain = (await fetch(`${base}/`)).headers.get("set-cookie") ?? "";
    const secure = (await fetch(`${base}/`, { headers: { "x-forwarded-proto": "https" } })).headers.get("set-cookie") ?? "";
    expect(plain).not.toMatch(/Secure/);
    expect(secure).toMatch(/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
  });
});
