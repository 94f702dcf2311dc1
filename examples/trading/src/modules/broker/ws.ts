/**
 * The broker routes. Positions are state (latest value kept: a new
 * subscriber gets the position that changed last at once; a client that lags
 * gets the newest of each); orders and executions are events, replayed from
 * history to a page that resubscribes after a drop or lagged (the default
 * 100 updates within 2 minutes per account is far more than a trader's
 * orders in that time), never summed up by a latest value.
 */
import type { WsRouter } from "wsgen";
import type { AccountSubscriptionRequest, Execution, ExecutionSubscriptionRequest, PlacedOrder, Position } from "../../models/broker.js";

/**
 * Orders of one account, each time one is placed or changes state.
 * @route orders
 * @lagPolicy skip
 */
export type OrderWsRouter = WsRouter<AccountSubscriptionRequest, PlacedOrder>;

/**
 * Positions of one account, each time a fill changes one.
 * @route positions
 * @latestValue
 * @lagPolicy conflate
 */
export type PositionWsRouter = WsRouter<AccountSubscriptionRequest, Position>;

/**
 * Executions (fills) of one account, optionally of one symbol.
 * @route executions
 * @lagPolicy skip
 */
export type ExecutionWsRouter = WsRouter<ExecutionSubscriptionRequest, Execution>;
