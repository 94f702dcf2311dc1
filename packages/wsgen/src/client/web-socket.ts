/**
 * The WebSocket implementation the client drives: what it needs of one, and
 * whether it can send headers. The browser's WebSocket and `ws`'s (Node 20)
 * both fit without casts.
 *
 * @module
 */

/**
 * An event handler property. Declared through a method so that its parameter
 * is compared bivariantly: the browser's and `ws`'s sockets declare handlers
 * taking their own, richer event types, and both must be accepted as they are.
 */
type EventHandler<Event> = { handle(event: Event): void }["handle"];

/** The part of the WHATWG WebSocket the client uses; the browser's and `ws`'s WebSocket both have it. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: EventHandler<unknown> | null;
  onclose: EventHandler<{ code: number; reason: string }> | null;
  onmessage: EventHandler<{ data: unknown }> | null;
  onerror: EventHandler<unknown> | null;
}

/** The third argument of `ws`'s constructor, as far as the client fills it. */
export interface HandshakeOptions {
  headers: Record<string, string>;
}

/**
 * A WebSocket class. The browser's takes `(url, protocols)`; `ws`'s also
 * takes options, where the client puts the upgrade request's headers.
 */
export type WebSocketConstructor = new (url: string, protocols?: string | string[], options?: HandshakeOptions) => WebSocketLike;

/**
 * Whether `WebSocket` is `ws`'s class (or a subclass), the one implementation
 * known to take headers. Told by `terminate()`, a method `ws` has and the
 * WHATWG WebSocket has not. A browser's constructor ignores a third argument,
 * so headers given to it would silently not be sent: the options refuse
 * headers for any constructor this does not recognise.
 */
export function takesHeaders(WebSocket: WebSocketConstructor): boolean {
  const prototype = (WebSocket as { prototype?: { terminate?: unknown } }).prototype;
  return typeof prototype?.terminate === "function";
}
