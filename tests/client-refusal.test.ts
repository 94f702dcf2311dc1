/**
 * A refused connection is an error state, not endless reconnecting: HTTP 401
 * or 403 at the upgrade, or 1008 before any frame, puts the client in state
 * "refused" with a WsHandshakeError; subscribes reject at once; no attempt
 * follows until reconnect(). A token function gets one retry after a 401.
 */
import { describe, expect, it } from "vitest";
import { createClient, WsClient, WsHandshakeError, type ConnectionState, type TokenContext } from "wsgen/client";
import { CloseCode, CloseReason } from "../packages/wsgen/src/protocol/messages.js";
import { endpointPath } from "../packages/wsgen/src/protocol/paths.js";
import { authTicksServer, closingServer } from "./support/auth-server.js";
import { eventually } from "./support/server.js";
import { cleanups, NodeWebSocket, ticksContract, ticksServer, useCleanups } from "./support/typed-client.js";

useCleanups();

/** Long enough for a retrying client (10–20 ms backoff) to have made many attempts. */
const QUIET_MS = 300;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A typed client of `port` with fast reconnects, recording states (with their refusal) and errors. */
function observedClient(port: number, options: Parameters<typeof createClient>[2] = {}) {
  const states: [ConnectionState, number | undefined][] = [];
  const errors: Error[] = [];
  const client = createClient(`ws://127.0.0.1:${port}`, ticksContract, {
    WebSocket: NodeWebSocket,
    backoff: { initial: 10, max: 20 },
    requestTimeout: 5_000,
    onStateChange: (state, refusal) => states.push([state, refusal?.status ?? refusal?.closeCode]),
    onError: (error) => errors.push(error),
    ...options,
  });
  cleanups.push(() => client.close());
  return { client, states, errors };
}

describe("a refused upgrade", () => {
  it("with 401 for a wrong token: state refused, one error, subscribe rejects at once, no further attempt", async () => {
    const server = await authTicksServer((token) => token === "s3cret");
    const { client, states, errors } = observedClient(server.port, { token: "wrong" });
    const startedAt = performance.now();
    const subscribing = client.ticks.ticks.subscribe({ name: "a" }, () => undefined);
    const refused = await subscribing.catch((error: unknown) => error);
    expect(performance.now() - startedAt).toBeLessThan(2_000); // not the 5 s request timeout
    expect(refused).toBeInstanceOf(WsHandshakeError);
    expect(refused).toMatchObject({ code: "ERR_HANDSHAKE_REFUSED", status: 401, closeCode: undefined });
    expect((refused as Error).message).toBe(
      `the server refused the connection to ws://127.0.0.1:${server.port}${endpointPath("ticks")}: HTTP 401`,
    );
    expect(client.states()).toEqual({ ticks: "refused" });
    expect(client.connection("ticks").refusal).toBe(refused);
    expect(states).toEqual([["refused", 401]]);
    expect(errors).toEqual([refused]);

    await sleep(QUIET_MS);
    expect(server.upgradeRequests()).toBe(1);
    // Later requests fail the same way, at once.
    await expect(client.ticks.ticks.subscribe({ name: "b" }, () => undefined)).rejects.toBe(refused);
    await expect(client.connection("ticks").until("open")).rejects.toBe(refused);
    expect(server.upgradeRequests()).toBe(1);
    expect(errors).toHaveLength(1);
  });

  it("with 403 (origin not allowed): refused with status 403, and a token function is not asked again", async () => {
    const server = await authTicksServer(() => true, { allowedOrigins: ["https://app.example"] });
    const contexts: TokenContext[] = [];
    const { client, states, errors } = observedClient(server.port, {
      headers: { origin: "https://elsewhere.example" },
      token: (context) => {
        contexts.push(context);
        return "s3cret";
      },
    });
    await expect(client.ticks.ticks.subscribe({ name: "a" }, () => undefined)).rejects.toMatchObject({
      name: "WsHandshakeError",
      status: 403,
    });
    await sleep(QUIET_MS);
    expect(server.upgradeRequests()).toBe(1);
    expect(server.seen).toEqual([]); // refused before authenticate
    expect(contexts).toEqual([{ refused: false }]);
    expect(states).toEqual([["refused", 403]]);
    expect(errors).toHaveLength(1);
  });

  it("never puts the token of the query into the error", async () => {
    const server = await authTicksServer(() => false);
    const { client } = observedClient(server.port, { token: "leaky", tokenIn: "query" });
    const refused = await client.ticks.ticks.subscribe({ name: "a" }, () => undefined).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 401, url: `ws://127.0.0.1:${server.port}${endpointPath("ticks")}` });
    expect(String((refused as Error).message)).not.toMatch(/leaky/);
  });

  it("ends a stream that was live when a reconnect is refused, with the error", async () => {
    let valid = "first";
    const server = await authTicksServer((token) => token === valid, { maxConnectionLifespan: 150 });
    const { client, states } = observedClient(server.port, { token: "first" });
    const loop = (async () => {
      for await (const tick of client.ticks.ticks.stream({ name: "a" })) void tick;
    })().catch((error: unknown) => error);
    await eventually(() => client.states().ticks === "open", 2_000, "open");
    valid = "second"; // the token was revoked: the reconnect after the lifespan close gets 401
    expect(await loop).toMatchObject({ name: "WsHandshakeError", status: 401 });
    expect(states.map(([state]) => state)).toEqual(["open", "reconnecting", "refused"]);
  });
});

