/** The broker module: its service, its generated routers and its HTTP endpoints. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { defineModule, type WsModuleDefinition } from "wsgen";
import type { Market } from "../../market.js";
import { createBrokerHttpHandler } from "./http.js";
import { BrokerService } from "./service.js";
import { ExecutionWsRouter, OrderWsRouter, PositionWsRouter } from "./ws_generated/index.js";

export function createBrokerModule(options: { market: Market; tickMs: number }): {
  module: WsModuleDefinition;
  service: BrokerService;
  handleHttp: (request: IncomingMessage, response: ServerResponse) => boolean;
} {
  const service = new BrokerService(options);
  const module = defineModule({
    name: "broker",
    routes: [
      new OrderWsRouter({ service: service.orders }),
      new PositionWsRouter({ service: service.positions }),
      new ExecutionWsRouter({ service: service.executions }),
    ],
  });
  return { module, service, handleHttp: createBrokerHttpHandler(service) };
}
