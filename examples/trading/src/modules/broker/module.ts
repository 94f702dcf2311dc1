/**
 * The broker module: its service, its generated routers and its HTTP
 * endpoints. Every broker subscription names an `accountId`; a trader may
 * subscribe to their own accounts only, on every route, on every subscribe.
 * Their delivery (latest value, lag policy) is declared in ws.ts.
 */
import type { Router } from "express";
import { defineModule, type SubscribeAttempt, type WsModuleDefinition } from "wsgen";
import type { Trader } from "../../auth.js";
import type { Market } from "../../market.js";
import { createBrokerRouter, type BrokerHttpAuth } from "./http.js";
import { BrokerService } from "./service.js";
import { ExecutionWsRouter, OrderWsRouter, PositionWsRouter } from "./ws_generated/index.js";

/** The user of a broker connection: a verified trader, or null when the app runs without authentication. */
export type BrokerUser = Trader | null;

/** Admits a trader on their own accounts; everyone when authentication is off. */
export function ownAccountsOnly({ user, request }: SubscribeAttempt<BrokerUser, { accountId: string }>): true | string {
  return user === null || user.accounts.includes(request.accountId) || `account ${request.accountId} is not one of ${user.sub}'s accounts`;
}

/** `lingerMs`, when given, overrides the linger ws.ts declares (tests). */
export function createBrokerModule(options: {
  market: Market;
  tickMs: number;
  lingerMs?: number | undefined;
  auth?: BrokerHttpAuth | undefined;
}): {
  module: WsModuleDefinition<BrokerUser>;
  service: BrokerService;
  router: Router;
} {
  const service = new BrokerService(options);
  const { lingerMs } = options;
  const module = defineModule<BrokerUser>({
    name: "broker",
    routes: [
      new OrderWsRouter<BrokerUser>({ service: service.orders, authorize: ownAccountsOnly, lingerMs }),
      new PositionWsRouter<BrokerUser>({ service: service.positions, authorize: ownAccountsOnly, lingerMs }),
      new ExecutionWsRouter<BrokerUser>({ service: service.executions, authorize: ownAccountsOnly, lingerMs }),
    ],
  });
  return { module, service, router: createBrokerRouter(service, options.auth) };
}
