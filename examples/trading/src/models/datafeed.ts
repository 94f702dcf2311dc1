/** Market-data models of the datafeed module: each a zod schema and a type of the same name. */
import { z } from "zod";

export const BarSubscriptionRequest = z.object({
  symbol: z.string().min(1).max(16).describe("Ticker, e.g. AAPL"),
  resolution: z.string().min(1).max(8).describe("Bar length, e.g. 1, 5, 60, 1D"),
});
export type BarSubscriptionRequest = z.infer<typeof BarSubscriptionRequest>;

export const Bar = z.object({
  time: z.number().describe("Bar open time, epoch milliseconds"),
  open: z.number(),
  high: z.number(),
  low: z.number(),
  close: z.number(),
  volume: z.number(),
});
export type Bar = z.infer<typeof Bar>;

export const QuoteSubscriptionRequest = z.object({
  symbols: z.array(z.string().min(1).max(16)).min(1).max(50).describe("Tickers to quote"),
});
export type QuoteSubscriptionRequest = z.infer<typeof QuoteSubscriptionRequest>;

export const Quote = z.object({
  symbol: z.string(),
  bid: z.number(),
  ask: z.number(),
  last: z.number(),
  time: z.number().describe("Epoch milliseconds"),
});
export type Quote = z.infer<typeof Quote>;
