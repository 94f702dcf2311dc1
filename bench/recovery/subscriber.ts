/**
 * One subscriber of the recovery bench: a LightSocket subscribed to the bars
 * topic, which keeps its position (`epoch`, last `seq`) and checks every
 * update against it as it arrives: no update before the subscribe response,
 * none of another epoch, each exactly one past the last (no gap, no
 * duplicate, in order). Frames are read in place (FieldReader), and only the
 * one subscribe response per session is JSON-parsed, so checking stays
 * cheap beside what the server sends.
 */
import { REQUEST } from "../fanout/dialects.js";
import { FieldReader, hasPrefix, LightSocket } from "../fanout/light-socket.js";
import { now } from "../fanout/pacer.js";

const PATH = "/api/v1/datafeed/ws";
const UPDATE = Buffer.from('{"type":"bars.update"');
const RESPONSE = Buffer.from('{"type":"bars.subscribe.response"');
/** The envelope's `seq` follows the data (`…},"seq":N,"epoch":…`); the data's own `seq` comes first and is the bench's slot. */
const SEQ = new FieldReader('},"seq":');
const EPOCH = new FieldReader('"epoch":');

/** What the subscribe response says (docs/protocol.md, "Response payload"). */
export interface SubscribeResponse {
  status: "ok" | "error";
  code?: string;
  seq?: number;
  epoch?: string;
  recovered?: boolean;
  reason?: string;
}

export interface Position {
  epoch: string;
  seq: number;
}

/** How one session (connect, subscribe, updates) went, from the start of its connect. */
export interface Session {
  /** When the subscribe response came, on the `now()` clock. */
  respondedAt: number;
  response: SubscribeResponse | undefined;
  /** Updates received in this session. */
  updates: number;
  /** The first thing that broke the delivery contract, if anything did. */
  failure: string | undefined;
}

export class Subscriber {
  #socket: LightSocket | undefined;
  #position: Position = { epoch: "", seq: 0 };
  #epochBytes = Buffer.alloc(0);
  #session: Session = Subscriber.#newSession();
  #onUpdate: (seq: number) => void = () => undefined;
  #onResponse: (response: SubscribeResponse) => void = () => undefined;

  static #newSession(): Session {
    return { respondedAt: Number.NaN, response: undefined, updates: 0, failure: undefined };
  }

  /** The last position this subscriber holds. */
  get position(): Position {
    return this.#position;
  }

  get session(): Session {
    return this.#session;
  }

  /** Bytes the server sent this session's socket so far, its 101 response included. */
  get bytesReceived(): number {
    return this.#socket?.bytesReceived ?? 0;
  }

  /**
   * Connects and subscribes, with `since` when given (in the envelope beside
   * the payload); resolves with the response. `onUpdate` sees each update's
   * `seq` after it was checked. A failed connect resolves as an error response (and the session's failure).
   */
  async subscribe(
    port: number,
    since: Position | undefined,
    onUpdate: (seq: number) => void = () => undefined,
  ): Promise<SubscribeResponse> {
    this.#session = Subscriber.#newSession();
    this.#onUpdate = onUpdate;
    let socket: LightSocket;
    try {
      socket = await LightSocket.open(port, PATH);
    } catch (error) {
      // A connect the storm refused is this client's failure, not the run's.
      this.#fail(`connect failed: ${(error as Error).message}`);
      return { status: "error", code: "connect_failed" };
    }
    this.#socket = socket;
    const responded = new Promise<SubscribeResponse>((resolve) => (this.#onResponse = resolve));
    socket.onMessage((chunk, start, end) => this.#receive(chunk, start, end));
    socket.sendText(JSON.stringify({ type: "bars.subscribe", payload: REQUEST, id: "1", ...(since === undefined ? {} : { since }) }));
    return responded;
  }

  /** Drops the connection at once (the TCP socket destroyed: the server sees it close), keeping the position. */
  drop(): void {
    this.#socket?.close();
    this.#socket = undefined;
  }

  #fail(why: string): void {
    this.#session.failure ??= why;
  }

  #receive(chunk: Buffer, start: number, end: number): void {
    const session = this.#session;
    if (hasPrefix(chunk, start, end, UPDATE)) {
      const seq = SEQ.integer(chunk, start, end);
      if (session.response === undefined) this.#fail(`update ${seq} came before the subscribe response`);
      else if (!EPOCH.startsWith(chunk, start, end, this.#epochBytes)) this.#fail(`update ${seq} is of another epoch`);
      else if (seq !== this.#position.seq + 1) {
        this.#fail(
          seq <= this.#position.seq
            ? `update ${seq} after ${this.#position.seq}: a duplicate`
            : `update ${seq} after ${this.#position.seq}: a gap`,
        );
      }
      session.updates += 1;
      this.#position = { epoch: this.#position.epoch, seq };
      this.#onUpdate(seq);
    } else if (hasPrefix(chunk, start, end, RESPONSE)) {
      const response = (JSON.parse(chunk.toString("utf8", start, end)) as { payload: SubscribeResponse }).payload;
      session.respondedAt = now();
      session.response = response;
      if (response.status !== "ok" || response.epoch === undefined || response.seq === undefined) {
        this.#fail(`subscribe answered ${response.status} ${response.code ?? ""}`);
      } else if (response.recovered !== true) {
        // Not recovered (or no since): updates continue from the response's position, another epoch's included.
        this.#position = { epoch: response.epoch, seq: response.seq };
      }
      this.#epochBytes = Buffer.from(JSON.stringify(this.#position.epoch));
      this.#onResponse(response);
    }
  }
}
