/** Models of the fan-out benchmark: the example's bars request, and a bar stamped with send time and sequence. */
import { z } from "zod";

export const BarSubscriptionRequest = z.object({ symbol: z.string(), resolution: z.string() });
export type BarSubscriptionRequest = z.infer<typeof BarSubscriptionRequest>;

export const StampedBar = z.object({
  t: z.number().describe("Send time: performance.timeOrigin + performance.now(), ms"),
  due: z.number().describe("When the slot became due on the publisher's schedule, same clock as t (equals t in burst)"),
  seq: z.number().describe("Publish slot number, from 1"),
  open: z.number(),
  high: z.number(),
  low: z.number(),
  close: z.number(),
  volume: z.number(),
});
export type StampedBar = z.infer<typeof StampedBar>;
