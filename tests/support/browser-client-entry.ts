/**
 * What the browser tests of the client load into a page: the client and the
 * ticks contract, on `window.wsgen`. Bundled by tests/support/browser.ts.
 */
import { createClient, WsHandshakeError } from "wsgen/client";
import { ticksContract } from "./ticks-contract.js";

export interface BrowserClientEntry {
  createClient: typeof createClient;
  WsHandshakeError: typeof WsHandshakeError;
  ticksContract: typeof ticksContract;
}

(globalThis as unknown as { wsgen: BrowserClientEntry }).wsgen = { createClient, WsHandshakeError, ticksContract };
