/**
 * Authentication and per-subscription authorization, from outside the
 * process's sockets: every falsy `authenticate` answer is a 401, an expiring
 * identity is closed with 4001 (and a fresh token gets back in), `authorize`
 * runs on every subscribe — not only a topic's first — and refuses with
 * `forbidden`, keeping nothing and counting it; the user's type flows from
 * `authenticate` to the hooks and `TopicContext` without a cast.
 */
import type { IncomingMessage } from "node:http";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { authenticated, defineModule, WsRoute, type AuthorizeHook, type RouteOptions, type TopicContext } from "wsgen";
import { TestClient } from "./support/client.js";
import { OrderSubscriptionRequest, PlacedOrder, RecordingService } from "./support/fixtures.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

interface Trader {
  sub: string;
  accounts: string[];
}

/** Shaped like a generated router class: `User` is its type parameter. */
class AccountWsRouter<User = unknown> extends WsRoute<OrderSubscriptionRequest, PlacedOrder, User> {
  constructor(options: RouteOptions<OrderSubscriptionRequest, PlacedOrder, "orders", User>) {
    super({ ...options, route: "orders", request: OrderSubscriptionRequest, data: PlacedOrder, requestName: "X", dataName: "Y" });
  }
}

/** Tokens of the tests: `alice` holds, `bob` holds B-1. */
const TRADERS: Record<string, Trader> = { alice: { sub: "alice", accounts: ["A-1", "A-2"] }, bob: { sub: "bob", accounts: ["B-1"] } };
const tokenOf = (request: IncomingMessage): string =>
  new URL(request.url ?? "/", "http://x").searchParams.get("token") ?? request.headers.authorization?.replace(/^Bearer /, "") ?? "";

let running: RunningApp<Trader> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/** An `authorize` hook whose directory is down. */
const directoryDown = (): boolean => {
  throw new Error("directory down");
};

/** The orders route behind `authorize` alone, with every report kept; `connect(token)` opens a socket. */
async function startWithHook(authorize: AuthorizeHook<Trader, OrderSubscriptionRequest>, options: { authorizeTimeout?: number } = {}) {
  const reported: unknown[] = [];
  const route = new AccountWsRouter<Trader>({ service: new RecordingService(), authorize });
  running = await startApp({
    modules: [defineModule<Trader>({ name: "broker", routes: [route] })],
    authenticate: (request) => TRADERS[tokenOf(request)],
    onError: (error) => reported.push(error),
    ...options,
  });
  const connect = (token: string) => TestClient.connect(`${running!.wsUrl("broker")}?token=${token}`);
  return { reported, connect };
}

describe("authenticate", () => {
  it.each([
    ["0", 0],
    ['""', ""],
    ["NaN", Number.NaN],
    ["0n", 0n],
    ["null", null],
    ["undefined", undefined],
    ["false", false],
  ])("answers 401 when it returns %s", async (_name, falsy) => {
    // Plain JavaScript callers can return anything; the type is widened as theirs would be.
    const authenticate = (): unknown => falsy;
    const app = await startApp<unknown>({ modules: [{ name: "broker", routes: [] }], authenticate });
    try {
      await expect(TestClient.connect(app.wsUrl("broker"))).rejects.toThrow(/HTTP 401/);
    } finally {
      await app.stop();
    }
  });

  it("closes a connection with 4001 when its credentials expire, refuses expired ones, and lets a fresh token in", async () => {
    // token "t<ms>" is valid until now + ms, "expired" already ended.
    const authenticate = (request: IncomingMessage) => {
      const token = tokenOf(request);
      if (token === "expired") return authenticated(TRADERS.alice!, { expiresAt: Date.now() - 1 });
      const lifetime = Number(/^t(\d+)$/.exec(token)?.[1]);
      return Number.isFinite(lifetime) ? authenticated(TRADERS.alice!, { expiresAt: new Date(Date.now() + lifetime) }) : null;
    };
    running = await startApp({ modules: [{ name: "broker", routes: [] }], authenticate });
    await expect(TestClient.connect(`${running.wsUrl("broker")}?token=expired`)).rejects.toThrow(/HTTP 401/);
    const shortLived = await TestClient.connect(`${running.wsUrl("broker")}?token=t200`);
    expect(await shortLived.closed).toEqual({ code: 4001, reason: "credentials expired" });
    expect(running.app.stats().modules.broker?.credentialsExpiredCloses).toBe(1);
    // What a client's token provider does on 4001: reconnect with a new token.
    const renewed = await TestClient.connect(`${running.wsUrl("broker")}?token=t60000`);
    expect(await renewed.request("ping")).toMatchObject({ type: "pong" });
    await renewed.close();
  });
});

