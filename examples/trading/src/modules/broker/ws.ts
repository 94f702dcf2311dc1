/**
 * The broker routes. Positions are state (latest value kept: a new
 * subscriber gets the position that changed last at once); a topic holds
 * every position of an account, one symbol per update, so a lagging client
 * must not be conflated to the newest (it would lose the other symbols'):
 * it skips and catches up from the history. Orders and executions are events, replayed from
 * history to a page that resubscribes after a drop or lagged (the default
 * 100 updates within 2 minutes per account is far more than a trader's
 * orders in that time), never summed up by a latest value. Each lingers 30 s
 * after its last subscriber leaves, so a page that was an account's only
 * subscriber recovers across a drop or a reload instead of resyncing.
 */
import type { WsRouter } from "wsgen";
import type { AccountSubscriptionRequest, Execution, ExecutionSubscriptionRequest, PlacedOrder, Position } from "../../models/broker.js";

/**
 * Orders of one account, each time one is placed or changes state.
 * @route orders
 * @lagPolicy skip
 * @lingerMs 30_000
 */
export type OrderWsRouter = WsRouter<AccountSubscriptionRequest, PlacedOrder>;

/**
 * Positions of one account, each time a fill changes one.
 * @route positions
 * @latestValue
 * @lagPolicy skip
 * @lingerMs 30_000
 */
export type PositionWsRouter = WsRouter<AccountSubscriptionRequest, Position>;

/**
 * Executions (fills) of one account, optionally of one symbol.
 * @route executions
 * @lagPolicy skip
 * @lingerMs 30_000
 */
export type ExecutionWsRouter = WsRouter<ExecutionSubscriptionRequest, Execution>;
