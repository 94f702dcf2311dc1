/**
 * The datafeed module: its service and its generated routers, ready to mount.
 * Their delivery (latest value, conflation) is declared in ws.ts.
 */
import { defineModule, type WsModuleDefinition } from "wsgen";
import type { Market } from "../../market.js";
import { DatafeedService } from "./service.js";
import { BarWsRouter, QuoteWsRouter } from "./ws_generated/index.js";

/** `lingerMs`, when given, overrides the linger ws.ts declares (tests). */
export function createDatafeedModule(options: { market: Market; tickMs: number; lingerMs?: number | undefined }): {
  module: WsModuleDefinition;
  service: DatafeedService;
} {
  const service = new DatafeedService(options);
  const module = defineModule({
    name: "datafeed",
    routes: [
      new BarWsRouter({ service: service.bars, lingerMs: options.lingerMs }),
      new QuoteWsRouter({ service: service.quotes, lingerMs: options.lingerMs }),
    ],
  });
  return { module, service };
}
