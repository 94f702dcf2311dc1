/**
 * LightSocket: a minimal WebSocket client for the fan-out load generator.
 *
 * On 2 cores the load client shares the machine with the server, so every
 * microsecond it spends per message caps what the benchmark can show. A full
 * client (`ws`, socket.io-client) decodes each frame into a string, parses
 * the JSON and emits events: about 5 µs per message. This one parses frame
 * headers over the raw TCP stream and hands each text payload to the caller
 * as a slice of the received chunk, so the caller can read the two numbers it
 * needs without decoding the rest. Reads land in one reused buffer (`onread`),
 * so receiving allocates nothing. It is the same client for every target, so
 * the servers are compared under the same load.
 *
 * It speaks what the benchmark needs of RFC 6455: the upgrade handshake,
 * unfragmented text frames in both directions (client frames masked with a
 * zero key, which is legal and leaves the payload unchanged), ping → pong,
 * and close.
 */
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

export type MessageHandler = (chunk: Buffer, start: number, end: number) => void;

/** Every socket reads into this one buffer; each read is consumed before the next can happen. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export class LightSocket {
  readonly #socket: Socket;
  /** The start of a frame that did not fit in the last read (a copy: READ_BUFFER is reused). */
  #pending: Buffer | undefined;
  #onMessage: MessageHandler = () => undefined;
  /** Until the 101 response is complete, reads go here. */
  #onHandshake: ((data: Buffer) => void) | undefined;
  #bytesReceived = 0;

  private constructor(port: number) {
    this.#socket = connect({
      host: "127.0.0.1",
      port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (bytes, buffer) => {
          this.#bytesReceived += bytes;
          const data = buffer.subarray(0, bytes) as Buffer;
          if (this.#onHandshake !== undefined) this.#onHandshake(data);
          else this.#receive(data);
          return true; // keep reading (false would pause the socket)
        },
      },
    });
  }

  /** Connects and completes the upgrade handshake for `path`. */
  static open(port: number, path: string): Promise<LightSocket> {
    return new Promise((resolve, reject) => {
      const client = new LightSocket(port);
      const socket = client.#socket;
      let head = Buffer.alloc(0);
      client.#onHandshake = (data) => {
        head = Buffer.concat([head, data]);
        const end = head.indexOf("\r\n\r\n");
        if (end === -1) return;
        client.#onHandshake = undefined;
        const status = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
        if (!status.startsWith("HTTP/1.1 101")) {
          reject(new Error(`upgrade of ${path} refused: ${status}`));
          socket.destroy();
          return;
        }
        // Frames that came with the handshake wait for onMessage (set right after this resolves).
        const rest = head.subarray(end + 4);
        if (rest.length > 0) client.#pending = rest;
        resolve(client);
      };
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
    });
  }

  /** Receives every text message as `chunk[start, end)`; the slice is only valid during the call. */
  onMessage(handler: MessageHandler): void {
    this.#onMessage = handler;
    if (this.#pending !== undefined) this.#receive(Buffer.alloc(0));
  }

  /** Bytes read off the TCP stream so far, the 101 response included: what the server sent this socket. */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  sendText(text: string): void {
    this.#sendFrame(0x1, Buffer.from(text));
  }

  close(): void {
    this.#socket.destroy();
  }

  #sendFrame(opcode: number, payload: Buffer): void {
    const length = payload.length;
    const header = length < 126 ? Buffer.alloc(6) : length < 65_536 ? Buffer.alloc(8) : Buffer.alloc(14);
    header[0] = 0x80 | opcode;
    if (length < 126) header[1] = 0x80 | length;
    else if (length < 65_536) {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(length, 2);
    } else {
      header[1] = 0x80 | 127;
      header.writeUInt32BE(length >>> 0, 6);
    }
    // The last four header bytes are the masking key: zeros.
    this.#socket.write(Buffer.concat([header, payload]));
  }

  #receive(data: Buffer): void {
    let chunk = data;
    if (this.#pending !== undefined) {
      chunk = Buffer.concat([this.#pending, data]);
      this.#pending = undefined;
    }
    let offset = 0;
    while (chunk.length - offset >= 2) {
      const opcode = chunk[offset]! & 0x0f;
      let length = chunk[offset + 1]! & 0x7f;
      let headerLength = 2;
      if (length === 126) {
        if (chunk.length - offset < 4) break;
        length = chunk.readUInt16BE(offset + 2);
        headerLength = 4;
      } else if (length === 127) {
        if (chunk.length - offset < 10) break;
        length = chunk.readUInt32BE(offset + 2) * 2 ** 32 + chunk.readUInt32BE(offset + 6);
        headerLength = 10;
      }
      const start = offset + headerLength;
      const end = start + length;
      if (end > chunk.length) break;
      if (opcode === 0x1) this.#onMessage(chunk, start, end);
      else if (opcode === 0x9) this.#sendFrame(0xa, Buffer.from(chunk.subarray(start, end)));
      else if (opcode === 0x8) this.#socket.end();
      offset = end;
    }
    if (offset < chunk.length) this.#pending = Buffer.from(chunk.subarray(offset));
  }
}

/** Whether `chunk[start, end)` begins with `prefix` (a JS loop: cheaper than a native call for a few bytes). */
export function hasPrefix(chunk: Buffer, start: number, end: number, prefix: Buffer): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (chunk[start + i] !== prefix[i]) return false;
  return true;
}

/**
 * Reads the number after a key such as `"seq":` in messages of a stable
 * shape: it first tries the offset the key was last found at, and searches
 * only when that misses (when an earlier number changed length).
 */
export class FieldReader {
  readonly #key: Buffer;
  #offset = -1;

  constructor(key: string) {
    this.#key = Buffer.from(key);
  }

  /** The non-negative integer after the key in `chunk[start, end)`, or -1 if the key is missing. */
  integer(chunk: Buffer, start: number, end: number): number {
    const at = this.#locate(chunk, start, end);
    if (at === -1) return -1;
    let value = 0;
    for (let i = at; i < end; i++) {
      const digit = chunk[i]! - 0x30;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    return value;
  }

  /** The number after the key in `chunk[start, end)`, or NaN. */
  number(chunk: Buffer, start: number, end: number): number {
    const at = this.#locate(chunk, start, end);
    if (at === -1) return Number.NaN;
    let stop = at;
    // digits, '.', '-', '+', 'e'
    for (let byte = chunk[stop]!; stop < end; byte = chunk[++stop]!) {
      if (!((byte >= 0x30 && byte <= 0x39) || byte === 0x2e || byte === 0x2d || byte === 0x2b || byte === 0x65)) break;
    }
    return Number(chunk.toString("latin1", at, stop));
  }

  /** Whether the value after the key in `chunk[start, end)` starts with `value` (an `"epoch":` string, quotes included). */
  startsWith(chunk: Buffer, start: number, end: number, value: Buffer): boolean {
    const at = this.#locate(chunk, start, end);
    return at !== -1 && hasPrefix(chunk, at, end, value);
  }

  /** Where the value after the key starts, or -1. */
  #locate(chunk: Buffer, start: number, end: number): number {
    const key = this.#key;
    if (this.#offset !== -1 && hasPrefix(chunk, start + this.#offset, end, key)) return start + this.#offset + key.length;
    const at = chunk.indexOf(key, start);
    if (at === -1 || at + key.length > end) return -1;
    this.#offset = at - start;
    return at + key.length;
  }
}
