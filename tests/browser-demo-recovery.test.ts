/**
 * The demo page in real headless Chromium across a network drop and a
 * server restart, against the example as a real process (embedded defaults,
 * no Redis; JWT with the development cookie, as a developer runs it). The
 * page reaches the server through a TCP proxy so that the test can cut its
 * connections: Chromium's offline emulation would leave open WebSockets
 * open. What is asserted is what a user sees: the connection state in the
 * header, each panel's live/stale badge and delivery line, the resync
 * notice, and the data in every panel.
 */
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, SCREENSHOTS } from "./support/browser.js";
import { startExample, type ExampleProcess } from "./support/example-process.js";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js";

const ENV = { TICK_MS: "100", JWT_SECRET: "browser-recovery-secret", DEV_TOKENS: "1", NODE_ENV: "development" };
const PANELS = ["bars", "quotes", "positions", "orders", "executions"] as const;
const QUOTED = 4; // web/demo.ts quotes AAPL, MSFT, NVDA and TSLA

let example: ExampleProcess;
let proxy: TcpProxy;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  example = await startExample(ENV);
  proxy = await startTcpProxy(example.port);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`http://127.0.0.1:${proxy.port}/`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await example?.stop();
});

const text = async (selector: string): Promise<string> => (await page.textContent(selector)) ?? "";
const panelStates = (): Promise<Record<string, string | undefined>> =>
  page.evaluate(
    (names) =>
      Object.fromEntries(names.map((name) => [name, document.querySelector<HTMLElement>(`section[data-panel=${name}]`)?.dataset.state])),
    [...PANELS],
  );
const barCount = async (): Promise<number> => Number(await text("#bar-count"));

/** Waits for a bar after `before` were counted: a panel turns live at its resubscribe's answer, and its next bar follows within a tick. */
async function moreBarsThan(before: number): Promise<void> {
  await page.waitForFunction((count) => Number(document.getElementById("bar-count")?.textContent) > count, before, { timeout: 5_000 });
}

/** Every panel live, with every quote row fresh: what a user sees as "all current". */
async function allLive(timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    ({ names, quoted }) =>
      names.every((name) => document.querySelector<HTMLElement>(`section[data-panel=${name}]`)?.dataset.state === "live") &&
      document.querySelectorAll("#quotes-body tr[data-stale=false]").length === quoted &&
      document.querySelectorAll("tr[data-stale=true]").length === 0 &&
      document.getElementById("status")?.dataset.state === "open",
    { names: [...PANELS], quoted: QUOTED },
    { timeout },
  );
}

/** Waits until every panel that showed data is stale and the header says reconnecting. */
async function allStale(): Promise<void> {
  await page.waitForFunction(
    (names) =>
      document.getElementById("status")?.dataset.state === "reconnecting" &&
      names.every((name) => document.querySelector<HTMLElement>(`section[data-panel=${name}]`)?.dataset.state === "stale"),
    [...PANELS],
    { timeout: 10_000 },
  );
}

/** Places a market order with the form and waits until it is filled and its execution and position are shown. */
async function placeFilledOrder(symbol: string, qty: number): Promise<void> {
  await page.fill("#order-form input[name=symbol]", symbol);
  await page.fill("#order-form input[name=qty]", String(qty));
  await page.click("#place-order");
  await page.waitForFunction(
    (symbol) =>
      [...document.querySelectorAll("#orders-body tr[data-status=filled]")].some((row) => row.textContent?.includes(symbol)) &&
      [...document.querySelectorAll("#executions-body tr[data-execution-id]")].some((row) => row.textContent?.includes(symbol)) &&
      document.querySelector(`#positions-body tr[data-symbol="${symbol}"]`) !== null,
    symbol,
    { timeout: 20_000 },
  );
}

