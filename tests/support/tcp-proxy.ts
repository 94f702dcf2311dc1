/**
 * A TCP proxy on 127.0.0.1 in front of a port, whose connections a test can
 * cut: a network drop that both ends see as a closed socket. Chromium's
 * offline emulation (CDP `Network.emulateNetworkConditions`) is not one: it
 * fails new requests but leaves open WebSockets open and flowing.
 */
import { createServer, connect, type AddressInfo, type Socket } from "node:net";

export interface TcpProxy {
  readonly port: number;
  /** Connections open through the proxy. */
  readonly connections: number;
  /** Cuts every connection, and for `forMs` closes each new one at once (as an unreachable network would fail it). */
  drop(forMs: number): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let downUntil = 0;
  const server = createServer((incoming) => {
    if (Date.now() < downUntil) {
      incoming.destroy();
      return;
    }
    // The target may be down (a restarting server): the incoming side then fails as a refused connection would.
    const outgoing = connect(targetPort, "127.0.0.1");
    tieSockets(open, incoming, outgoing);
    incoming.pipe(outgoing);
    outgoing.pipe(incoming);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return open.size / 2;
    },
    drop(forMs) {
      downUntil = Date.now() + forMs;
      for (const socket of open) socket.destroy();
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Ties a proxied connection's two sockets: an error or a close of either destroys the other; each is in `open` while open. */
export function tieSockets(open: Set<Socket>, incoming: Socket, outgoing: Socket): void {
  for (const [socket, peer] of [
    [incoming, outgoing],
    [outgoing, incoming],
  ] as const) {
    open.add(socket);
    socket.on("error", () => peer.destroy());
    socket.on("close", () => {
      open.delete(socket);
      peer.destroy();
    });
  }
}
