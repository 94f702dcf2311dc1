/**
 * The ticks route's models and client contract (module `ticks`, route
 * `ticks`: `{name}` → `{n}`), browser-safe so that the browser tests can
 * bundle it beside the client.
 */
import { z } from "zod";

export const Tick = z.object({ n: z.number() });
export type Tick = z.infer<typeof Tick>;
export const TickRequest = z.object({ name: z.string() });
export type TickRequest = z.infer<typeof TickRequest>;

export const ticksContract = { ticks: { ticks: { route: "ticks", request: TickRequest, data: Tick } } } as const;
