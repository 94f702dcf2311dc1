/**
 * A TCP proxy in front of a redis-server that can slow down one kind of a
 * broker's connections: those whose handshake (HELLO … SETNAME <name>) names
 * a client ending in `:commands` or `:pubsub` (redis-link.ts names them so).
 * What a delayed connection sends to Redis (`up`), or receives from it
 * (`down`), is held that long, in order, so a test can make a script's read
 * land before or after messages the other connection carries: the
 * cross-connection races of a feed's merge.
 */
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { tieSockets } from "./tcp-proxy.js";

export interface DelayProxy {
  readonly port: number;
  /** Holds what connections of this kind send to Redis (`up`) or receive from it (`down`) for `ms` (0: no delay). */
  delay(kind: "commands" | "pubsub", ms: number, direction?: "up" | "down"): void;
  close(): Promise<void>;
}

export async function startDelayProxy(targetPort: number): Promise<DelayProxy> {
  const delays = { up: { commands: 0, pubsub: 0 }, down: { commands: 0, pubsub: 0 } };
  const open = new Set<Socket>();
  const server = createServer((incoming) => {
    const outgoing = connect(targetPort, "127.0.0.1");
    let kind: "commands" | "pubsub" | undefined;
    let sniffed = "";
    // Chained so a delayed chunk never overtakes an earlier one.
    const forward = (direction: "up" | "down", to: Socket) => {
      let last = Promise.resolve();
      return (chunk: Buffer): void => {
        const at = Date.now() + (kind === undefined ? 0 : delays[direction][kind]);
        last = last.then(async () => {
          const wait = at - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          if (!to.destroyed) to.write(chunk);
        });
      };
    };
    const up = forward("up", outgoing);
    incoming.on("data", (chunk: Buffer) => {
      if (kind === undefined) {
        sniffed += chunk.toString("latin1");
        if (sniffed.includes(":commands")) kind = "commands";
        else if (sniffed.includes(":pubsub")) kind = "pubsub";
      }
      up(chunk);
    });
    outgoing.on("data", forward("down", incoming));
    tieSockets(open, incoming, outgoing);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    delay(kind, ms, direction = "up") {
      delays[direction][kind] = ms;
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
