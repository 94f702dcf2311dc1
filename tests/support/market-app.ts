/**
 * The two-module app most runtime tests run against: `bars` in module
 * `datafeed` and `orders` in module `broker`, each on a RecordingService,
 * with every reported error collected.
 */
import {
  BarWsRouter,
  OrderWsRouter,
  RecordingService,
  type Bar,
  type BarSubscriptionRequest,
  type OrderSubscriptionRequest,
  type PlacedOrder,
} from "./fixtures.js";
import { startApp, type RunningApp } from "./server.js";

export interface MarketApp {
  running: RunningApp;
  bars: RecordingService<BarSubscriptionRequest, Bar>;
  orders: RecordingService<OrderSubscriptionRequest, PlacedOrder>;
}

/** Starts the app on a free port; errors it reports are pushed to `reported` (emptied first). */
export async function startMarketApp(reported: unknown[]): Promise<MarketApp> {
  reported.length = 0;
  const bars = new RecordingService<BarSubscriptionRequest, Bar>();
  const orders = new RecordingService<OrderSubscriptionRequest, PlacedOrder>();
  const running = await startApp({
    modules: [
      { name: "datafeed", routes: [new BarWsRouter({ route: "bars", service: bars, queueCapacity: 1000 })] },
      { name: "broker", routes: [new OrderWsRouter({ route: "orders", service: orders })] },
    ],
    onError: (error) => reported.push(error),
  });
  return { running, bars, orders };
}
