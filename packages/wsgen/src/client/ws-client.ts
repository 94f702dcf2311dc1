/**
 * WsClient: one connection to one module endpoint, speaking the wire
 * protocol (docs/protocol.md) with the names and envelopes of src/protocol/.
 * Browser-safe: no Node imports; it uses the global WebSocket unless given
 * one (pass `ws`'s WebSocket on Node 20).
 *
 * Subscriptions live in a registry keyed by topic, computed with the shared
 * topic builder from the parsed request. Many local handlers of one topic
 * share one server subscription (the shared TopicIndex refcount), and its
 * position in the topic's stream (subscription-position.ts). After a
 * disconnect the client reconnects with capped, jittered exponential backoff
 * and resubscribes every live topic with `since`, the position it holds; the
 * same handlers keep receiving, duplicates are dropped, and lost updates are
 * told as a reset (delivery-events.ts). A refused handshake
 * (refusal.ts) stops it instead: state "refused", and pending and later
 * subscribes reject with the WsHandshakeError, until `reconnect()`. Every
 * attempt presents the current credentials (credentials.ts); a token
 * function's answer that cannot be sent closes the client with the error.
 */
import {
  CloseCode,
  encodeEnvelope,
  isResponseType,
  isUpdateType,
  MessageType,
  operationType,
  parseEnvelope,
  type RouteOperation,
} from "../protocol/messages.js";
import type { StreamPosition } from "../protocol/positions.js";
import { TopicIndex } from "../runtime/topic-index.js";
import { openAttempt } from "./attempt.js";
import { backoffDelay } from "./backoff.js";
import { resolveClientOptions, type ConnectionState, type ResolvedClientOptions, type WsClientOptions } from "./client-options.js";
import { askToken, handshakeRequest } from "./credentials.js";
import { deferred, within } from "./deferred.js";
import { endpointUrl } from "./endpoint.js";
import { deliverTo, tellEach } from "./fan-out.js";
import { PendingReplies, refusedBy, type OnReply, type ReplyPayload } from "./replies.js";
import { asError, WsClientClosedError, WsRequestError, type WsHandshakeError } from "./errors.js";
import { isAuthenticationRefusal } from "./refusal.js";
import { requestTopic } from "./request-topic.js";
import { StateWaiters } from "./state-waiters.js";
import { positionOf, SubscriptionPosition, type Positioned } from "./subscription-position.js";
import type { Listener, ServerSubscription, SubscribeOptions, Subscription } from "./subscription.js";
import type { WebSocketLike } from "./web-socket.js";

const OPEN = 1;

export class WsClient {
  readonly url: string;
  #state: ConnectionState = "connecting";
  #socket: WebSocketLike | undefined;
  #generation = 0;
  #attempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Why the state is "refused". */
  #refusal: WsHandshakeError | undefined;
  /** Why the state is "closed" when the client closed itself (a token function's answer that cannot be sent). */
  #closedBy: Error | undefined;
  /** The attempt under way retries a refusal with a fresh token: another refusal is final. */
  #retryingRefusal = false;
  readonly #options: ResolvedClientOptions;
  readonly #listeners = new TopicIndex<Listener>();
  readonly #live = new Map<string, ServerSubscription>();
  readonly #replies = new PendingReplies();
  readonly #stateWaiters = new StateWaiters();

