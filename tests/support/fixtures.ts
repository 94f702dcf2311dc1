/**
 * Hand-written routes standing in for generated ones, and a service that
 * records every createTopic/removeTopic call, for the runtime tests.
 */
import { z } from "zod";
import { WsRoute, type RouteOptions, type TopicContext, type TopicUpdater, type WsRouteService } from "wsgen";

export const BarSubscriptionRequest = z.object({ symbol: z.string().min(1), resolution: z.string().default("1D") });
export type BarSubscriptionRequest = z.infer<typeof BarSubscriptionRequest>;
export const Bar = z.object({
  time: z.number(),
  open: z.number(),
  high: z.number(),
  low: z.number(),
  close: z.number(),
  volume: z.number(),
});
export type Bar = z.infer<typeof Bar>;

export const OrderSubscriptionRequest = z.object({ accountId: z.string() });
export type OrderSubscriptionRequest = z.infer<typeof OrderSubscriptionRequest>;
export const PlacedOrder = z.object({ id: z.string(), symbol: z.string(), qty: z.number() });
export type PlacedOrder = z.infer<typeof PlacedOrder>;

/** Hand-written routes name their route (a generated class fixes it). */
type FixtureOptions<Req, Data> = RouteOptions<Req, Data> & { route: string };

/** What the generator emits for `type BarWsRouter = WsRouter<BarSubscriptionRequest, Bar>`. */
export class BarWsRouter extends WsRoute<BarSubscriptionRequest, Bar> {
  constructor(options: FixtureOptions<BarSubscriptionRequest, Bar>) {
    super({ ...options, request: BarSubscriptionRequest, data: Bar, requestName: "BarSubscriptionRequest", dataName: "Bar" });
  }
}

export class OrderWsRouter extends WsRoute<OrderSubscriptionRequest, PlacedOrder> {
  constructor(options: FixtureOptions<OrderSubscriptionRequest, PlacedOrder>) {
    super({
      ...options,
      request: OrderSubscriptionRequest,
      data: PlacedOrder,
      requestName: "OrderSubscriptionRequest",
      dataName: "PlacedOrder",
    });
  }
}

/** `failed` follows a `create` whose createTopic threw. */
/** A route class for a test's own schemas, shaped like a generated one (see BarWsRouter). */
export function routeClass<Req, Data>(request: z.ZodType<Req>, data: z.ZodType<Data>, requestName: string, dataName: string) {
  return class extends WsRoute<Req, Data> {
    constructor(options: FixtureOptions<Req, Data>) {
      super({ ...options, request, data, requestName, dataName });
    }
  };
}

export type ServiceCall = { kind: "create" | "failed" | "remove"; topic: string };

/** A service that records calls and keeps each live topic's updater, so tests can publish. */
export class RecordingService<Req, Data> implements WsRouteService<Req, Data> {
  readonly calls: ServiceCall[] = [];
  readonly live = new Map<string, TopicUpdater<Data>>();
  readonly contexts = new Map<string, TopicContext<Req>>();
  /** Set to make the next createTopic calls fail (or be slow). */
  createBehaviour: (topic: string) => void | Promise<void> = () => undefined;

  async createTopic(topic: string, topicUpdate: TopicUpdater<Data>, context: TopicContext<Req>): Promise<void> {
    this.calls.push({ kind: "create", topic });
    try {
      await this.createBehaviour(topic);
    } catch (error) {
      this.calls.push({ kind: "failed", topic });
      throw error;
    }
    this.live.set(topic, topicUpdate);
    this.contexts.set(topic, context);
  }

  removeTopic(topic: string): void {
    this.calls.push({ kind: "remove", topic });
    this.live.delete(topic);
    this.contexts.delete(topic);
  }

  count(kind: ServiceCall["kind"], topic?: string): number {
    return this.calls.filter((call) => call.kind === kind && (topic === undefined || call.topic === topic)).length;
  }

  publish(topic: string, data: Data): void {
    const update = this.live.get(topic);
    if (update === undefined) throw new Error(`topic ${topic} is not live`);
    update(data);
  }
}

export const bar = (close: number): Bar => ({ time: 1_700_000_000_000 + close, open: close, high: close, low: close, close, volume: 1 });
