import type { WsRouter } from "wsgen";
import type { AccountSubscriptionRequest, Execution, ExecutionSubscriptionRequest, PlacedOrder, Position } from "../../models/broker.js";

/**
 * Orders of one account, each time one is placed or changes state.
 * @route orders
 */
export type OrderWsRouter = WsRouter<AccountSubscriptionRequest, PlacedOrder>;

/**
 * Positions of one account, each time a fill changes one.
 * @route positions
 */
export type PositionWsRouter = WsRouter<AccountSubscriptionRequest, Position>;

/**
 * Executions (fills) of one account, optionally of one symbol.
 * @route executions
 */
export type ExecutionWsRouter = WsRouter<ExecutionSubscriptionRequest, Execution>;