describe("authorize", () => {
  const start = async (hooks: { module?: boolean; route?: boolean; slow?: boolean } = { route: true }) => {
    const orders = new RecordingService<OrderSubscriptionRequest, PlacedOrder>();
    const seen: TopicContext<OrderSubscriptionRequest, Trader>[] = [];
    const service = {
      createTopic: (...args: Parameters<typeof orders.createTopic>) => orders.createTopic(...args),
      removeTopic: (topic: string) => orders.removeTopic(topic),
    };
    const route = new AccountWsRouter<Trader>({
      service: {
        ...service,
        createTopic: (topic, update, context) => {
          seen.push(context);
          return orders.createTopic(topic, update, context);
        },
      },
      ...(hooks.route === true
        ? {
            authorize: async ({ user, request }) => {
              if (hooks.slow === true) await new Promise((resolve) => setTimeout(resolve, 20));
              return user.accounts.includes(request.accountId) || `account ${request.accountId} is not ${user.sub}'s`;
            },
          }
        : {}),
    });
    const module = defineModule<Trader>({
      name: "broker",
      routes: [route],
      ...(hooks.module === true ? { authorize: ({ user }) => user.sub !== "bob" } : {}),
    });
    running = await startApp({ modules: [module], authenticate: (request) => TRADERS[tokenOf(request)] });
    const connect = (who: string) => TestClient.connect(`${running!.wsUrl("broker")}?token=${who}`);
    return { orders, seen, connect };
  };

  it("admits a user on their own accounts and refuses another's with forbidden, keeping nothing", async () => {
    const { orders, seen, connect } = await start({ route: true, slow: true });
    const alice = await connect("alice");
    expect((await alice.subscribe("orders", { accountId: "A-1" })).payload).toMatchObject({ status: "ok" });
    const refused = await alice.subscribe("orders", { accountId: "B-1" });
    expect(refused.payload).toEqual({
      status: "error",
      code: "forbidden",
      message: "account B-1 is not alice's",
      topic: 'orders:{"accountId":"B-1"}',
    });
    expect(orders.count("create", 'orders:{"accountId":"B-1"}')).toBe(0);
    const stats = running!.app.stats().modules.broker!;
    expect([stats.routes.orders!.topics, stats.routes.orders!.subscriptions, stats.routes.orders!.subscriptionsForbidden]).toEqual([
      1, 1, 1,
    ]);
    // The user reaches TopicContext: the one whose subscribe created the topic.
    expect(seen.map((context) => context.user.sub)).toEqual(["alice"]);
    await alice.close();
  });

  it("runs on every subscribe: a later subscriber of a live topic is refused too", async () => {
    const { orders, connect } = await start({ route: true });
    const bob = await connect("bob");
    expect((await bob.subscribe("orders", { accountId: "B-1" })).payload.status).toBe("ok");
    const alice = await connect("alice");
    expect((await alice.subscribe("orders", { accountId: "B-1" })).payload.code).toBe("forbidden");
    orders.publish('orders:{"accountId":"B-1"}', { id: "o1", symbol: "AAPL", qty: 1 });
    await bob.next((frame) => frame.type === "orders.update");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alice.frames.filter((frame) => frame.type === "orders.update")).toEqual([]);
    expect(running!.app.stats().modules.broker!.routes.orders!.subscriptions).toBe(1);
    await Promise.all([alice.close(), bob.close()]);
  });

  it("asks the module's hook before the route's; either refuses", async () => {
    const { connect } = await start({ module: true, route: true });
    const bob = await connect("bob");
    expect((await bob.subscribe("orders", { accountId: "B-1" })).payload).toMatchObject({
      code: "forbidden",
      message: 'not authorized to subscribe to orders:{"accountId":"B-1"}',
    });
    await bob.close();
  });

  it("refuses with internal_error when a hook throws, and reports it once per connection", async () => {
    const { reported, connect } = await startWithHook(directoryDown);
    const alice = await connect("alice");
    for (let i = 0; i < 5; i++) expect((await alice.subscribe("orders", { accountId: "A-1" })).payload.code).toBe("internal_error");
    expect(reported).toHaveLength(1);
    expect(running!.app.stats().modules.broker).toMatchObject({ connectionErrors: 5, errorsNotLogged: 4 });
    await alice.close();
  });

  it("types the user from authenticate through the hooks and TopicContext", () => {
    expectTypeOf<
      Parameters<NonNullable<RouteOptions<OrderSubscriptionRequest, PlacedOrder, "orders", Trader>["authorize"]>>[0]["user"]
    >().toEqualTypeOf<Trader>();
    expectTypeOf<TopicContext<OrderSubscriptionRequest, Trader>["user"]>().toEqualTypeOf<Trader>();
  });
});

describe("protectDocs", () => {
  it("answers the documents 401 without credentials and serves them with", async () => {
    running = await startApp({
      modules: [{ name: "broker", routes: [new AccountWsRouter<Trader>({ service: new RecordingService() })] }],
      authenticate: (request) => TRADERS[tokenOf(request)],
      protectDocs: true,
    });
    for (const path of ["/api/v1/broker/ws/asyncapi.json", "/api/v1/ws/asyncapi.json", "/api/v1/broker/ws/asyncapi"]) {
      const refused = await fetch(running.httpUrl(path));
      expect([path, refused.status]).toEqual([path, 401]);
      expect(await refused.text()).not.toMatch(/token/);
      expect((await fetch(running.httpUrl(path), { headers: { authorization: "Bearer alice" } })).status).toBe(200);
    }
  });
});

