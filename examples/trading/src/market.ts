/**
 * A simulated market: one random-walk price per symbol, shared by the
 * datafeed (bars, quotes) and the broker (fills, P&L), so a limit order fills
 * when the price the charts show crosses it.
 */
export class Market {
  readonly #prices = new Map<string, number>();
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** The current price, starting from a level derived from the symbol. */
  price(symbol: string): number {
    let price = this.#prices.get(symbol);
    if (price === undefined) {
      price = startingPrice(symbol);
      this.#prices.set(symbol, price);
    }
    return price;
  }

  /** Moves the price one step (±0.5% at most) and returns it. */
  step(symbol: string): number {
    const next = round(Math.max(0.01, this.price(symbol) * (1 + (this.#random() - 0.5) / 100)));
    this.#prices.set(symbol, next);
    return next;
  }

  /** Uniform random number in [0, 1), for volumes and spreads. */
  random(): number {
    return this.#random();
  }
}

export const round = (value: number): number => Math.round(value * 100) / 100;

function startingPrice(symbol: string): number {
  let hash = 0;
  for (const char of symbol) hash = (hash * 31 + char.charCodeAt(0)) % 100_000;
  return 20 + (hash % 480);
}
