/**
 * The client's credentials, against a real server on 127.0.0.1 whose
 * `authenticate` takes a Bearer header or `?token=`: a token sent either
 * way, a token function asked again on every reconnect, and the options
 * checked up front.
 */
import WebSocket from "ws";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createClient, WsClient, type TokenContext, type WebSocketConstructor } from "wsgen/client";
import { endpointPath } from "../packages/wsgen/src/protocol/paths.js";
import { authTicksServer } from "./support/auth-server.js";
import { eventually } from "./support/server.js";
import { cleanups, NodeWebSocket, ticksContract, useCleanups, type Tick } from "./support/typed-client.js";

useCleanups();

/** A constructor that takes a URL only, as a browser's does (its prototype has no `terminate`); it records what it was given. */
function browserLikeWebSocket(calls: unknown[][]): WebSocketConstructor {
  function BrowserWebSocket(...args: unknown[]): WebSocket {
    calls.push(args);
    return new WebSocket(args[0] as string);
  }
  // A function returning an object from `new` is how a wrapper stands in for a class; the cast only names its type.
  return BrowserWebSocket as unknown as WebSocketConstructor;
}

/** A browser-like WebSocket (no `terminate`) that records the URLs it is opened with and never connects. */
function unconnectedWebSocket(opened: string[]): WebSocketConstructor {
  return class {
    readyState = 0;
    onopen = null;
    onclose = null;
    onmessage = null;
    onerror = null;
    constructor(url: string) {
      opened.push(url);
    }
    send(): void {}
    close(): void {}
  };
}

afterEach(() => vi.unstubAllGlobals());