describe("a token function after a 401", () => {
  it("is asked once more with { refused: true }, and its fresh token gets through", async () => {
    const server = await authTicksServer((token) => token === "fresh");
    const contexts: TokenContext[] = [];
    const { client, states, errors } = observedClient(server.port, {
      token: (context) => {
        contexts.push(context);
        return context.refused ? "fresh" : "expired";
      },
    });
    await client.ticks.ticks.subscribe({ name: "a" }, () => undefined);
    expect(contexts).toEqual([{ refused: false }, { refused: true }]);
    expect(server.seen.map(({ token, accepted }) => [token, accepted])).toEqual([
      ["expired", false],
      ["fresh", true],
    ]);
    expect(states.map(([state]) => state)).toEqual(["reconnecting", "open"]);
    expect(errors).toEqual([]);
  });

  it("that is refused again stops the client: two attempts in all", async () => {
    const server = await authTicksServer(() => false);
    const contexts: TokenContext[] = [];
    const { client, states, errors } = observedClient(server.port, {
      token: (context) => {
        contexts.push(context);
        return "never-right";
      },
    });
    await expect(client.ticks.ticks.subscribe({ name: "a" }, () => undefined)).rejects.toMatchObject({ status: 401 });
    await sleep(QUIET_MS);
    expect(server.upgradeRequests()).toBe(2);
    expect(contexts).toEqual([{ refused: false }, { refused: true }]);
    expect(states).toEqual([
      ["reconnecting", undefined],
      ["refused", 401],
    ]);
    expect(errors).toHaveLength(1);
  });
});

describe("a refusal's error", () => {
  it("shows the endpoint without the URL's user:password, as without its query", async () => {
    const server = await authTicksServer(() => false);
    const client = new WsClient(`ws://alice:hunter2@127.0.0.1:${server.port}${endpointPath("ticks")}?app=tests`, {
      WebSocket: NodeWebSocket,
    });
    cleanups.push(() => client.close());
    const refusal = await client.until("open").catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(WsHandshakeError);
    expect((refusal as WsHandshakeError).url).toBe(`ws://127.0.0.1:${server.port}${endpointPath("ticks")}`);
    expect((refusal as WsHandshakeError).message).not.toContain("hunter2");
  });
});

