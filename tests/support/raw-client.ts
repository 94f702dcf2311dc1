/**
 * A WebSocket client built on a bare TCP socket, for tests that need a peer
 * `ws` would not let us be: one that completes the handshake and then stops
 * reading, so the server's send buffer fills up.
 */
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

export interface RawClient {
  socket: Socket;
  /** Sends a masked text frame, as a browser would. */
  sendText(text: string): void;
  /** Everything received after the handshake (server frames are unmasked, so their JSON reads as is), while reading. */
  received(): string;
}

export function rawConnect(port: number, path: string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const key = randomBytes(16).toString("base64");
    let head = "";
    let received = "";
    socket.once("error", reject);
    socket.on("connect", () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    const onData = (chunk: Buffer): void => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      if (!head.startsWith("HTTP/1.1 101")) {
        reject(new Error(`handshake failed: ${head.split("\r\n")[0]}`));
        return;
      }
      received = head.slice(head.indexOf("\r\n\r\n") + 4);
      socket.on("data", (more: Buffer) => (received += more.toString("latin1")));
      resolve({ socket, sendText: (text) => socket.write(maskedTextFrame(text)), received: () => received });
    };
    socket.on("data", onData);
  });
}

/** A masked text frame, as a browser sends one (for writing several in one TCP write). */
export function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  if (payload.length > 65_535) throw new Error("raw client frames are kept small");
  const header =
    payload.length < 126
      ? Buffer.from([0x81, 0x80 | payload.length])
      : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const mask = randomBytes(4);
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([header, mask, masked]);
}
