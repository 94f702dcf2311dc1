/**
 * Connection: one client socket of a module endpoint — its identity, the
 * user `authenticate` returned, liveness for the heartbeat, and the single
 * write path that enforces the slow-consumer policy.
 *
 * Data frames are encoded once (frame.ts) and written straight to the TCP
 * socket `ws` runs on, bypassing its per-send framing. That is safe because
 * the endpoint never negotiates permessage-deflate, so `ws`'s sender writes
 * synchronously too and the two write streams keep their order; control
 * frames (ping, close) still go through `ws`.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import WebSocket from "ws";
import type { Subscriber } from "./fan-out.js";
import { encodeTextFrame, type EncodedFrames } from "./frame.js";
import { CloseCode, CloseReason } from "../protocol/messages.js";
import type { SlowConsumerPolicy } from "./app-options.js";
import { DeliveryLag } from "./delivery-lag.js";

/**
 * How far past the high-water mark owed frames may take a client's buffer.
 * Answers and announced replays must not be dropped, but a client that
 * never reads and keeps asking (pings, without a `rateLimit`) must not grow
 * the server's memory without bound either: at twice the mark it is closed.
 */
const OWED_HEADROOM = 2;

/** Bytes under which copying a run to append a probe costs less than writing the two as a writev. */
const SMALL_WRITE = 16 * 1024;

/**
 * How long a slow consumer's socket is kept after its 1013 close frame was
 * queued behind what it has not read: long enough for the frame to reach the
 * kernel when the client still reads at all, short enough that its buffers
 * and its place in the connection count go soon (not after closeTimeout).
 */
const SLOW_CONSUMER_RELEASE_MS = 1_000;

/** The slow-consumer options (`WsAppOptions`), resolved. */
export interface ConnectionLimits {
  /** Bytes queued for a client above which it counts as slow. */
  highWaterMark: number;
  slowConsumer: SlowConsumerPolicy;
  /** Milliseconds of delivery lag past which it is lagging (delivery-lag.ts); 0 never. */
  maxLagMs: number;
}

export interface ConnectionEvents {
  /** `count` frames were handed to the socket. */
  onFramesSent(connection: Connection, count: number): void;
  /** `count` frames were not written because the client is slow (policy "drop"). */
  onFramesDropped(connection: Connection, count: number): void;
  /** The client was closed with 1013 because it is slow (policy "close", or its route's lag policy). */
  onSlowConsumerClosed(connection: Connection): void;
  /** A lag probe came back after `lagMs` milliseconds. */
  onLagMeasured(connection: Connection, lagMs: number): void;
  /** The client started lagging: its routes' lag policies now hold its updates back. */
  onLagging(connection: Connection): void;
}

export class Connection<User = unknown> implements Subscriber {
  readonly id: string;
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  /** The TCP (or TLS) stream `socket` was upgraded from. */
  readonly #transport: Duplex;
  readonly user: User;
  readonly openedAt = Date.now();
  /** Set on every inbound frame and pong; cleared by each heartbeat tick. */
  alive = true;
  /** Set when the connection is closed for what it sent (rate limit, queue limit): later frames are not read. */
  ignoringFrames = false;
  framesDropped = 0;
  /** Its reader's delivery lag, measured by probes riding on its writes; routes consult it before writing updates. */
  readonly lag: DeliveryLag;
  readonly #limits: ConnectionLimits;
  readonly #events: ConnectionEvents;
  /** Kinds of error (code and where) already reported for this connection (error-reports.ts). */
  readonly #reportedKinds = new Set<string>();
  /** Subscribe/unsubscribe are processed one at a time per connection, so replies keep request order. */
  #operations: Promise<void> = Promise.resolve();
  /** Operations enqueued and not yet finished (the running one included). */
  #queued = 0;