describe("a token", () => {
  it("goes as Authorization: Bearer with ws's WebSocket, and typed updates arrive", async () => {
    const server = await authTicksServer((token) => token === "s3cret");
    const client = createClient(`ws://127.0.0.1:${server.port}`, ticksContract, { WebSocket: NodeWebSocket, token: "s3cret" });
    cleanups.push(() => client.close());
    const ticks: Tick[] = [];
    await client.ticks.ticks.subscribe({ name: "a" }, (tick) => ticks.push(tick));
    await eventually(() => ticks.length > 0, 2_000, "a tick");
    expect(ticks[0]).toEqual({ n: 1 });
    expect(server.seen).toEqual([expect.objectContaining({ via: "header", token: "s3cret", accepted: true, query: {} })]);
  });

  it('goes as ?token= with tokenIn: "query", beside the query option', async () => {
    const server = await authTicksServer((token) => token === "s3cret");
    const client = createClient(`ws://127.0.0.1:${server.port}`, ticksContract, {
      WebSocket: NodeWebSocket,
      token: "s3cret",
      tokenIn: "query",
      query: { app: "tests" },
    });
    cleanups.push(() => client.close());
    await client.ticks.ticks.subscribe({ name: "a" }, () => undefined);
    expect(server.seen).toEqual([expect.objectContaining({ via: "query", accepted: true, query: { app: "tests", token: "s3cret" } })]);
    expect(server.seen[0]!.headers.authorization).toBeUndefined();
    expect(client.connection("ticks").url).toBe(`ws://127.0.0.1:${server.port}${endpointPath("ticks")}`);
  });

  it("goes as ?token= by default with a constructor that takes a URL only, which is given nothing else", async () => {
    const server = await authTicksServer((token) => token === "s3cret");
    const calls: unknown[][] = [];
    const client = createClient(`ws://127.0.0.1:${server.port}`, ticksContract, {
      WebSocket: browserLikeWebSocket(calls),
      token: "s3cret",
    });
    cleanups.push(() => client.close());
    await client.ticks.ticks.subscribe({ name: "a" }, () => undefined);
    expect(server.seen).toEqual([expect.objectContaining({ via: "query", accepted: true })]);
    expect(calls).toEqual([[`ws://127.0.0.1:${server.port}${endpointPath("ticks")}?token=s3cret`]]);
  });

  it("comes with the headers option's headers (Node)", async () => {
    const server = await authTicksServer(() => true);
    const client = createClient(`ws://127.0.0.1:${server.port}`, ticksContract, {
      WebSocket: NodeWebSocket,
      token: "t",
      headers: { "x-client": "tests" },
    });
    cleanups.push(() => client.close());
    await client.ticks.ticks.subscribe({ name: "a" }, () => undefined);
    expect(server.seen[0]!.headers).toMatchObject({ "x-client": "tests", authorization: "Bearer t" });
  });

  it("from a function is asked again on every reconnect, and the new one is sent", async () => {
    // The server drops every connection after 150 ms; the client reconnects with the token of the moment.
    const server = await authTicksServer((token) => token.startsWith("tok-"), { maxConnectionLifespan: 150 });
    const contexts: TokenContext[] = [];
    const client = createClient(`ws://127.0.0.1:${server.port}`, ticksContract, {
      WebSocket: NodeWebSocket,
      backoff: { initial: 10, max: 20 },
      token: async (context) => {
        contexts.push(context);
        await new Promise((resolve) => setTimeout(resolve, 5)); // as a refresh over the network would
        return `tok-${contexts.length}`;
      },
    });
    cleanups.push(() => client.close());
    const ticks: Tick[] = [];
    await client.ticks.ticks.subscribe({ name: "a" }, (tick) => ticks.push(tick));
    await eventually(() => server.seen.length >= 3 && ticks.length >= 3, 5_000, "two reconnects, each resubscribed");
    expect(server.seen.slice(0, 3).map(({ token, accepted }) => [token, accepted])).toEqual([
      ["tok-1", true],
      ["tok-2", true],
      ["tok-3", true],
    ]);
    expect(contexts.slice(0, 3)).toEqual([{ refused: false }, { refused: false }, { refused: false }]);
  });

  it("from a function is asked again after the server closes at the credentials' expiry (4001), and the subscription goes on", async () => {
    const server = await authTicksServer((token) => token.startsWith("tok-"), { expiresInMs: 200 });
    const states: string[] = [];
    let issued = 0;
    const client = createClient(`ws://127.0.0.1:${server.port}`, ticksContract, {
      WebSocket: NodeWebSocket,
      backoff: { initial: 10, max: 20 },
      token: () => `tok-${(issued += 1)}`,
      onStateChange: (state) => states.push(state),
    });
    cleanups.push(() => client.close());
    const ticks: Tick[] = [];
    await client.ticks.ticks.subscribe({ name: "a" }, (tick) => ticks.push(tick));
    await eventually(() => server.seen.length >= 2 && ticks.length >= 2, 5_000, "a reconnect after the expiry, resubscribed");
    expect(server.seen.slice(0, 2).map(({ token, accepted }) => [token, accepted])).toEqual([
      ["tok-1", true],
      ["tok-2", true],
    ]);
    // An expiry is not a refusal: the client reconnected by itself.
    expect(states).toContain("reconnecting");
    expect(states).not.toContain("refused");
  });

  for (const [what, answer] of [
    ["no string", 42],
    ["an empty string", ""],
    ["a line break, for a header", "tok\n"],
  ] as const) {
    it(`function answering ${what} closes the client with an option error, once: asking again would answer the same`, async () => {
      const server = await authTicksServer(() => true);
      const errors: Error[] = [];
      const states: string[] = [];
      let calls = 0;
      const client = new WsClient(`ws://127.0.0.1:${server.port}${endpointPath("ticks")}`, {
        WebSocket: NodeWebSocket,
        backoff: { initial: 10, max: 20 },
        // Bad on purpose: what plain JavaScript may return.
        token: () => ((calls += 1), answer as string),
        onError: (error) => errors.push(error),
        onStateChange: (state) => states.push(state),
      });
      cleanups.push(() => client.close());
      const failure = await client.until("open").catch((error: unknown) => error);
      expect(failure).toMatchObject({
        name: "WsgenError",
        code: "ERR_INVALID_OPTION",
        message: expect.stringMatching(/^Option token must be/),
      });
      await expect(client.subscribe("ticks", { name: "a" }, () => undefined)).rejects.toBe(failure);
      await new Promise((resolve) => setTimeout(resolve, 100)); // ten backoff delays
      expect([calls, errors, states, server.upgradeRequests()]).toEqual([1, [failure], ["closed"], 0]);
      expect(() => client.reconnect()).toThrow(expect.objectContaining({ code: "ERR_CLIENT_CLOSED" }));
    });
  }

  it("function that throws is reported, and the client keeps trying", async () => {
    const server = await authTicksServer(() => true);
    const errors: Error[] = [];
    let calls = 0;
    const client = new WsClient(`ws://127.0.0.1:${server.port}${endpointPath("ticks")}`, {
      WebSocket: NodeWebSocket,
      backoff: { initial: 10, max: 20 },
      token: () => {
        calls += 1;
        if (calls < 3) throw new Error("identity provider unreachable");
        return "fresh";
      },
      onError: (error) => errors.push(error),
    });
    cleanups.push(() => client.close());
    await client.until("open");
    expect(errors.map((error) => error.message)).toEqual([
      "the token function failed: identity provider unreachable",
      "the token function failed: identity provider unreachable",
    ]);
    expect(server.seen).toEqual([expect.objectContaining({ token: "fresh", accepted: true })]);
  });
});