  /**
   * `url` is the endpoint (`ws://host/api/v1/{module}/ws`; a relative one is
   * resolved against the page, endpoint.ts); the credentials of `options`
   * are added to each attempt, not to it.
   */
  constructor(url: string, options: WsClientOptions = {}) {
    this.url = endpointUrl(url);
    this.#options = resolveClientOptions(options);
    this.#connect(false);
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Why the server refused the connection, while the state is "refused". */
  get refusal(): WsHandshakeError | undefined {
    return this.#refusal;
  }

  /**
   * Resolves when the state is `state` (now or later); rejects if the client
   * is closed (WsClientClosedError) or refused (WsHandshakeError) first.
   */
  until(state: ConnectionState): Promise<void> {
    if (this.#state === state) return Promise.resolve();
    const stopped = this.#stopped();
    if (stopped !== undefined) return Promise.reject(stopped);
    return this.#stateWaiters.wait(state, () => this.#stopped());
  }

  /**
   * Subscribes `handler` to the topic `request` names on `route`. Resolves
   * once the server confirmed the subscription; rejects with WsRequestError
   * (carrying the zod issues) when it refused it. `options.onReset` and
   * `onResubscribe` hear of the stream's continuity (delivery-events.ts).
   */
  async subscribe<Req, Data>(
    route: string,
    request: unknown,
    handler: (data: Data, topic: string) => void,
    options: SubscribeOptions<Req, Data> = {},
  ): Promise<Subscription> {
    const stopped = this.#stopped();
    if (stopped !== undefined) throw stopped;
    const topic = requestTopic(route, request, options.requestSchema);
    const { dataSchema, onEnd, onReset, onResubscribe } = options;
    const listener: Listener = { handler: handler as Listener["handler"], dataSchema, onEnd, onReset, onResubscribe };
    this.#listeners.add(topic, listener);
    let live = this.#live.get(topic);
    if (live === undefined) {
      live = { route, request, sentOn: -1, confirmed: deferred(), position: new SubscriptionPosition(topic) };
      this.#live.set(topic, live);
      if (this.#state === "open") this.#sendSubscribe(topic, live);
    }
    const { position } = live;
    const subscription: Subscription = {
      topic,
      get position() {
        return position.held;
      },
      unsubscribe: () => this.#unsubscribe(topic, listener),
    };
    const { requestTimeout } = this.#options;
    const timedOut = (): Error => new WsRequestError(operationType(route, "subscribe"), `no answer within ${requestTimeout} ms`, topic);
    try {
      await within(live.confirmed.promise, requestTimeout, timedOut);
      return subscription;
    } catch (error) {
      this.#listeners.delete(topic, listener);
      if (this.#listeners.holders(topic).size === 0 && this.#live.get(topic) === live) {
        this.#live.delete(topic);
        // Timed out after the frame went out: a late "ok" must not leave the server sending to nobody.
        if (live.sentOn === this.#generation && this.#state === "open") void this.#request(route, "unsubscribe", request);
      }
      throw error;
    }
  }

  /**
   * Connects again now, asking `token` again: after a refusal, or to skip the
   * wait while reconnecting (a browser back online, a user who logged in
   * again). Does nothing while connecting or open; throws WsClientClosedError
   * after `close()`.
   */
  reconnect(): void {
    if (this.#state === "closed") throw new WsClientClosedError();
    if (this.#state !== "refused" && this.#state !== "reconnecting") return;
    clearTimeout(this.#reconnectTimer);
    this.#socket?.close(); // an attempt still connecting is dropped (its events are ignored: a new generation starts)
    this.#refusal = undefined;
    this.#retryingRefusal = false;
    this.#attempt = 0;
    this.#setState("reconnecting");
    this.#connect(false);
  }

  /** Closes the connection for good: no reconnect; pending subscribes reject. */
  close(): void {
    this.#close(undefined);
  }

  /** Closes for good; `cause`: the client closes itself, and subscribes and handlers' onEnd get it (onError once). */
  #close(cause: Error | undefined): void {
    if (this.#state === "closed") return;
    clearTimeout(this.#reconnectTimer);
    this.#closedBy = cause;
    this.#setState("closed");
    this.#endSubscriptions(cause ?? new WsClientClosedError(), cause);
    this.#socket?.close(CloseCode.normal, "client closed");
    if (cause !== undefined) this.#report(cause);
  }

  /** The error requests fail with now: the client is closed or refused. */
  #stopped(): Error | undefined {
    if (this.#state === "closed") return this.#closedBy ?? new WsClientClosedError();
    return this.#state === "refused" ? this.#refusal : undefined;
  }

  /** One connection attempt with the current token; `refused`: the attempt before was refused (the token function is told). */
  #connect(refused: boolean): void {
    this.#generation += 1;
    const generation = this.#generation;
    const { token } = this.#options.credentials;
    if (typeof token !== "function") {
      this.#open(generation, token);
      return;
    }
    const current = (): boolean => generation === this.#generation && (this.#state === "connecting" || this.#state === "reconnecting");
    askToken(token, this.#options.credentials.tokenIn, { refused })
      .then((answer) => {
        if (!current()) return;
        if ("token" in answer) {
          this.#open(generation, answer.token);
        } else if (answer.final) {
          this.#close(answer.error); // asked again, it would answer the same: no retry loop
        } else {
          this.#report(answer.error);
          this.#retryLater();
        }
      })
      // The WebSocket constructor threw (a URL it refuses): every attempt would.
      .catch((error: unknown) => {
        if (current()) this.#close(asError(error));
      });
  }

  #open(generation: number, token: string | undefined): void {
    const current = (): boolean => generation === this.#generation && this.#state !== "closed";
    this.#socket = openAttempt(this.#options.WebSocket, handshakeRequest(this.url, this.#options.credentials, token), {
      onOpen: () => {
        if (!current()) return;
        this.#attempt = 0;
        this.#setState("open");
        for (const [topic, live] of this.#live) this.#sendSubscribe(topic, live);
      },
      onFrame: (data) => {
        if (!current()) return;
        this.#retryingRefusal = false; // the server sent a frame: it accepted this connection
        this.#receive(data);
      },
      onClose: (refusal) => {
        if (!current()) return;
        this.#replies.abandon(); // requests in flight get no reply; subscriptions are resent on reconnect
        if (refusal === undefined) {
          this.#retryingRefusal = false;
          this.#retryLater();
        } else if (typeof this.#options.credentials.token === "function" && isAuthenticationRefusal(refusal) && !this.#retryingRefusal) {
          // Once, at once: the token may have expired since the function last fetched one.
          this.#retryingRefusal = true;
          this.#setState("reconnecting");
          this.#connect(true);
        } else {
          this.#refuse(refusal);
        }
      },
    });
  }

  #retryLater(): void {
    this.#setState("reconnecting");
    const delay = backoffDelay(this.#attempt, this.#options.backoff);
    this.#attempt += 1;
    this.#reconnectTimer = setTimeout(() => this.#connect(false), delay);
  }

  /**
   * The server refused the connection: no more attempts until reconnect();
   * every subscription ends with the error. They end first, before the
   * callbacks hear of it: one may call reconnect() and subscribe again, and
   * that subscription must not end with this refusal.
   */
  #refuse(refusal: WsHandshakeError): void {
    this.#retryingRefusal = false;
    this.#refusal = refusal;
    this.#state = "refused"; // told below: onEnd handlers see the state, and a reconnect() from one is honoured
    this.#endSubscriptions(refusal, refusal);
    if (this.#state === "refused" && this.#refusal === refusal) this.#announce();
    this.#report(refusal);
  }

  /**
   * Subscribes `live` on this connection; with `since` when it holds a
   * position (a resubscribe). The reply is handled as soon as it is read,
   * before the updates right behind it (a replay, the latest value).
   */
  #sendSubscribe(topic: string, live: ServerSubscription): void {
    if (live.sentOn === this.#generation) return;
    live.sentOn = this.#generation;
    const since = live.position.held;
    void this.#request(live.route, "subscribe", live.request, since, (reply) => {
      if (reply === undefined || this.#live.get(topic) !== live) return; // connection lost (resent on reconnect) or gone
      if (reply.status === "ok") {
        this.#started(topic, live, reply, since);
        return;
      }
      const error = refusedBy(live.route, "subscribe", reply, topic);
      this.#live.delete(topic);
      // A first subscribe rejects its caller; a refused resubscription ends its handlers, with the error.
      if (live.confirmed.settled) {
        this.#report(error);
        this.#endListeners(topic, error);
      } else {
        this.#listeners.deleteTopic(topic);
      }
      live.confirmed.reject(error);
    });
  }

  async #unsubscribe(topic: string, listener: Listener): Promise<void> {
    if (!this.#listeners.delete(topic, listener)) return;
    const live = this.#live.get(topic);
    this.#live.delete(topic);
    if (live === undefined || this.#state !== "open" || live.sentOn !== this.#generation) return;
    const reply = await this.#request(live.route, "unsubscribe", live.request);
    if (reply !== undefined && reply.status !== "ok") this.#report(refusedBy(live.route, "unsubscribe", reply, topic));
  }

  /** A subscribe's "ok": the position it states, the resubscription and reset it means, told to every handler of the topic. */
  #started(topic: string, live: ServerSubscription, reply: ReplyPayload, since: StreamPosition | undefined): void {
    const { resubscription, reset } = live.position.started(reply, since);
    live.confirmed.resolve();
    if (resubscription !== undefined) this.#tell(topic, (listener) => listener.onResubscribe?.(resubscription));
    if (reset !== undefined) this.#tell(topic, (listener) => listener.onReset?.(reset));
  }

  /** Calls `call` for every handler of `topic`, each one's exception reported. */
  #tell(topic: string, call: (listener: Listener) => void): void {
    tellEach([...this.#listeners.holders(topic)], call, (error) => this.#report(error));
  }

  /**
   * Sends a request with a fresh id (and `since`, for a resubscribe); resolves
   * with the reply payload, or undefined if the connection is lost first.
   * `onReply` hears of it synchronously.
   */
  #request(
    route: string,
    operation: RouteOperation,
    payload: unknown,
    since?: StreamPosition,
    onReply?: OnReply,
  ): Promise<ReplyPayload | undefined> {
    const socket = this.#socket;
    if (socket === undefined || socket.readyState !== OPEN) {
      onReply?.(undefined);
      return Promise.resolve(undefined);
    }
    const { id, reply } = this.#replies.expect(this.#options.requestTimeout, onReply);
    socket.send(encodeEnvelope(operationType(route, operation), payload, id, since));
    return reply;
  }

  #receive(data: unknown): void {
    const parsed = parseEnvelope(typeof data === "string" ? data : String(data));
    if (!parsed.ok) {
      // The parser's message advises a sender; the client only says what it received.
      this.#report(new Error('the server sent a frame that is not an envelope {"type": string, "payload"?, "id"?: string}'));
      return;
    }
    const frame = parsed.envelope;
    if (frame.id !== undefined && isResponseType(frame.type)) {
      this.#replies.settle(frame.id, frame.payload ?? {});
      return;
    }
    if (frame.type === MessageType.error) {
      const payload = (frame.payload ?? {}) as { code?: string; message?: string };
      this.#report(new Error(`server error ${payload.code ?? ""}: ${payload.message ?? ""}`));
      return;
    }
    if (isUpdateType(frame.type)) this.#deliver(frame.payload as ({ topic?: unknown; payload?: unknown } & Positioned) | undefined);
  }

  /** An update: placed in its topic's stream (a duplicate is dropped, a gap told first), then given to every handler. */
  #deliver(update: ({ topic?: unknown; payload?: unknown } & Positioned) | undefined): void {
    if (update === undefined || typeof update.topic !== "string") return;
    const { topic } = update;
    const live = this.#live.get(topic);
    if (live === undefined) return; // unsubscribed meanwhile: nobody to give it to
    const verdict = live.position.accept(positionOf(update));
    if (!verdict.deliver) return;
    const { reset } = verdict;
    if (reset !== undefined) this.#tell(topic, (listener) => listener.onReset?.(reset));
    deliverTo([...this.#listeners.holders(topic)], update.payload, topic, this.#options.validate, (error) => this.#report(error));
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#announce();
  }

  /** Tells onStateChange and until() the state entered. */
  #announce(): void {
    const state = this.#state;
    this.#options.onStateChange?.(state, state === "refused" ? this.#refusal : undefined);
    this.#stateWaiters.entered(state);
  }

  /** Ends every subscription: pending subscribes reject with `rejection`, every handler's onEnd gets `cause`. */
  #endSubscriptions(rejection: Error, cause: Error | undefined): void {
    for (const live of this.#live.values()) live.confirmed.reject(rejection);
    this.#live.clear();
    this.#replies.abandon();
    for (const topic of [...this.#listeners.topics()]) this.#endListeners(topic, cause);
  }

  /** Drops every handler of `topic`, telling each it has ended. */
  #endListeners(topic: string, error: Error | undefined): void {
    tellEach(
      this.#listeners.deleteTopic(topic),
      (listener) => listener.onEnd?.(error),
      (failure) => this.#report(failure),
    );
  }

  #report(error: Error): void {
    this.#options.onError?.(error);
  }
}