  constructor(
    id: string,
    socket: WebSocket,
    transport: Duplex,
    request: IncomingMessage,
    user: User,
    limits: ConnectionLimits,
    events: ConnectionEvents,
  ) {
    this.id = id;
    this.socket = socket;
    this.#transport = transport;
    this.request = request;
    this.user = user;
    this.#limits = limits;
    this.#events = events;
    this.lag = new DeliveryLag({
      maxLagMs: limits.maxLagMs,
      // A quarter of the mark: a fast stream is probed well before its buffers reach it.
      probeBytes: Math.max(limits.highWaterMark / 4, 16 * 1024),
      observe: (lagMs) => events.onLagMeasured(this, lagMs),
      onLagging: () => events.onLagging(this),
      close: () => this.closeSlowConsumer(),
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /**
   * Sends one JSON text message (a response, an error, a pong). These answer
   * what the client sent, so they are written even past the high-water mark
   * (up to OWED_HEADROOM times it): a dropped response would leave a
   * subscribe unanswered forever.
   */
  sendText(text: string): boolean {
    return this.writeFrames([encodeTextFrame(text)], true) === 1;
  }

  /** Bytes it may still be sent before it counts as slow; below 0 when over the mark. */
  get sendRoom(): number {
    return this.#limits.highWaterMark - this.socket.bufferedAmount;
  }

  /**
   * Resolves once what is buffered for it has gone to the kernel (the
   * transport's "drain"), or the socket closed, or after `timeoutMs`; at
   * once when no drain is pending. A subscribe's replay waits on it
   * (topic-delivery.ts), so a reconnect's replays of many topics pass one
   * after another instead of the later ones being refused for room.
   */
  whenDrained(timeoutMs: number): Promise<void> {
    if (!this.isOpen || !this.#transport.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#transport.off("drain", done);
        this.#transport.off("close", done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#transport.once("drain", done);
      this.#transport.once("close", done);
    });
  }

  /**
   * Writes runs of encoded frames in order, unless the socket is closing, and
   * returns how many frames were written. A client over the high-water mark
   * is slow: the frames from there on are dropped or the client is closed.
   * `owed` frames (answers, and the replay a response promised) may go up to
   * OWED_HEADROOM times the mark, and are never dropped: past that the
   * client is closed, whatever the policy.
   */
  writeFrames(runs: readonly EncodedFrames[], owed = false): number {
    if (!this.isOpen) return 0;
    const limit = owed ? this.#limits.highWaterMark * OWED_HEADROOM : this.#limits.highWaterMark;
    // bufferedAmount counts both this stream's pending bytes and anything `ws` holds back.
    let bytes = 0;
    let count = 0;
    for (const run of runs) {
      bytes += run.bytes.length;
      count += run.frames.length;
    }
    const probe = this.lag.probeFrame(performance.now(), bytes);
    if (this.socket.bufferedAmount + bytes <= limit) {
      // Everything fits: one system call (writev for several runs, or with a probe), no copy.
      if (runs.length === 1 && probe === undefined) this.#transport.write(runs[0]!.bytes);
      // A small run and its probe as one buffer: one plain write is cheaper than a corked writev.
      else if (runs.length === 1 && bytes <= SMALL_WRITE) this.#transport.write(Buffer.concat([runs[0]!.bytes, probe!]));
      else {
        this.#transport.cork();
        for (const run of runs) this.#transport.write(run.bytes);
        if (probe !== undefined) this.#transport.write(probe);
        this.#transport.uncork();
      }
      this.#events.onFramesSent(this, count);
      return count;
    }
    // Near or over the mark: frame by frame, as if each were its own send, so at most one frame lands past it.
    let written = 0;
    for (const run of runs) {
      for (const frame of run.frames) {
        if (this.socket.bufferedAmount > limit) {
          if (probe !== undefined) this.#transport.write(probe);
          if (written > 0) this.#events.onFramesSent(this, written);
          this.#applySlowConsumerPolicy(count - written, owed);
          return written;
        }
        this.#transport.write(frame);
        written += 1;
      }
    }
    if (probe !== undefined) this.#transport.write(probe);
    this.#events.onFramesSent(this, written);
    return written;
  }

  /** Applies the slow-consumer policy to `unsent` frames that did not fit; owed ones are never dropped. */
  #applySlowConsumerPolicy(unsent: number, owed: boolean): void {
    if (this.#limits.slowConsumer === "drop" && !owed) {
      this.framesDropped += unsent;
      this.#events.onFramesDropped(this, unsent);
      return;
    }
    this.closeSlowConsumer();
  }

  /**
   * Closes a client that cannot keep up with 1013 and drops its socket as
   * soon as the close frame has left this process: at once when nothing was
   * buffered ahead of it, else when the buffer drains, at most
   * SLOW_CONSUMER_RELEASE_MS later. Its close handshake could only come back
   * after it read everything ahead of the frame, so waiting `closeTimeout`
   * for it would only keep the socket, its buffers and its place in the
   * connection count.
   */
  closeSlowConsumer(): void {
    if (!this.isOpen) return;
    this.close(CloseCode.tryAgainLater, CloseReason.slowConsumer);
    this.#events.onSlowConsumerClosed(this);
    if (this.#transport.writableLength === 0) {
      this.socket.terminate();
      return;
    }
    const release = (): void => {
      clearTimeout(timer);
      this.#transport.off("drain", release);
      this.socket.terminate();
    };
    const timer = setTimeout(release, SLOW_CONSUMER_RELEASE_MS);
    this.#transport.once("drain", release);
  }

  /** True the first time `kind` is seen on this connection, false after. */
  firstOfKind(kind: string): boolean {
    if (this.#reportedKinds.has(kind)) return false;
    this.#reportedKinds.add(kind);
    return true;
  }

  /** Operations enqueued that have not finished yet, the running one included. */
  get queuedOperations(): number {
    return this.#queued;
  }

  /** Runs `operation` after every earlier one of this connection has finished. */
  enqueue(operation: () => Promise<void>): void {
    this.#queued += 1;
    const run = async (): Promise<void> => {
      try {
        await operation();
      } finally {
        this.#queued -= 1;
      }
    };
    this.#operations = this.#operations.then(run, run);
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason);
    }
  }
}