describe("the demo page across a network drop and a server restart", () => {
  it("shows live data in every panel", async () => {
    await allLive();
    await placeFilledOrder("NVDA", 5);
    expect(await text("#status")).toBe("datafeed: open · broker: open");
    expect(await barCount()).toBeGreaterThan(0);
    expect(await page.isHidden("#delivery-notice")).toBe(true);
  }, 60_000);

  it("after a network drop: stale while down, then reconnected, resubscribed and current in every panel", async () => {
    const barsBefore = await barCount();
    proxy.drop(3_000);
    await allStale();
    expect(await text("#bars-state")).toBe("stale: reconnecting");
    await page.screenshot({ path: join(SCREENSHOTS, "demo-recovery-stale.png"), fullPage: true });
    await allLive();
    await moreBarsThan(barsBefore);
    // Each panel says how its resubscribe went: recovered (the server replayed what was missed), or resynced and why.
    // The page is its topics' only subscriber; broker topics linger 30 s (ws.ts), so the 3 s drop is recovered there.
    // Datafeed topics linger 5 s, which the reconnect's backoff may pass: recovered or resynced.
    for (const name of PANELS)
      expect({ name, delivery: await text(`#${name}-delivery`) }).toEqual({
        name,
        delivery: expect.stringMatching(["orders", "positions", "executions"].includes(name) ? /^recovered/ : /^(recovered|resynced \()/),
      });
    const resynced = [];
    for (const name of PANELS) if ((await text(`#${name}-delivery`)).startsWith("resynced")) resynced.push(name);
    if (resynced.length > 0) expect(await text("#delivery-notice")).toMatch(/^Resynced at .*\((epoch|trimmed|expired|ahead|too_large|gap)/);
    // The order from before the drop is still shown (reloaded over HTTP or replayed), and its position.
    expect(await text("#orders-body")).toContain("NVDA");
    expect(await text("#positions-body")).toContain("NVDA");
    expect(await text("#executions-body")).toContain("NVDA");
    if ((await text("#executions-delivery")).startsWith("resynced")) {
      expect(await text("#executions-body tr[data-gap=true]")).toMatch(/^resynced \(epoch\) at .*: earlier executions may be missing$/);
    }
    expect(await text("#delivery-log")).toMatch(/broker connection: reconnecting/);
  }, 60_000);

  it("after a server restart on the same port: reconnects by itself, says it resynced (epoch), and shows fresh data", async () => {
    const port = example.port;
    expect(await example.stop("SIGTERM")).toBe(0);
    await allStale();
    // Down for a while: nothing turns live by itself, every panel stays marked stale.
    await page.waitForTimeout(1_000);
    expect(Object.values(await panelStates())).toEqual(PANELS.map(() => "stale"));
    const barsBefore = await barCount();
    example = await startExample({ ...ENV, PORT: String(port) });
    await allLive(40_000);
    expect(await text("#status")).toBe("datafeed: open · broker: open");
    // The restarted server has other streams: every panel was told of a new epoch, and says so.
    for (const name of PANELS)
      expect({ name, delivery: await text(`#${name}-delivery`) }).toEqual({ name, delivery: expect.stringMatching(/^resynced \(epoch\)/) });
    const notice = await text("#delivery-notice");
    expect(notice).toMatch(/^Resynced at /);
    for (const label of [
      "bars AAPL · 1D (epoch)",
      "quotes AAPL,MSFT,NVDA,TSLA (epoch)",
      "orders ACC-1 (epoch): reloaded from the server (0 orders)",
    ]) {
      expect(notice).toContain(label);
    }
    expect(notice).toContain("executions ACC-1 (epoch): earlier executions may be missing");
    expect(await page.getAttribute("#delivery-notice", "data-reason")).toBe("epoch");
    // Fresh data after the restart: new bars, a quote per symbol, and the broker's state as the new process has it.
    await moreBarsThan(barsBefore);
    expect(await page.locator("#quotes-body tr[data-stale=false]").count()).toBe(QUOTED);
    expect(await text("#orders-body")).toBe("no orders");
    expect(await text("#positions-body")).toBe("no positions");
    expect(await text("#executions-body tr[data-gap=true]")).toMatch(/earlier executions may be missing/);
    // And it is live: an order placed now shows in orders, executions and positions.
    await placeFilledOrder("TSLA", 3);
    await page.screenshot({ path: join(SCREENSHOTS, "demo-recovery.png"), fullPage: true });
  }, 90_000);

  it("ran without page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
