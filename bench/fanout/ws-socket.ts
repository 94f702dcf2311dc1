/**
 * WsSocket: the `ws` library's client behind LightSocket's shape, for the
 * overload scenario. The overloaded setup is a load client that
 * cannot keep up, and an ordinary `ws` client is one: it decodes every frame
 * and emits an event per message (several µs each), so one core of it takes
 * fewer messages than a wsgen server can send. Each message is handed over
 * as the Buffer `ws` made, and the caller reads its few numbers in place:
 * no string decoding or JSON parsing is added on top of what `ws` does.
 */
import WebSocket from "ws";
import type { MessageHandler } from "./light-socket.js";

export class WsSocket {
  readonly #socket: WebSocket;
  /** Messages that came before onMessage was set (the subscribe reply may beat it): handed over then. */
  readonly #early: Buffer[] = [];
  #deliver: (data: Buffer) => void = (data) => void this.#early.push(data);

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on("message", (data: Buffer) => this.#deliver(data));
  }

  /** Connects to ws://127.0.0.1:port/path, without permessage-deflate (no target negotiates it). */
  static open(port: number, path: string): Promise<WsSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: false });
      const client = new WsSocket(socket);
      // Also after open: an error there rejects nothing, but must not be an unhandled 'error' event.
      socket.on("error", reject);
      socket.once("open", () => resolve(client));
      socket.once("unexpected-response", (_request, response) =>
        reject(new Error(`upgrade of ${path} refused: HTTP ${response.statusCode}`)),
      );
    });
  }

  /** Receives every message as `chunk[start, end)`, as LightSocket does. */
  onMessage(handler: MessageHandler): void {
    this.#deliver = (data) => handler(data, 0, data.length);
    for (const data of this.#early.splice(0)) handler(data, 0, data.length);
  }

  sendText(text: string): void {
    this.#socket.send(text);
  }

  close(): void {
    this.#socket.terminate();
  }
}
