/**
 * The publish schedule shared by every fan-out target, so they differ only
 * in how they deliver: `rate` messages per second (caught up on each 1 ms
 * timer tick), or "burst": as fast as the process can, 100 per event-loop
 * turn so sockets still get written.
 */
export type Rate = number | "burst";

export interface Stamp {
  t: number;
  seq: number;
}

export const now = (): number => performance.timeOrigin + performance.now();

export function startPacer(rate: Rate, publish: (seq: number) => void): () => void {
  let seq = 0;
  let stopped = false;
  if (rate === "burst") {
    const turn = (): void => {
      if (stopped) return;
      for (let i = 0; i < 100; i++) publish(++seq);
      setImmediate(turn);
    };
    setImmediate(turn);
    return () => (stopped = true);
  }
  const start = performance.now();
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - start) * rate) / 1000);
    while (seq < due) publish(++seq);
  }, 1);
  return () => clearInterval(timer);
}

/** `--port P --rate R|burst`, as every server entry takes them. */
export function serverArgs(argv: readonly string[]): { port: number; rate: Rate } {
  const value = (flag: string): string | undefined => {
    const index = argv.indexOf(flag);
    return index === -1 ? undefined : argv[index + 1];
  };
  const port = Number(value("--port") ?? 8100);
  const rawRate = value("--rate") ?? "1000";
  const rate: Rate = rawRate === "burst" ? "burst" : Number(rawRate);
  if (!Number.isInteger(port) || (rate !== "burst" && !(rate > 0))) {
    console.error("usage: --port <port> --rate <messages per second>|burst");
    process.exit(2);
  }
  return { port, rate };
}

/** A bar stamped with its send time and publish slot. */
export function stampedBar(seq: number): {
  t: number;
  seq: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
} {
  const price = 100 + (seq % 100) / 10;
  return { t: now(), seq, open: price, high: price + 0.5, low: price - 0.5, close: price + 0.1, volume: 1000 + (seq % 500) };
}

export const TOPIC = 'bars:{"resolution":"1D","symbol":"AAPL"}';
