/**
 * A small raw test client over `ws`: collects frames, waits for frames by
 * predicate with a timeout, and exposes how the socket closed.
 */
import WebSocket, { type ClientOptions } from "ws";

export interface Frame {
  type: string;
  payload?: any; // tests read arbitrary frame payloads
  id?: string;
}

export class TestClient {
  readonly socket: WebSocket;
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: { predicate: (frame: Frame) => boolean; resolve: (frame: Frame) => void }[] = [];
  #nextId = 0;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    socket.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.predicate(frame)) return true;
        waiter.resolve(frame);
        return false;
      });
    });
    socket.on("error", () => undefined);
  }

  static connect(url: string, options?: ClientOptions): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options);
      const client = new TestClient(socket);
      socket.once("open", () => resolve(client));
      socket.once("unexpected-response", (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
      socket.once("error", reject);
    });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Resolves with the first frame (already received or future) matching `predicate`. */
  next(predicate: (frame: Frame) => boolean, timeoutMs = 5_000): Promise<Frame> {
    const seen = this.frames.find(predicate);
    if (seen !== undefined) {
      this.frames.splice(this.frames.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`)),
        timeoutMs,
      );
      this.#waiters.push({
        predicate,
        resolve: (frame) => {
          clearTimeout(timer);
          this.frames.splice(this.frames.indexOf(frame), 1);
          resolve(frame);
        },
      });
    });
  }

  /** Sends `{type, payload, id}` with a fresh id and resolves with the reply carrying that id. */
  async request(type: string, payload?: unknown): Promise<Frame> {
    const id = `r${++this.#nextId}`;
    this.send({ type, payload, id });
    return this.next((frame) => frame.id === id);
  }

  subscribe(route: string, payload: unknown): Promise<Frame> {
    return this.request(`${route}.subscribe`, payload);
  }

  /** Subscribes with `since` in the envelope beside the payload (a resubscribe after a reconnect). */
  subscribeSince(route: string, payload: unknown, since: unknown): Promise<Frame> {
    const id = `r${++this.#nextId}`;
    this.send({ type: `${route}.subscribe`, payload, id, since });
    return this.next((frame) => frame.id === id);
  }

  unsubscribe(route: string, payload: unknown): Promise<Frame> {
    return this.request(`${route}.unsubscribe`, payload);
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
  }
}