describe("the wait for an expiry", () => {
  it("holds for an expiry past Node's longest timer", async () => {
    const authenticate = () => authenticated(TRADERS.alice!, { expiresAt: Date.now() + 40 * 24 * 3600 * 1000 });
    running = await startApp({ modules: [{ name: "broker", routes: [] }], authenticate });
    const client = await TestClient.connect(running.wsUrl("broker"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await eventually(() => client.socket.readyState === client.socket.OPEN);
    await client.close();
  });
});

describe("authorize and the topic it guards", () => {
  /** A route whose request schema parses account ids into a Set (a transform), so the parsed request is not JSON data. */
  const SetRequest = z.object({ accountIds: z.array(z.string()).transform((ids) => new Set(ids)) });
  class AccountSetWsRouter extends WsRoute<z.infer<typeof SetRequest>, PlacedOrder, Trader> {
    constructor(options: RouteOptions<z.infer<typeof SetRequest>, PlacedOrder, "orders", Trader>) {
      super({ ...options, route: "orders", request: SetRequest, data: PlacedOrder, requestName: "AccountSetRequest", dataName: "Y" });
    }
  }

  // A topic is shared by whoever's request names it, each authorized on their own request: a Set written as `{}`
  // would put Bob (authorized on B-1) on the topic Alice's A-1 request created. Such a request names no topic.
  it("refuses a parsed request holding a Set with invalid_request, so two users' requests never share a topic", async () => {
    const reported: unknown[] = [];
    const service = new RecordingService<z.infer<typeof SetRequest>, PlacedOrder>();
    const route = new AccountSetWsRouter({
      service,
      authorize: ({ user, request }) => [...request.accountIds].every((id) => user.accounts.includes(id)),
    });
    running = await startApp({
      modules: [defineModule<Trader>({ name: "broker", routes: [route] })],
      authenticate: (request) => TRADERS[tokenOf(request)],
      onError: (error) => reported.push(error),
    });
    const alice = await TestClient.connect(`${running.wsUrl("broker")}?token=alice`);
    const bob = await TestClient.connect(`${running.wsUrl("broker")}?token=bob`);
    for (const [client, ids] of [
      [alice, ["A-1"]],
      [bob, ["B-1"]],
    ] as const) {
      const answer = (await client.subscribe("orders", { accountIds: ids })).payload;
      expect(answer).toMatchObject({ status: "error", code: "invalid_request", topic: "" });
      expect(answer.message).toMatch(/holds a Set at accountIds, which a topic cannot name/);
    }
    expect(service.calls).toEqual([]);
    // The route's schema is the server's mistake, not the client's: reported.
    expect(reported).toHaveLength(2);
    expect(reported[0]).toMatchObject({ code: "ERR_TOPIC_NOT_JSON" });
    await Promise.all([alice.close(), bob.close()]);
  });
});

describe("a slow authorize", () => {
  it("answers internal_error after authorizeTimeout, reports it, and runs the connection's next operation", async () => {
    let calls = 0;
    // The first answer never comes; the second is at once.
    const hang = () => (++calls === 1 ? new Promise<boolean>(() => undefined) : true);
    const { reported, connect } = await startWithHook(hang, { authorizeTimeout: 100 });
    const client = await connect("alice");
    const [first, second] = await Promise.all([
      client.subscribe("orders", { accountId: "A-1" }),
      client.subscribe("orders", { accountId: "A-2" }),
    ]);
    expect([first.payload.code, second.payload.status]).toEqual(["internal_error", "ok"]);
    expect(reported).toHaveLength(1);
    expect(String(reported[0])).toMatch(/no answer within 100 ms \(authorizeTimeout\)/);
    await client.close();
  });
});

describe("reports of one connection", () => {
  // The per-connection de-duplication is keyed on the error's code and where it happened: a client's own over-deep
  // request must not silence an authorize failure (a directory that is down) an operator needs to see.
  it("still reports an authorize failure after a request-shape error on the same connection", async () => {
    const { reported, connect } = await startWithHook(directoryDown);
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) deep = { a: deep };
    const client = await connect("alice");
    expect((await client.subscribe("orders", { accountId: "A-1", nested: deep })).payload.code).toBe("invalid_request");
    expect((await client.subscribe("orders", { accountId: "A-1" })).payload.code).toBe("internal_error");
    expect(reported.map((error) => (error as { code?: string }).code)).toEqual(["ERR_REQUEST_SHAPE", "ERR_AUTHORIZE_FAILED"]);
    await client.close();
  });
});
