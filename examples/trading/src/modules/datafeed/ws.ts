/**
 * The datafeed routes. Bars and quotes are state: each route keeps its
 * topics' latest value, so a page that subscribes, or resubscribes after a
 * drop it could not recover, shows the current bar and quote at once instead
 * of a blank or stale panel. A client that lags gets the newest bar of its
 * topic (conflate: each update is the symbol's bar); quotes skip and catch
 * up from the history instead, since a topic's updates are quotes of
 * several symbols, and the newest alone would leave the others stale.
 * They linger 5 s: a reload recovers, and a producer is not kept long for
 * a symbol nobody watches any more.
 */
import type { WsRouter } from "wsgen";
import type { Bar, BarSubscriptionRequest, Quote, QuoteSubscriptionRequest } from "../../models/datafeed.js";

/**
 * OHLCV bars of one symbol at one resolution, one per tick.
 * @route bars
 * @latestValue
 * @lagPolicy conflate
 * @lingerMs 5_000
 */
export type BarWsRouter = WsRouter<BarSubscriptionRequest, Bar>;

/**
 * Quotes of a list of symbols, one per tick, round robin.
 * @route quotes
 * @latestValue
 * @lagPolicy skip
 * @lingerMs 5_000
 */
export type QuoteWsRouter = WsRouter<QuoteSubscriptionRequest, Quote>;
