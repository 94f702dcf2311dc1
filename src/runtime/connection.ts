/**
 * Connection: one client socket of a module endpoint — its identity, its
 * authenticated user, liveness for the heartbeat, and the single write path
 * that enforces the slow-consumer policy.
 */
import type { IncomingMessage } from "node:http";
import WebSocket from "ws";
import { CloseCode } from "./protocol.js";
import type { Subscriber } from "./route.js";

export type SlowConsumerPolicy = "close" | "drop";

export interface ConnectionLimits {
  /** Bytes queued for a client above which it counts as slow. */
  highWaterMark: number;
  slowConsumer: SlowConsumerPolicy;
}

export interface ConnectionEvents {
  /** A frame was handed to the socket. */
  onFrameSent(connection: Connection): void;
  /** A frame was not written because the client is slow (policy "drop"). */
  onFrameDropped(connection: Connection): void;
  /** The client was closed with 1013 because it is slow (policy "close"). */
  onSlowConsumerClosed(connection: Connection): void;
}

export class Connection<User = unknown> implements Subscriber {
  readonly id: string;
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  readonly user: User;
  readonly openedAt = Date.now();
  /** Set on every inbound frame and pong; cleared by each heartbeat tick. */
  alive = true;
  framesDropped = 0;
  readonly #limits: ConnectionLimits;
  readonly #events: ConnectionEvents;
  /** Subscribe/unsubscribe are processed one at a time per connection, so replies keep request order. */
  #operations: Promise<void> = Promise.resolve();

  constructor(id: string, socket: WebSocket, request: IncomingMessage, user: User, limits: ConnectionLimits, events: ConnectionEvents) {
    this.id = id;
    this.socket = socket;
    this.request = request;
    this.user = user;
    this.#limits = limits;
    this.#events = events;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Writes a serialized text frame, unless the socket is closing or the client is too slow. */
  sendFrame(frame: Buffer | string): boolean {
    if (!this.isOpen) return false;
    if (this.socket.bufferedAmount > this.#limits.highWaterMark) {
      if (this.#limits.slowConsumer === "drop") {
        this.framesDropped += 1;
        this.#events.onFrameDropped(this);
        return false;
      }
      this.close(CloseCode.tryAgainLater, "slow consumer");
      this.#events.onSlowConsumerClosed(this);
      return false;
    }
    this.socket.send(frame, { binary: false });
    this.#events.onFrameSent(this);
    return true;
  }

  /** Runs `operation` after every earlier one of this connection has finished. */
  enqueue(operation: () => Promise<void>): void {
    this.#operations = this.#operations.then(operation, operation);
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason);
    }
  }
}
