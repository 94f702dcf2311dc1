/**
 * The demo page at `/` in real headless Chromium: the chart receives bars
 * through the generated client, and an order placed with the form appears
 * in the orders table (working, then filled). A screenshot is saved.
 */
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTradingApp, type TradingApp } from "../examples/trading/src/app.js";
import { launchBrowser, SCREENSHOTS } from "./support/browser.js";

let app: TradingApp;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  app = createTradingApp({ tickMs: 50 });
  await new Promise<void>((resolve) => app.server.listen(0, "127.0.0.1", resolve));
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const demoState = (): Promise<{ barsReceived: number; orders: number; statuses: string[] }> =>
  page.evaluate(() => {
    const demo = (window as unknown as { demo: { barsReceived: number; orders: Map<string, { status: string }> } }).demo;
    return { barsReceived: demo.barsReceived, orders: demo.orders.size, statuses: [...demo.orders.values()].map((order) => order.status) };
  });

describe("demo page", () => {
  it("draws bars arriving over the socket for the chosen symbol", async () => {
    await page.waitForFunction(() => Number(document.getElementById("bar-count")?.textContent) >= 3, undefined, { timeout: 20_000 });
    expect((await demoState()).barsReceived).toBeGreaterThanOrEqual(3);
    expect(await page.textContent("#chart-title")).toBe("AAPL · 1D");
    expect(await page.textContent("#status")).toContain("datafeed: open");
    // Switching symbols moves the subscription: one bars topic stays live.
    await page.fill("#symbol", "MSFT");
    await page.click("#symbol-form button");
    await page.waitForFunction(() => document.getElementById("chart-title")?.textContent === "MSFT · 1D");
    await page.waitForFunction(() => Number(document.getElementById("bar-count")?.textContent) >= 6, undefined, { timeout: 20_000 });
    expect(app.ws.stats().modules.datafeed!.routes.bars!.topics).toBe(1);
  }, 40_000);

  it("shows an order placed with the form in the orders table, then filled", async () => {
    await page.fill("#order-form input[name=symbol]", "NVDA");
    await page.fill("#order-form input[name=qty]", "5");
    await page.click("#place-order");
    await page.waitForSelector("#orders-body tr[data-status=filled]", { timeout: 20_000 });
    const row = await page.textContent("#orders-body tr[data-status=filled]");
    expect(row).toContain("NVDA");
    expect(row).toContain("buy");
    await page.waitForFunction(() => document.getElementById("positions-body")?.textContent?.includes("NVDA"), undefined, {
      timeout: 20_000,
    });
    expect((await demoState()).statuses).toContain("filled");
    await page.screenshot({ path: join(SCREENSHOTS, "demo.png") });
  }, 40_000);

  it("shows the server's validation message for a bad order", async () => {
    await page.fill("#order-form input[name=qty]", "-3");
    await page.click("#place-order");
    await page.waitForFunction(() => (document.getElementById("order-error")?.textContent ?? "").includes("qty"), undefined, {
      timeout: 10_000,
    });
    expect(await page.textContent("#order-error")).toMatch(/invalid order: qty/);
  });

  it("ran without page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
