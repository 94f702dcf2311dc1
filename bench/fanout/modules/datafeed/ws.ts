import type { WsRouter } from "wsgen";
import type { BarSubscriptionRequest, StampedBar } from "../../models.js";

/**
 * Bars stamped with their send time, for measuring fan-out latency.
 * @route bars
 */
export type StampedBarWsRouter = WsRouter<BarSubscriptionRequest, StampedBar>;
