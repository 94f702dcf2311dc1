/**
 * The broker's HTTP endpoints, beside its WebSocket routes, as an Express
 * router mounted at /api/v1/broker:
 *   POST   /orders            place an order (201 PlacedOrder, 400 zod issues)
 *   GET    /orders?accountId  the account's orders
 *   DELETE /orders/:id        cancel a working order
 *   GET    /positions?accountId
 *
 * Authentication is the router's first middleware, so it runs for exactly
 * the requests the router serves: the path Express matched is the path the
 * decision was made on (no prefix test of the raw URL that `/./` or `/x/../`
 * could step around). Each endpoint then authorizes the account it touches.
 */
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { OrderRequest } from "../../models/broker.js";
import type { Trader } from "../../auth.js";
import { CancelError, type BrokerService } from "./service.js";

/** How the router learns who calls: undefined when authentication is off (every account open). */
export interface BrokerHttpAuth {
  /** The caller's trader, or null when the request carries no valid token. */
  traderOf(request: Request): Promise<Trader | null>;
}

/** The caller, set by the authentication middleware; absent when authentication is off. */
type Locals = { trader?: Trader };

export function createBrokerRouter(broker: BrokerService, auth: BrokerHttpAuth | undefined): Router {
  const router = express.Router({ caseSensitive: true, strict: false });
  if (auth !== undefined) {
    router.use((request: Request, response: Response<unknown, Locals>, next: NextFunction) => {
      auth.traderOf(request).then((trader) => {
        if (trader === null) {
          response
            .status(401)
            .set("www-authenticate", "Bearer")
            .json({ error: "authentication required: Authorization: Bearer <jwt>, a token cookie or ?token=<jwt>" });
        } else {
          response.locals.trader = trader;
          next();
        }
      }, next);
    });
  }
  router.use(express.json({ limit: "64kb" }));

  router.get("/orders", (request, response: Response<unknown, Locals>) => {
    const accountId = accountOf(request, response);
    if (accountId !== undefined) response.json(broker.ordersOf(accountId));
  });
  router.post("/orders", (request: Request, response: Response<unknown, Locals>) => {
    const parsed = OrderRequest.safeParse(request.body);
    if (!parsed.success) {
      response.status(400).json({ error: "invalid order", issues: parsed.error.issues });
      return;
    }
    if (!mayUse(response, parsed.data.accountId)) return;
    response.status(201).json(broker.placeOrder(parsed.data));
  });
  router.delete("/orders/:id", (request: Request<{ id: string }>, response: Response<unknown, Locals>) => {
    const order = broker.order(request.params.id);
    if (order !== undefined && !mayUse(response, order.accountId)) return;
    try {
      response.json(broker.cancelOrder(request.params.id));
    } catch (error) {
      if (!(error instanceof CancelError)) throw error;
      response.status(error.status).json({ error: error.message });
    }
  });
  router.get("/positions", (request, response: Response<unknown, Locals>) => {
    const accountId = accountOf(request, response);
    if (accountId !== undefined) response.json(broker.positionsOf(accountId));
  });
  router.all(["/orders", "/orders/:id", "/positions"], (_request, response) => {
    response.status(405).json({ error: "method not allowed" });
  });
  return router;
}

/** The `accountId` query parameter, when present and the caller's; otherwise answers 400 or 403 and returns undefined. */
function accountOf(request: Request, response: Response<unknown, Locals>): string | undefined {
  const accountId = request.query.accountId;
  if (typeof accountId !== "string" || accountId.length === 0) {
    response.status(400).json({ error: "accountId query parameter is required" });
    return undefined;
  }
  return mayUse(response, accountId) ? accountId : undefined;
}

/** Whether the caller may use `accountId` (always, with authentication off); answers 403 when not. */
function mayUse(response: Response<unknown, Locals>, accountId: string): boolean {
  const { trader } = response.locals;
  if (trader === undefined || trader.accounts.includes(accountId)) return true;
  response.status(403).json({ error: "this account is not yours" });
  return false;
}
