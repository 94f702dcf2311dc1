/**
 * The publish schedule shared by every fan-out target, so they differ only
 * in how they deliver: `rate` messages per second (caught up on each 1 ms
 * timer tick), or "burst": as fast as the process can, 100 per event-loop
 * turn so sockets still get written.
 */
export type Rate = number | "burst";

/** A publish slot: its number and when it became due on the schedule (`now()` clock). */
export interface Slot {
  seq: number;
  due: number;
}

export const now = (): number => performance.timeOrigin + performance.now();

/** Slots published by every pacer of this process so far (a server prints it on SIGUSR2, see serverArgs). */
let slotsPublished = 0;

export function startPacer(rate: Rate, publish: (slot: Slot) => void): () => void {
  let seq = 0;
  let stopped = false;
  if (rate === "burst") {
    const turn = (): void => {
      if (stopped) return;
      for (let i = 0; i < 100; i++) publish({ seq: ++seq, due: now() });
      slotsPublished += 100;
      setImmediate(turn);
    };
    setImmediate(turn);
    return () => (stopped = true);
  }
  const start = now();
  const timer = setInterval(() => {
    const dueSlots = Math.floor(((now() - start) * rate) / 1000);
    // A publisher that fell behind catches up slot by slot; `due` keeps how late each one is.
    while (seq < dueSlots) {
      seq += 1;
      slotsPublished += 1;
      publish({ seq, due: start + (seq * 1000) / rate });
    }
  }, 1);
  return () => clearInterval(timer);
}

/**
 * `--port P --rate R|burst`, as every server entry takes them. Also makes
 * SIGTERM a normal exit, so `node --cpu-prof` writes the server's profile,
 * and SIGUSR2 print `slots N`, the slots this process has published so far:
 * bench/cluster counts the updates a service published over a window with
 * it (what its clients saw lags behind when they fall behind).
 */
export function serverArgs(argv: readonly string[]): { port: number; rate: Rate } {
  process.once("SIGTERM", () => process.exit(0));
  process.on("SIGUSR2", () => console.log(`slots ${slotsPublished}`));
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
export function stampedBar({ seq, due }: Slot): {
  t: number;
  due: number;
  seq: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
} {
  const price = 100 + (seq % 100) / 10;
  return { t: now(), due, seq, open: price, high: price + 0.5, low: price - 0.5, close: price + 0.1, volume: 1000 + (seq % 500) };
}

export const TOPIC = 'bars:{"resolution":"1D","symbol":"AAPL"}';
