/**
 * The datafeed module: its service and its generated routers, ready to mount.
 * Bars and quotes are state: each route keeps its topics' latest value, so a
 * page that subscribes, or resubscribes after a drop it could not recover,
 * shows the current bar and quote at once instead of a blank or stale panel.
 */
import { defineModule, type WsModuleDefinition } from "wsgen";
import type { Market } from "../../market.js";
import { DatafeedService } from "./service.js";
import { BarWsRouter, QuoteWsRouter } from "./ws_generated/index.js";

export function createDatafeedModule(options: { market: Market; tickMs: number }): {
  module: WsModuleDefinition;
  service: DatafeedService;
} {
  const service = new DatafeedService(options);
  const module = defineModule({
    name: "datafeed",
    routes: [
      new BarWsRouter({ service: service.bars, latestValue: true }),
      new QuoteWsRouter({ service: service.quotes, latestValue: true }),
    ],
  });
  return { module, service };
}
