/**
 * The client's credentials and refusals in real headless Chromium, with the
 * browser's own WebSocket: the token goes as `?token=`, headers are refused
 * up front, a 1008 close is a refusal, and a 401 (whose status the browser
 * hides) is retried like an outage, as docs/runtime.md says.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloseCode } from "../packages/wsgen/src/protocol/messages.js";
import { authTicksServer, closingServer } from "./support/auth-server.js";
import type { BrowserClientEntry } from "./support/browser-client-entry.js";
import { browserBundle, launchBrowser } from "./support/browser.js";
import { useCleanups } from "./support/typed-client.js";

useCleanups();

let browser: Browser;
let page: Page;
let pageServer: Server;
const pageErrors: string[] = [];

beforeAll(async () => {
  // The page comes from an http:// origin on 127.0.0.1, as an app's would; the servers under test listen on other ports.
  const html = `<!doctype html><meta charset="utf-8"><script>${await browserBundle("tests/support/browser-client-entry.ts")}</script>`;
  pageServer = createServer((_request, response) => response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html));
  await new Promise<void>((resolve) => pageServer.listen(0, "127.0.0.1", resolve));
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`http://127.0.0.1:${(pageServer.address() as AddressInfo).port}/`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => pageServer?.close(() => resolve()));
});

/** The page's `window.wsgen`, for the functions page.evaluate runs there (they cannot close over Node values). */
declare const window: { wsgen: BrowserClientEntry };

describe("the client in a browser", () => {
  it("sends the token as ?token= by default, and typed updates arrive", async () => {
    const server = await authTicksServer((token) => token === "s3cret");
    const ticks = await page.evaluate(async (port) => {
      const { createClient, ticksContract } = window.wsgen;
      const client = createClient(`ws://127.0.0.1:${port}`, ticksContract, { token: "s3cret" });
      const received: number[] = [];
      await client.ticks.ticks.subscribe({ name: "a" }, (tick) => received.push(tick.n));
      while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      client.close();
      return received;
    }, server.port);
    expect(ticks).toEqual([1]);
    expect(server.seen).toEqual([expect.objectContaining({ via: "query", token: "s3cret", accepted: true })]);
  });

  it("refuses the headers option up front: the browser's WebSocket cannot send headers", async () => {
    const thrown = await page.evaluate(() => {
      const { createClient, ticksContract } = window.wsgen;
      try {
        createClient("ws://127.0.0.1:1", ticksContract, { headers: { "x-client": "page" } });
        return undefined;
      } catch (error) {
        return { code: (error as { code?: string }).code, message: (error as Error).message };
      }
    });
    expect(thrown).toEqual({
      code: "ERR_INVALID_OPTION",
      message: expect.stringMatching(/^Option headers must be empty unless WebSocket is ws's/),
    });
  });

  it("takes a 1008 close before any frame as a refusal: state refused, closeCode and reason", async () => {
    const server = await closingServer(CloseCode.policyViolation, "token expired");
    const result = await page.evaluate(async (url) => {
      const { createClient, ticksContract, WsHandshakeError } = window.wsgen;
      const client = createClient(url, ticksContract, { token: "old", backoff: { initial: 10, max: 20 } });
      const error: unknown = await client.ticks.ticks.subscribe({ name: "a" }, () => undefined).catch((failure: unknown) => failure);
      const state = client.states().ticks;
      client.close();
      const refusal = error instanceof WsHandshakeError ? error : undefined;
      return { state, closeCode: refusal?.closeCode, reason: refusal?.reason, status: refusal?.status ?? null };
    }, server.url);
    expect(result).toEqual({ state: "refused", closeCode: 1008, reason: "token expired", status: null });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.connections()).toBe(1);
  });

  it("cannot see a 401 at the upgrade: it keeps reconnecting, and subscribe times out", async () => {
    const server = await authTicksServer(() => false);
    const result = await page.evaluate(async (port) => {
      const { createClient, ticksContract } = window.wsgen;
      const client = createClient(`ws://127.0.0.1:${port}`, ticksContract, {
        token: "wrong",
        backoff: { initial: 20, max: 50 },
        requestTimeout: 600,
      });
      const error = await client.ticks.ticks
        .subscribe({ name: "a" }, () => undefined)
        .then(
          () => undefined,
          (failure: Error) => ({ name: failure.name, message: failure.message }),
        );
      const state = client.states().ticks;
      client.close();
      return { error, state };
    }, server.port);
    expect(result).toEqual({
      error: { name: "WsRequestError", message: "ticks.subscribe: no answer within 600 ms" },
      state: "reconnecting",
    });
    expect(server.upgradeRequests()).toBeGreaterThan(2);
    expect(server.seen.every(({ via, accepted }) => via === "query" && !accepted)).toBe(true);
  });

  it("ran without page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
