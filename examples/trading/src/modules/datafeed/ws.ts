import type { WsRouter } from "wsgen";
import type { Bar, BarSubscriptionRequest, Quote, QuoteSubscriptionRequest } from "../../models/datafeed.js";

/**
 * OHLCV bars of one symbol at one resolution, one per tick.
 * @route bars
 */
export type BarWsRouter = WsRouter<BarSubscriptionRequest, Bar>;

/**
 * Quotes of a list of symbols, one per tick, round robin.
 * @route quotes
 */
export type QuoteWsRouter = WsRouter<QuoteSubscriptionRequest, Quote>;
