/** Trading models of the broker module: each a zod schema and a type of the same name. */
import { z } from "zod";

export const Side = z.enum(["buy", "sell"]);
export type Side = z.infer<typeof Side>;

export const OrderType = z.enum(["market", "limit"]);
export type OrderType = z.infer<typeof OrderType>;

export const OrderStatus = z.enum(["working", "filled", "canceled", "rejected"]);
export type OrderStatus = z.infer<typeof OrderStatus>;

export const AccountSubscriptionRequest = z.object({ accountId: z.string().min(1).max(64) });
export type AccountSubscriptionRequest = z.infer<typeof AccountSubscriptionRequest>;

export const ExecutionSubscriptionRequest = z.object({
  accountId: z.string().min(1).max(64),
  symbol: z.string().min(1).max(16).optional().describe("Only executions of this symbol"),
});
export type ExecutionSubscriptionRequest = z.infer<typeof ExecutionSubscriptionRequest>;

/** The body of `POST /api/v1/broker/orders`. */
export const OrderRequest = z
  .object({
    accountId: z.string().min(1).max(64),
    symbol: z.string().min(1).max(16),
    side: Side,
    type: OrderType,
    qty: z.number().positive(),
    limitPrice: z.number().positive().optional(),
  })
  .refine((order) => order.type === "market" || order.limitPrice !== undefined, {
    message: "limit orders need a limitPrice",
    path: ["limitPrice"],
  });
export type OrderRequest = z.infer<typeof OrderRequest>;

export const PlacedOrder = z.object({
  id: z.string(),
  accountId: z.string(),
  symbol: z.string(),
  side: Side,
  type: OrderType,
  qty: z.number(),
  limitPrice: z.number().optional(),
  status: OrderStatus,
  filledQty: z.number(),
  avgPrice: z.number().optional(),
  updatedAt: z.number().describe("Epoch milliseconds"),
});
export type PlacedOrder = z.infer<typeof PlacedOrder>;

export const Position = z.object({
  accountId: z.string(),
  symbol: z.string(),
  qty: z.number().describe("Signed: negative is short"),
  avgPrice: z.number(),
  unrealizedPnl: z.number(),
});
export type Position = z.infer<typeof Position>;

export const Execution = z.object({
  id: z.string(),
  orderId: z.string(),
  accountId: z.string(),
  symbol: z.string(),
  side: Side,
  qty: z.number(),
  price: z.number(),
  time: z.number().describe("Epoch milliseconds"),
});
export type Execution = z.infer<typeof Execution>;
