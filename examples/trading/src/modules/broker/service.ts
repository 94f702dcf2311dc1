/**
 * The broker service: a simulated account book. Orders placed over HTTP are
 * published to `orders` subscribers as they change (working → filled, or
 * canceled); fills emit executions and update positions. Market orders fill
 * on the next matching tick; limit orders fill when the simulated price
 * crosses their limit.
 *
 * Every update is published by the request of the topic it belongs to
 * (`publishTo`), so with a broker shared by several processes it reaches
 * every subscriber of every one of them. The book itself is this process's
 * memory: its HTTP lists and cancels know the orders placed here.
 */
import { randomUUID } from "node:crypto";
import { LiveTopics } from "wsgen";
import type {
  AccountSubscriptionRequest,
  Execution,
  ExecutionSubscriptionRequest,
  OrderRequest,
  PlacedOrder,
  Position,
} from "../../models/broker.js";
import { round, type Market } from "../../market.js";

export interface BrokerOptions {
  market: Market;
  /** Milliseconds between matching passes while orders are working. */
  tickMs: number;
}

type Holding = { qty: number; avgPrice: number };

export class CancelError extends Error {
  constructor(
    readonly status: 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

export class BrokerService {
  readonly orders = new LiveTopics<AccountSubscriptionRequest, PlacedOrder>();
  readonly positions = new LiveTopics<AccountSubscriptionRequest, Position>();
  readonly executions = new LiveTopics<ExecutionSubscriptionRequest, Execution>();
  readonly #book = new Map<string, PlacedOrder>();
  readonly #holdings = new Map<string, Map<string, Holding>>();
  readonly #options: BrokerOptions;
  #matching: NodeJS.Timeout | undefined;

  constructor(options: BrokerOptions) {
    this.#options = options;
  }

  placeOrder(request: OrderRequest): PlacedOrder {
    const order: PlacedOrder = {
      id: randomUUID(),
      accountId: request.accountId,
      symbol: request.symbol,
      side: request.side,
      type: request.type,
      qty: request.qty,
      ...(request.type === "limit" ? { limitPrice: request.limitPrice } : {}),
      status: "working",
      filledQty: 0,
      updatedAt: Date.now(),
    };
    this.#book.set(order.id, order);
    this.#publishOrder(order);
    this.#startMatching();
    return order;
  }

  cancelOrder(id: string): PlacedOrder {
    const order = this.#book.get(id);
    // The messages name nothing of the request: they become HTTP bodies, and an id from the path is the caller's text.
    if (order === undefined) throw new CancelError(404, "no such order");
    if (order.status !== "working") throw new CancelError(409, `the order is ${order.status}`);
    const canceled: PlacedOrder = { ...order, status: "canceled", updatedAt: Date.now() };
    this.#book.set(id, canceled);
    this.#publishOrder(canceled);
    return canceled;
  }

  order(id: string): PlacedOrder | undefined {
    return this.#book.get(id);
  }

  ordersOf(accountId: string): PlacedOrder[] {
    return [...this.#book.values()].filter((order) => order.accountId === accountId);
  }

  positionsOf(accountId: string): Position[] {
    return [...(this.#holdings.get(accountId) ?? new Map<string, Holding>())].map(([symbol, holding]) =>
      this.#position(accountId, symbol, holding),
    );
  }

  stop(): void {
    clearInterval(this.#matching);
    this.#matching = undefined;
  }

  #startMatching(): void {
    this.#matching ??= setInterval(() => this.#match(), Math.max(1, this.#options.tickMs));
  }

  /** One matching pass: market orders fill at the price, limit orders when it crosses their limit. */
  #match(): void {
    const working = [...this.#book.values()].filter((order) => order.status === "working");
    if (working.length === 0) {
      this.stop();
      return;
    }
    const prices = new Map<string, number>();
    for (const order of working) {
      let price = prices.get(order.symbol);
      if (price === undefined) {
        price = this.#options.market.step(order.symbol);
        prices.set(order.symbol, price);
      }
      const limit = order.limitPrice ?? price;
      const crosses = order.type === "market" || (order.side === "buy" ? price <= limit : price >= limit);
      if (crosses) this.#fill(order, order.type === "market" ? price : limit);
    }
  }

  #fill(order: PlacedOrder, price: number): void {
    const now = Date.now();
    const filled: PlacedOrder = { ...order, status: "filled", filledQty: order.qty, avgPrice: price, updatedAt: now };
    this.#book.set(order.id, filled);
    this.#publishOrder(filled);
    const execution: Execution = {
      id: randomUUID(),
      orderId: order.id,
      accountId: order.accountId,
      symbol: order.symbol,
      side: order.side,
      qty: order.qty,
      price,
      time: now,
    };
    // An execution belongs to two topics: the account's and the account's for its symbol. Each is named by its request,
    // so the publish reaches every process of a cluster (a predicate would reach only the topics produced here).
    for (const request of [{ accountId: order.accountId }, { accountId: order.accountId, symbol: order.symbol }]) {
      this.executions.publishTo(request, execution).catch(reportPublishFailure);
    }
    const holding = this.#applyFill(order.accountId, order.symbol, order.side === "buy" ? order.qty : -order.qty, price);
    const position = this.#position(order.accountId, order.symbol, holding);
    // The one topic the account's positions are: a lookup by topic, not a scan of every live one.
    this.positions.publishTo({ accountId: order.accountId }, position).catch(reportPublishFailure);
  }

  /** Updates the holding: average price on additions, kept on reductions, reset when the side flips. */
  #applyFill(accountId: string, symbol: string, signedQty: number, price: number): Holding {
    let holdings = this.#holdings.get(accountId);
    if (holdings === undefined) {
      holdings = new Map();
      this.#holdings.set(accountId, holdings);
    }
    const current = holdings.get(symbol) ?? { qty: 0, avgPrice: 0 };
    const qty = current.qty + signedQty;
    let avgPrice = current.avgPrice;
    if (current.qty === 0 || Math.sign(current.qty) === Math.sign(signedQty)) {
      avgPrice = (current.avgPrice * Math.abs(current.qty) + price * Math.abs(signedQty)) / Math.abs(qty);
    } else if (Math.sign(qty) !== Math.sign(current.qty)) {
      avgPrice = qty === 0 ? 0 : price;
    }
    const holding = { qty, avgPrice: round(avgPrice) };
    holdings.set(symbol, holding);
    return holding;
  }

  #position(accountId: string, symbol: string, holding: Holding): Position {
    const price = this.#options.market.price(symbol);
    return {
      accountId,
      symbol,
      qty: holding.qty,
      avgPrice: holding.avgPrice,
      unrealizedPnl: round((price - holding.avgPrice) * holding.qty),
    };
  }

  #publishOrder(order: PlacedOrder): void {
    this.orders.publishTo({ accountId: order.accountId }, order).catch(reportPublishFailure);
  }
}

/** A publish the route refused (data that does not match its model): a bug here, so say it loudly, but keep serving. */
function reportPublishFailure(error: unknown): void {
  console.error("[trading] publish refused:", error);
}
