/**
 * The AsyncAPI viewer pages of the example in real headless Chromium: every
 * operation of each module, and of the merged document, is shown. Screenshots
 * go to test-output/screenshots/.
 */
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTradingApp, type TradingApp } from "../examples/trading/src/app.js";
import { launchBrowser, SCREENSHOTS } from "./support/browser.js";

let app: TradingApp;
let browser: Browser;
let base: string;

beforeAll(async () => {
  app = createTradingApp({ tickMs: 1000 });
  await new Promise<void>((resolve) => app.server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const operations = (routes: string[]): string[] =>
  routes.flatMap((route) => [`${route}.subscribe`, `${route}.unsubscribe`, `${route}.update`]);

describe("AsyncAPI viewer in Chromium", () => {
  it.each([
    ["datafeed", "/api/v1/datafeed/ws/asyncapi", operations(["bars", "quotes"])],
    ["broker", "/api/v1/broker/ws/asyncapi", operations(["orders", "positions", "executions"])],
    [
      "merged",
      "/api/v1/ws/asyncapi",
      [
        ...operations(["bars", "quotes"]).map((name) => `datafeed.${name}`),
        ...operations(["orders", "positions", "executions"]).map((name) => `broker.${name}`),
      ],
    ],
  ])(
    "shows every operation of the %s document",
    async (name, path, expected) => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const failed: string[] = [];
      page.on("requestfailed", (request) => failed.push(request.url()));
      await page.goto(`${base}${path}`);
      await page.waitForFunction(() => document.body.innerText.includes("Operation ID"), undefined, { timeout: 20_000 });
      const text = await page.evaluate(() => document.body.innerText);
      for (const operation of [...expected, "ping", "error"]) expect(text, operation).toContain(operation);
      // Channels are shown by their addresses.
      for (const module of name === "merged" ? ["datafeed", "broker"] : [name]) expect(text).toContain(`/api/v1/${module}/ws`);
      await page.screenshot({ path: join(SCREENSHOTS, `asyncapi-${name}.png`), fullPage: false });
      // Everything the page loads comes from this server: it works offline.
      expect(failed).toEqual([]);
      await page.close();
    },
    40_000,
  );
});