describe("reconnect()", () => {
  for (const callback of ["onError", "onStateChange"] as const) {
    it(`called from the refusal's ${callback} is not undone: a subscribe made right after it is not rejected with that refusal`, async () => {
      const server = await authTicksServer(() => false);
      let first: WsHandshakeError | undefined;
      let afterReconnect: Promise<unknown> | undefined;
      const again = (refusal: Error | undefined): void => {
        if (!(refusal instanceof WsHandshakeError) || first !== undefined) return;
        first = refusal;
        client.reconnect(); // e.g. the user logged in again: connect again, then subscribe
        afterReconnect = client.subscribe("ticks", { name: "a" }, () => undefined).catch((error: unknown) => error);
      };
      const client: WsClient = new WsClient(`ws://127.0.0.1:${server.port}${endpointPath("ticks")}`, {
        WebSocket: NodeWebSocket,
        token: "wrong",
        requestTimeout: 2_000,
        ...(callback === "onError" ? { onError: again } : { onStateChange: (_state, refusal) => again(refusal) }),
      });
      cleanups.push(() => client.close());
      await eventually(() => afterReconnect !== undefined, 2_000, "the refusal's callback");
      // It fails with the refusal of the attempt reconnect() started, never with the first one.
      const outcome = await afterReconnect;
      expect(outcome).toBeInstanceOf(WsHandshakeError);
      expect(outcome).not.toBe(first);
      expect(server.upgradeRequests()).toBe(2);
    });
  }

  it("tries again after a refusal, asking the token function again", async () => {
    let loggedIn = false;
    const server = await authTicksServer((token) => token === "user-token");
    const { client, states } = observedClient(server.port, { token: () => (loggedIn ? "user-token" : "anonymous") });
    await expect(client.ticks.ticks.subscribe({ name: "a" }, () => undefined)).rejects.toMatchObject({ status: 401 });
    loggedIn = true;
    client.reconnect();
    expect(client.states().ticks).toBe("reconnecting");
    expect(client.connection("ticks").refusal).toBeUndefined();
    const ticks: number[] = [];
    await client.ticks.ticks.subscribe({ name: "a" }, (tick) => ticks.push(tick.n));
    await eventually(() => ticks.length > 0, 2_000, "a tick after logging in");
    expect(server.upgradeRequests()).toBe(3); // refused, refused with a fresh token, accepted
    expect(states.map(([state]) => state)).toEqual(["reconnecting", "refused", "reconnecting", "open"]);
  });

  it("skips the wait while reconnecting", async () => {
    const gone = await ticksServer(0, false);
    await gone.stop();
    const client = new WsClient(`ws://127.0.0.1:${gone.port}${endpointPath("ticks")}`, {
      WebSocket: NodeWebSocket,
      backoff: { initial: 60_000, max: 60_000, jitter: 0 },
    });
    cleanups.push(() => client.close());
    await eventually(() => client.state === "reconnecting", 2_000, "reconnecting");
    const back = await ticksServer(gone.port, false);
    cleanups.push(() => back.stop());
    const startedAt = performance.now();
    client.reconnect();
    await client.until("open");
    expect(performance.now() - startedAt).toBeLessThan(2_000); // not the 60 s backoff
  });

  it("does nothing while open, and throws after close()", async () => {
    const server = await authTicksServer(() => true);
    const client = new WsClient(`ws://127.0.0.1:${server.port}${endpointPath("ticks")}`, { WebSocket: NodeWebSocket, token: "t" });
    await client.until("open");
    client.reconnect();
    expect(client.state).toBe("open");
    client.close();
    expect(() => client.reconnect()).toThrow(expect.objectContaining({ code: "ERR_CLIENT_CLOSED" }));
    expect(server.upgradeRequests()).toBe(1);
  });
});

describe("a close with 1008", () => {
  it("before any frame is a refusal, with its close code and reason", async () => {
    const server = await closingServer(CloseCode.policyViolation, "token expired");
    const errors: Error[] = [];
    const client = new WsClient(`${server.url}${endpointPath("ticks")}`, {
      WebSocket: NodeWebSocket,
      backoff: { initial: 10, max: 20 },
      token: "t",
      onError: (error) => errors.push(error),
    });
    cleanups.push(() => client.close());
    await expect(client.until("open")).resolves.toBeUndefined();
    await eventually(() => client.state === "refused", 2_000, "refused");
    expect(client.refusal).toMatchObject({ status: undefined, closeCode: 1008, reason: "token expired" });
    expect(errors.map((error) => error.message)).toEqual([
      `the server refused the connection to ${server.url}${endpointPath("ticks")}: closed with 1008 "token expired"`,
    ]);
    await sleep(QUIET_MS);
    expect(server.connections()).toBe(1);
  });

  it("for the rate limit is no refusal: the client reconnects", async () => {
    const server = await closingServer(CloseCode.policyViolation, CloseReason.rateLimit);
    const client = new WsClient(`${server.url}${endpointPath("ticks")}`, { WebSocket: NodeWebSocket, backoff: { initial: 10, max: 20 } });
    cleanups.push(() => client.close());
    await eventually(() => server.connections() >= 3, 2_000, "reconnects");
    expect(client.state).not.toBe("refused");
  });
});