describe("client options", () => {
  const browserLike = browserLikeWebSocket([]);
  const bad: [string, Record<string, unknown>, RegExp][] = [
    [
      "a token that is no string or function",
      { token: ["s3cret"] },
      /Option token must be a non-empty string or a function returning one, got an array/,
    ],
    ["an empty token", { token: "" }, /Option token must be a non-empty string or a function returning one, got an empty string/],
    ["an unknown tokenIn", { token: "t", tokenIn: "cookie" }, /Option tokenIn must be "header" or "query", got cookie/],
    [
      "a token read from a file with its line break, sent as a header (Node's http would throw ERR_INVALID_CHAR)",
      { token: "s3cret\n" },
      /Option token must be a string an HTTP header can carry when it is sent as a header .*got a string with a character/,
    ],
    [
      "a header value with a line break",
      { headers: { "x-a": "s3cret\r\n" } },
      /Option headers must be an object of names and values an HTTP header can carry, got a header with a character it cannot carry/,
    ],
    ["a header name with a space", { headers: { "x a": "s3cret" } }, /Option headers must be an object of names and values an HTTP header/],
    [
      "headers of numbers",
      { headers: { "x-n": 1 } },
      /Option headers must be an object of string values, got an object with a value that is no string/,
    ],
    [
      "headers that are a string",
      { headers: "Authorization: Bearer s3cret" },
      /Option headers must be an object of string values, got a string/,
    ],
    ["a query that is a string", { query: "token=s3cret" }, /Option query must be an object of string values, got a string/],
    [
      "headers for a browser's WebSocket",
      { WebSocket: browserLike, headers: { "x-a": "s3cret" } },
      /Option headers must be empty unless WebSocket is ws's .*got headers x-a/,
    ],
    [
      "the token in a header for a browser's WebSocket",
      { WebSocket: browserLike, token: "s3cret", tokenIn: "header" },
      /Option tokenIn must be "query" unless WebSocket is ws's/,
    ],
    [
      "an Authorization header beside a token",
      { token: "s3cret", headers: { Authorization: "Bearer s3cret" } },
      /Option headers must be without Authorization when token is given/,
    ],
    [
      "a token parameter beside a token in the query",
      { token: "s3cret", tokenIn: "query", query: { token: "s3cret" } },
      /Option query must be without token when token is given/,
    ],
    ["a negative requestTimeout", { requestTimeout: -1 }, /Option requestTimeout must be a number from 1 to 2147483647, got -1/],
    ["a jitter over 1", { backoff: { jitter: 2 } }, /Option backoff.jitter must be a number from 0 to 1, got 2/],
    ["an onError that is no function", { onError: "log" }, /Option onError must be a function, got log/],
    ["a WebSocket that is no class", { WebSocket: 42 }, /Option WebSocket must be a WebSocket class/],
    ["a path that is no function", { path: "/ws" }, /Option path must be a function/],
  ];
  for (const [what, options, message] of bad) {
    it(`refuses ${what} when the client is created, before any connection`, () => {
      // Bad on purpose (typed loosely as `bad` is): what plain JavaScript may pass.
      const create = (): unknown => createClient("ws://127.0.0.1:1", ticksContract, { WebSocket: NodeWebSocket, ...options });
      expect(create).toThrow(message);
      expect(create).toThrow(expect.objectContaining({ name: "WsgenError", code: "ERR_INVALID_OPTION" }));
      expect(create).not.toThrow(/s3cret/); // credentials never show in the message
    });
  }

  it("refuse a base URL that is neither ws(s) nor http(s), nor a path on the page's origin, without printing its credentials", () => {
    for (const [base, shown] of [
      ["127.0.0.1:8000", '"127.0.0.1:8000"'],
      ["ftp://alice:s3cret@host", '"ftp://host"'],
      ["api", '"api"'],
    ]) {
      const create = (): unknown => createClient(base!, ticksContract, { WebSocket: NodeWebSocket });
      expect(create).toThrow(
        `Option baseUrl must be a ws://, wss://, http:// or https:// URL, or "" or a path from "/" for the page's own origin, got ${shown}.`,
      );
      expect(create).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    }
  });

  it("are checked by WsClient too, and never print a header's value", () => {
    const create = (): unknown =>
      new WsClient(`ws://127.0.0.1:1${endpointPath("ticks")}`, {
        WebSocket: browserLikeWebSocket([]),
        headers: { authorization: "Bearer s3cret" },
      });
    expect(create).toThrow(/Option headers must be empty unless WebSocket is ws's/);
    expect(create).not.toThrow(/s3cret/);
  });
});

describe("a same-origin (relative) base URL, as in a browser", () => {
  it("opens the same relative URL with a token as without one (added as ?token=), and subscribe never throws", () => {
    const opened: string[] = [];
    const WebSocket = unconnectedWebSocket(opened);
    const plain = createClient("", ticksContract, { WebSocket, requestTimeout: 50 });
    cleanups.push(() => plain.close());
    void plain.ticks.ticks.subscribe({ name: "a" }, () => undefined).catch(() => undefined);
    const withToken = createClient("", ticksContract, { WebSocket, token: "t0k", query: { app: "tests" }, requestTimeout: 50 });
    cleanups.push(() => withToken.close());
    let subscribing: Promise<unknown> | undefined;
    expect(() => (subscribing = withToken.ticks.ticks.subscribe({ name: "a" }, () => undefined))).not.toThrow();
    void subscribing?.catch(() => undefined);
    expect(opened).toEqual([endpointPath("ticks"), `${endpointPath("ticks")}?app=tests&token=t0k`]);
  });

  it("is resolved against the page's location, https becoming wss", () => {
    vi.stubGlobal("location", { href: "https://app.example/dashboard/?tab=1" });
    const opened: string[] = [];
    const client = createClient("", ticksContract, { WebSocket: unconnectedWebSocket(opened), token: "t0k", requestTimeout: 50 });
    cleanups.push(() => client.close());
    void client.ticks.ticks.subscribe({ name: "a" }, () => undefined).catch(() => undefined);
    expect(opened).toEqual([`wss://app.example${endpointPath("ticks")}?token=t0k`]);
    expect(client.connection("ticks").url).toBe(`wss://app.example${endpointPath("ticks")}`);
  });

  it("rejects a subscribe, not throws, when the WebSocket refuses the endpoint a path gives", async () => {
    const client = createClient("", ticksContract, { WebSocket: NodeWebSocket, path: () => "not a url" });
    cleanups.push(() => client.close());
    let subscribing: Promise<unknown> | undefined;
    expect(() => (subscribing = client.ticks.ticks.subscribe({ name: "a" }, () => undefined))).not.toThrow();
    await expect(subscribing).rejects.toThrow(/Invalid URL/);
  });
});
