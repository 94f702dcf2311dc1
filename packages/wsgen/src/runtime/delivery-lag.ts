/**
 * DeliveryLag: how far behind one connection's reader is, measured so that
 * what the kernel holds counts too.
 *
 * `bufferedAmount` only sees the bytes Node could not hand to the kernel; a
 * loopback or LAN socket's kernel buffers hold megabytes more, so a client
 * that stopped reading looks idle to it for seconds. A protocol ping can
 * only be answered after the client has read everything written before it
 * (TCP is in order, and a WebSocket endpoint reads frames in order), so the
 * time from a probe to its pong is the real delivery lag: the round trip
 * plus the time to read what was queued ahead of it.
 *
 * A probe rides on a data write (the same buffer or writev, no extra system
 * call), and at most one is outstanding. Its pong costs the server a read of
 * its own, so probes follow what there is to lose: the next one goes with
 * the first write after `probeBytes` were written since the last (a fast
 * stream is watched closely, whatever the clock), or after `maxLagMs / 2`
 * when the last one came back slow (over a quarter of `maxLagMs`), else
 * after `4 × maxLagMs`. An idle connection is never probed (the heartbeat
 * covers it).
 *
 * A connection whose outstanding probe is older than `maxLagMs` is
 * *suspect* until the loop has polled since (io-turns.ts: if this process
 * itself stalled, the pong may be sitting unread), then *lagging* — until
 * that probe's pong arrives: then it has read everything that was sent
 * before the probe, and it is caught up. RFC 6455 lets a client answer only
 * the most recent of several pings, so a pong to a heartbeat ping sent after
 * the probe answers the probe too.
 */
import { polledSince } from "./io-turns.js";

/** Marks a ping payload as a lag probe ("wsgL"), so a heartbeat's pong is never taken for one. */
const PROBE_MAGIC = 0x7773_674c;
const PING_HEADER = 0x89; // FIN + ping opcode; unmasked, as a server's frames are
const PROBE_PAYLOAD_LENGTH = 8;

/**
 * Where a connection stands: keeping up; suspect (its probe is overdue by
 * the clock, but this process has not polled since, so the pong may be
 * unread here); lagging (more than `maxLagMs` behind).
 */
export type LagState = "keeping-up" | "suspect" | "lagging";

/** What routes see of a connection's lag (fan-out.ts): whether to hold its updates back, and when it caught up. */
export interface LagSignal {
  state(now: number): LagState;
  /** Calls `callback` once, when a lagging connection has caught up (synchronously, before any later write). */
  whenCaughtUp(callback: () => void): void;
  /** Closes the connection as a slow consumer (1013), releasing its socket and memory at once. */
  closeLagging(): void;
}

export interface DeliveryLagOptions {
  /** Milliseconds of lag past which the connection counts as lagging; 0 disables probing. */
  maxLagMs: number;
  /** Bytes written after which the next write carries a probe, whatever the time. */
  probeBytes: number;
  /** Called with each measured lag, in milliseconds (a probe's round trip). */
  observe(lagMs: number): void;
  /** Called when the connection starts lagging. */
  onLagging(): void;
  /** Closes the connection as a slow consumer. */
  close(): void;
}

export class DeliveryLag implements LagSignal {
  readonly #maxLagMs: number;
  readonly #options: DeliveryLagOptions;
  /** When the outstanding probe was sent, or undefined when none is. */
  #probeSentAt: number | undefined;
  #probeId = 0;
  #lastProbeAt = -Infinity;
  #bytesSinceProbe = 0;
  /** A heartbeat ping went out after the outstanding probe: its pong covers the probe too. */
  #pingedSinceProbe = false;
  #lagging = false;
  #caughtUp: (() => void)[] = [];
  #lastLagMs = 0;

  constructor(options: DeliveryLagOptions) {
    this.#options = options;
    this.#maxLagMs = options.maxLagMs;
  }

  state(now: number): LagState {
    if (this.#lagging) return "lagging";
    if (this.#probeSentAt === undefined || now - this.#probeSentAt <= this.#maxLagMs) return "keeping-up";
    if (!polledSince(this.#probeSentAt + this.#maxLagMs)) return "suspect";
    this.#lagging = true;
    this.#options.onLagging();
    return "lagging";
  }

  whenCaughtUp(callback: () => void): void {
    this.#caughtUp.push(callback);
  }

  closeLagging(): void {
    this.#caughtUp = [];
    this.#options.close();
  }

  /** A ping frame to write right after the `bytes` being written now, when a probe is due; else undefined. */
  probeFrame(now: number, bytes: number): Buffer | undefined {
    if (this.#maxLagMs === 0) return undefined;
    this.#bytesSinceProbe += bytes;
    if (this.#probeSentAt !== undefined) return undefined;
    if (this.#bytesSinceProbe < this.#options.probeBytes && now - this.#lastProbeAt < this.#probeInterval()) return undefined;
    this.#bytesSinceProbe = 0;
    this.#probeSentAt = now;
    this.#lastProbeAt = now;
    this.#pingedSinceProbe = false;
    this.#probeId = (this.#probeId + 1) >>> 0;
    const frame = Buffer.allocUnsafe(2 + PROBE_PAYLOAD_LENGTH);
    frame[0] = PING_HEADER;
    frame[1] = PROBE_PAYLOAD_LENGTH;
    frame.writeUInt32BE(PROBE_MAGIC, 2);
    frame.writeUInt32BE(this.#probeId, 6);
    return frame;
  }

  /** Milliseconds between probes: short for a client whose last probe came back slow, long for one that keeps up. */
  #probeInterval(): number {
    return this.#lastLagMs > this.#maxLagMs / 4 ? this.#maxLagMs / 2 : this.#maxLagMs * 4;
  }

  /** A ping other than a probe (the heartbeat's) was sent. */
  pinged(): void {
    if (this.#probeSentAt !== undefined) this.#pingedSinceProbe = true;
  }

  /**
   * A pong arrived with `payload`: if it answers the outstanding probe, or a
   * ping sent after it, the lag is measured and a lagging connection is caught up.
   */
  acknowledge(payload: Buffer, now: number): void {
    if (this.#probeSentAt === undefined) return;
    const isProbe = payload.length === PROBE_PAYLOAD_LENGTH && payload.readUInt32BE(0) === PROBE_MAGIC;
    if (isProbe ? payload.readUInt32BE(4) !== this.#probeId : !this.#pingedSinceProbe) return;
    this.#lastLagMs = now - this.#probeSentAt;
    this.#probeSentAt = undefined;
    this.#options.observe(this.#lastLagMs);
    this.#lagging = false;
    const callbacks = this.#caughtUp;
    this.#caughtUp = [];
    for (const callback of callbacks) callback();
  }
}
