/**
 * The bad-input table (docs/bad-input.md) and reference counting under generated input,
 * over real sockets on 127.0.0.1: random binary frames close with 1003,
 * random text frames are answered and never close the connection (one byte
 * over maxPayload closes with 1009), random subscribe/unsubscribe payloads
 * get well-formed responses with the request's id, and random
 * multi-client sequences (with a service that fails or stalls) leave no
 * topic behind. Throughout, the process never sees an uncaught exception
 * or an unhandled rejection.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { buildTopic, type RouteStats, type WsRouteService } from "wsgen";
import { BarSubscriptionRequest, BarWsRouter, RecordingService, type Bar } from "./support/fixtures.js";
import { TestClient, type Frame } from "./support/client.js";
import { eventually, startApp, type RunningApp } from "./support/server.js";

const MAX_PAYLOAD = 4096;

// ---------------------------------------------------------------------------
// Crash detection for the whole file (property 5).

const crashes: { kind: "uncaughtException" | "unhandledRejection"; error: unknown }[] = [];
const onUncaughtException = (error: Error): void => {
  crashes.push({ kind: "uncaughtException", error });
};
const onUnhandledRejection = (reason: unknown): void => {
  crashes.push({ kind: "unhandledRejection", error: reason });
};
beforeAll(() => {
  process.on("uncaughtException", onUncaughtException);
  process.on("unhandledRejection", onUnhandledRejection);
});
afterAll(() => {
  process.off("uncaughtException", onUncaughtException);
  process.off("unhandledRejection", onUnhandledRejection);
});

// ---------------------------------------------------------------------------
// One server per describe block.

interface BarsServer {
  running: RunningApp;
  /** Records every call; its removeTopic runs (and is recorded) once the removal delay has passed. */
  service: RecordingService<BarSubscriptionRequest, Bar>;
  /** How long the service's removeTopic takes, so a re-creation has to wait for it. */
  timing: { removalDelayMs: number };
  /** Everything the app reported through onError. */
  reported: unknown[];
  connect: () => Promise<TestClient>;
  barStats: () => RouteStats;
  connections: () => number;
}

async function startBarsServer(): Promise<BarsServer> {
  const service = new RecordingService<BarSubscriptionRequest, Bar>();
  const reported: unknown[] = [];
  const timing = { removalDelayMs: 0 };
  const slowToRemove: WsRouteService<BarSubscriptionRequest, Bar> = {
    createTopic: (topic, topicUpdate, context) => service.createTopic(topic, topicUpdate, context),
    removeTopic: async (topic) => {
      if (timing.removalDelayMs > 0) await pause(timing.removalDelayMs);
      service.removeTopic(topic);
    },
  };
  const running = await startApp({
    modules: [{ name: "datafeed", routes: [new BarWsRouter({ route: "bars", service: slowToRemove })] }],
    maxPayload: MAX_PAYLOAD,
    onError: (error) => reported.push(error),
  });
  return {
    running,
    service,
    timing,
    reported,
    connect: () => TestClient.connect(running.wsUrl("datafeed")),
    barStats: () => running.app.stats().modules.datafeed!.routes.bars!,
    connections: () => running.app.stats().modules.datafeed!.connections,
  };
}

/** Starts a server before the describe block's tests and stops it after them. */
function useBarsServer(): () => BarsServer {
  let server: BarsServer | undefined;
  beforeAll(async () => {
    server = await startBarsServer();
  });
  afterAll(async () => {
    await server?.running.stop();
  });
  return () => server!;
}

/** A pause inside the fake service (a slow upstream), never a wait in the test itself. */
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects if `promise` has not settled within `ms`, so a missing close fails one run instead of hanging the test. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Terminates every client that is still connected. */
function terminateAll(clients: readonly TestClient[]): void {
  for (const client of clients) client.socket.terminate();
}

/** JSON text of `value`, or undefined when JSON cannot represent it (undefined, BigInt, …). */
function toJsonText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

const fitsMaxPayload = (text: string): boolean => Buffer.byteLength(text) <= MAX_PAYLOAD;

/** Asserts the connection is still usable: a ping gets a pong carrying its id, and nothing else is pending. */
async function expectStillServing(client: TestClient): Promise<void> {
  expect(client.socket.readyState).toBe(WebSocket.OPEN);
  const pong = await client.request("ping");
  expect(pong).toEqual({ type: "pong", id: pong.id });
  expect(pong.id).toMatch(/^r\d+$/);
  expect(client.frames).toEqual([]);
}

// ---------------------------------------------------------------------------
// 1. Binary frames.

describe("random binary frames", () => {
  const server = useBarsServer();

  it("close the connection with 1003, release the sender's topics, and a fresh client is still served", async () => {
    const binaryFrames = fc.array(fc.uint8Array({ maxLength: MAX_PAYLOAD }), { minLength: 1, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(binaryFrames, fc.boolean(), async (frames, subscribeFirst) => {
        const { connect, barStats, service } = server();
        const sender = await connect();
        try {
          if (subscribeFirst) expect((await sender.subscribe("bars", { symbol: "BIN" })).payload.status).toBe("ok");
          for (const frame of frames) sender.socket.send(frame, { binary: true });
          expect((await within(sender.closed, 2_000, "close")).code).toBe(1003);
        } finally {
          sender.socket.terminate();
        }
        await eventually(
          () => barStats().subscriptions === 0 && service.count("create") === service.count("remove"),
          2_000,
          "the binary sender's topics released",
        );
        const fresh = await connect();
        try {
          await expectStillServing(fresh);
        } finally {
          fresh.socket.terminate();
        }
      }),
      { numRuns: 60, interruptAfterTimeLimit: 12_000 },
    );
    expect(server().reported).toEqual([]);
  }, 15_000);
});

// ---------------------------------------------------------------------------
// 2. Random text frames.

/**
 * What docs/protocol.md fixes about the answer to one text frame. `error` means an
 * `error` frame whose code is invalid_message or unknown_operation (which of
 * the two, for a JSON object that is not a valid envelope, is the runtime's
 * choice); `none` is a client's `pong`, which needs no answer.
 */
type Expected =
  | { reply: "none" }
  | { reply: "pong"; id: string | undefined }
  | { reply: "response"; type: string; id: string | undefined }
  | { reply: "invalid_message"; id: undefined }
  | { reply: "error"; id: string | undefined };

const CLIENT_OPERATIONS = ["bars.subscribe", "bars.unsubscribe"];

function expectedAnswer(text: string): Expected {
  // The server decodes UTF-8, so lone surrogates arrive as U+FFFD.
  const received = Buffer.from(text).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(received);
  } catch {
    return { reply: "invalid_message", id: undefined };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { reply: "invalid_message", id: undefined };
  const { type, id } = value as Record<string, unknown>;
  // `"id"?: string`: any other id makes the object no envelope.
  if (id !== undefined && typeof id !== "string") return { reply: "invalid_message", id: undefined };
  if (type === "pong") return { reply: "none" };
  if (type === "ping") return { reply: "pong", id };
  if (typeof type === "string" && CLIENT_OPERATIONS.includes(type)) return { reply: "response", type: `${type}.response`, id };
  return { reply: "error", id };
}

function expectAnswerMatches(answer: Frame, expected: Exclude<Expected, { reply: "none" }>): void {
  // When a client sends an id, every reply to that frame carries the same id.
  if (expected.id !== undefined) expect(answer.id).toBe(expected.id);
  else expect(answer).not.toHaveProperty("id");
  switch (expected.reply) {
    case "pong":
      expect(answer.type).toBe("pong");
      break;
    case "response":
      expect(answer.type).toBe(expected.type);
      expect(["ok", "error"]).toContain(answer.payload.status);
      expect(typeof answer.payload.message).toBe("string");
      expect(typeof answer.payload.topic).toBe("string");
      break;
    case "invalid_message":
      expect(answer.type).toBe("error");
      expect(answer.payload.code).toBe("invalid_message");
      expect(typeof answer.payload.message).toBe("string");
      break;
    case "error":
      expect(answer.type).toBe("error");
      expect(["invalid_message", "unknown_operation"]).toContain(answer.payload.code);
      expect(typeof answer.payload.message).toBe("string");
      break;
  }
}

/** Characters that stress a JSON parser and a UTF-8 decoder, mixed with any code point. */
const trickyUnit = fc.oneof(
  fc.constantFrom("\uD800", "\uDFFF", "\u0000", "\uFFFD", "\\", '"', "{", "}", "[", "]", ":", ","),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
);

const envelopeLike = fc.record(
  {
    type: fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom(
          "bars.subscribe",
          "bars.unsubscribe",
          "ping",
          "pong",
          "bars.update",
          "bars.subscribe.response",
          "error",
          "",
          "__proto__",
          "constructor",
          "toString",
          "orders.subscribe",
          "bars",
          "bars.subscribe ",
        ),
      },
      fc.string(),
      fc.anything({ maxDepth: 1 }),
    ),
    payload: fc.oneof(fc.anything(), fc.record({ symbol: fc.constantFrom("AAPL", "", 7) }, { requiredKeys: [] })),
    id: fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 12 }) }, fc.anything({ maxDepth: 1 })),
  },
  { requiredKeys: ["type"] },
);

/** A JSON text cut off at a random point. */
const truncatedJson = fc.tuple(fc.jsonValue(), fc.nat()).map(([value, cut]) => {
  const text = JSON.stringify(value);
  return text.slice(0, cut % (text.length + 1));
});

/** Arrays or objects nested far deeper than any request schema, bare or as a request payload. */
const deeplyNested = fc.oneof(
  fc.integer({ min: 1, max: 2_000 }).map((depth) => "[".repeat(depth) + "]".repeat(depth)),
  fc.integer({ min: 1, max: 600 }).map((depth) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth)),
  fc
    .integer({ min: 1, max: 1_900 })
    .map((depth) => `{"type":"bars.subscribe","payload":{"symbol":${"[".repeat(depth)}${"]".repeat(depth)}}}`),
);

const textFrame = fc
  .oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: trickyUnit, maxLength: 200 }),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.anything({ withBoxedValues: true, withNullPrototype: true, withSparseArray: true, withDate: true }).map(toJsonText),
    { weight: 4, arbitrary: envelopeLike.map(toJsonText) },
    truncatedJson,
    deeplyNested,
  )
  .filter((text): text is string => text !== undefined && fitsMaxPayload(text));

describe("random text frames", () => {
  const server = useBarsServer();

  it("are each answered with an error (invalid_message / unknown_operation) or a response, and the connection stays open", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(textFrame, { minLength: 1, maxLength: 8 }), async (texts) => {
        const client = await server().connect();
        try {
          for (const text of texts) {
            const expected = expectedAnswer(text);
            client.send(text);
            if (expected.reply === "none") continue;
            const answer = await client.next(() => true, 2_000);
            expectAnswerMatches(answer, expected);
          }
          await expectStillServing(client);
        } finally {
          client.socket.terminate();
        }
      }),
      { numRuns: 150, interruptAfterTimeLimit: 12_000 },
    );
    // Client errors are answered, not reported; the one exception is a request over the shape limits, logged once per connection.
    const reported = server().reported.map((error) => (error as { code?: string }).code);
    expect(reported.filter((code) => code !== "ERR_REQUEST_SHAPE")).toEqual([]);
    expect(reported.length).toBeLessThanOrEqual(150);
  }, 15_000);

  it("answers a frame of exactly maxPayload bytes, and closes one byte more with 1009 while serving others", async () => {
    const { connect, barStats, service } = server();
    const client = await connect();
    await client.subscribe("bars", { symbol: "BIG" });
    const atLimit = JSON.stringify({ type: "ping", payload: "" });
    client.send(atLimit.replace('""', `"${"x".repeat(MAX_PAYLOAD - Buffer.byteLength(atLimit))}"`));
    const answer = await client.next((frame) => frame.type === "pong");
    expect(answer).toEqual({ type: "pong" });
    await expectStillServing(client);

    const overLimit = JSON.stringify({ type: "ping", payload: "x".repeat(MAX_PAYLOAD) }).slice(0, MAX_PAYLOAD + 1);
    expect(Buffer.byteLength(overLimit)).toBe(MAX_PAYLOAD + 1);
    client.send(overLimit);
    expect((await within(client.closed, 2_000, "close")).code).toBe(1009);
    await eventually(() => barStats().subscriptions === 0 && service.count("remove") === service.count("create"), 2_000, "released");

    const fresh = await connect();
    try {
      await expectStillServing(fresh);
    } finally {
      fresh.socket.terminate();
    }
  });
});

// ---------------------------------------------------------------------------
// 3. Valid envelopes with random request payloads.

/** Values of every JSON-ish type, with the symbols a valid request would use mixed in. */
const looseField = fc.oneof(fc.constantFrom("AAPL", "MSFT", "1D", "1H", ""), fc.string({ maxLength: 12 }), fc.anything({ maxDepth: 2 }));

const barRequestPayload = fc.oneof(
  // Mostly valid requests over a few topics, so subscribe/unsubscribe pairs meet.
  {
    weight: 3,
    arbitrary: fc.record(
      { symbol: fc.constantFrom("AAPL", "MSFT"), resolution: fc.constantFrom("1D", "1H") },
      { requiredKeys: ["symbol"] },
    ),
  },
  fc.anything(),
  fc.record({ symbol: looseField, resolution: looseField }, { requiredKeys: [] }),
  // Own keys that name prototype members, as JSON.parse creates them.
  fc.dictionary(fc.constantFrom("symbol", "resolution", "__proto__", "constructor", "toString", "hasOwnProperty"), looseField),
  fc.record({ symbol: looseField, resolution: looseField, extra: fc.anything({ maxDepth: 1 }) }, { requiredKeys: ["symbol"] }),
);

const subscriptionEnvelope = fc.record({
  type: fc.constantFrom("bars.subscribe", "bars.unsubscribe"),
  payload: barRequestPayload,
  id: fc.string({ maxLength: 16 }),
});

describe("valid envelopes with random payloads", () => {
  const server = useBarsServer();

  it("get a response with the same id, status ok or error, and topic '' plus zod issues when the payload does not validate", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(subscriptionEnvelope, { minLength: 1, maxLength: 10 }), async (envelopes) => {
        const client = await server().connect();
        // The topics this client holds, to predict each response's status.
        const held = new Set<string>();
        try {
          for (const envelope of envelopes) {
            const text = toJsonText(envelope);
            if (text === undefined || !fitsMaxPayload(text)) continue;
            // What the server sees: the payload after a JSON round trip.
            const { payload } = JSON.parse(text) as { payload?: unknown };
            client.send(text);
            const answer = await client.next(() => true, 2_000);
            expect(answer.id).toBe(envelope.id);
            expect(answer.type).toBe(`${envelope.type}.response`);
            expect(["ok", "error"]).toContain(answer.payload.status);
            expect(typeof answer.payload.message).toBe("string");

            const request = BarSubscriptionRequest.safeParse(payload);
            if (!request.success) {
              expect(answer.payload).toMatchObject({ status: "error", topic: "" });
              expect(Array.isArray(answer.payload.errors)).toBe(true);
              expect(answer.payload.errors.length).toBeGreaterThan(0);
              continue;
            }
            const topic = buildTopic("bars", request.data);
            expect(answer.payload.topic).toBe(topic);
            expect(answer.payload).not.toHaveProperty("errors");
            if (envelope.type === "bars.subscribe") {
              expect(answer.payload.status).toBe("ok");
              held.add(topic);
            } else {
              expect(answer.payload.status).toBe(held.has(topic) ? "ok" : "error");
              held.delete(topic);
            }
          }
          await expectStillServing(client);
        } finally {
          client.socket.terminate();
        }
      }),
      { numRuns: 150, interruptAfterTimeLimit: 12_000 },
    );
    expect(server().reported).toEqual([]);
    await eventually(() => server().barStats().topics === 0, 2_000, "all topics released");
  }, 15_000);
});

// ---------------------------------------------------------------------------
// 4. Random multi-client sequences with a failing or slow service.

type CreateOutcome = "ok" | "throw" | "reject-later" | "slow";

const clientStep = fc.record(
  {
    client: fc.nat({ max: 3 }),
    action: fc.constantFrom("subscribe", "subscribe", "subscribe", "unsubscribe", "unsubscribe", "terminate", "close", "reconnect"),
    symbol: fc.constantFrom("AAPL", "MSFT", "TSLA"),
    /** Wait for the reply before the next step, or fire and go on. */
    awaitReply: fc.boolean(),
  },
  { noNullPrototype: true },
);

const scenario = fc.record(
  {
    clientCount: fc.integer({ min: 3, max: 4 }),
    steps: fc.array(clientStep, { minLength: 4, maxLength: 30, size: "medium" }),
    /** The service's createTopic outcomes, used in turn. */
    createOutcomes: fc.array(fc.constantFrom<CreateOutcome>("ok", "ok", "throw", "reject-later", "slow"), { minLength: 1, maxLength: 6 }),
    createDelayMs: fc.integer({ min: 1, max: 8 }),
    removalDelayMs: fc.constantFrom(0, 0, 2),
    /** How the clients still connected at the end leave: close handshake or dropped socket. */
    leaveGracefully: fc.boolean(),
  },
  { noNullPrototype: true },
);

/** Per topic, calls must alternate create → (failed | remove) → create …, and end closed. */
function expectBalancedCalls(calls: readonly { kind: "create" | "failed" | "remove"; topic: string }[]): void {
  const open = new Set<string>();
  calls.forEach((call, index) => {
    const where = `call ${index} ${call.kind} ${call.topic} in ${JSON.stringify(calls)}`;
    if (call.kind === "create") {
      expect(open.has(call.topic), where).toBe(false);
      open.add(call.topic);
    } else {
      expect(open.delete(call.topic), where).toBe(true);
    }
  });
  expect([...open]).toEqual([]);
}

/**
 * The topics a connection holds, replayed from the replies it received in
 * order: an "ok" subscribe response adds the topic, an "ok" unsubscribe
 * response removes it. Replies are sent in request order per connection.
 */
function heldTopics(replies: readonly Frame[]): Set<string> {
  const held = new Set<string>();
  for (const reply of replies) {
    if (reply.payload?.status !== "ok") continue;
    if (reply.type === "bars.subscribe.response") held.add(reply.payload.topic);
    if (reply.type === "bars.unsubscribe.response") held.delete(reply.payload.topic);
  }
  return held;
}

describe("random operation sequences across clients", () => {
  it("hold exactly the acknowledged topics, then leave zero topics, and every create is closed by one failed or remove", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ clientCount, steps, createOutcomes, createDelayMs, removalDelayMs, leaveGracefully }) => {
        // A fresh server per run: the stats and the call log must start from zero, also while shrinking.
        const server = await startBarsServer();
        const { service } = server;
        const route = server.running.app.endpoints.get("datafeed")!.routes.get("bars")!;
        server.timing.removalDelayMs = removalDelayMs;
        let creates = 0;
        service.createBehaviour = () => {
          const outcome = createOutcomes[creates++ % createOutcomes.length]!;
          if (outcome === "throw") throw new Error("feed refused");
          if (outcome === "ok") return undefined;
          return pause(createDelayMs).then(() => {
            if (outcome === "reject-later") throw new Error("feed timed out");
          });
        };
        const everyClient: TestClient[] = [];
        /** Every reply each client received, awaited or not, in order. */
        const replies = new Map<TestClient, Frame[]>();
        const connect = async (): Promise<TestClient> => {
          const client = await server.connect();
          everyClient.push(client);
          const log: Frame[] = [];
          replies.set(client, log);
          client.socket.on("message", (data: Buffer) => log.push(JSON.parse(data.toString()) as Frame));
          return client;
        };
        try {
          try {
            const slots: TestClient[] = [];
            for (let i = 0; i < clientCount; i++) slots.push(await connect());
            for (const step of steps) {
              const slot = step.client % clientCount;
              const client = slots[slot]!;
              if (step.action === "reconnect") {
                // The old connection, if still open, stays: a client that lingers until the end.
                slots[slot] = await connect();
                continue;
              }
              if (client.socket.readyState !== WebSocket.OPEN) continue;
              if (step.action === "terminate") client.socket.terminate();
              else if (step.action === "close") client.socket.close();
              else if (!step.awaitReply) client.send({ type: `bars.${step.action}`, payload: { symbol: step.symbol } });
              else {
                const answer = await client.request(`bars.${step.action}`, { symbol: step.symbol });
                expect(answer.type).toBe(`bars.${step.action}.response`);
                expect(answer.payload.topic).toBe(buildTopic("bars", { resolution: "1D", symbol: step.symbol }));
                if (answer.payload.status !== "ok") {
                  expect(answer.payload.status).toBe("error");
                  expect(answer.payload.message).toMatch(
                    step.action === "subscribe" ? /subscription refused: feed (refused|timed out)/ : /not subscribed/,
                  );
                }
              }
            }

            // Settle: an awaited request on each open client is answered after all its earlier ones.
            const open = everyClient.filter((client) => client.socket.readyState === WebSocket.OPEN);
            for (const client of open) expect((await client.unsubscribe("bars", { symbol: "SETTLE" })).payload.status).toBe("error");
            // Now the server holds exactly what the open clients were told they hold, and each such topic is live.
            const acknowledged = open.map((client) => heldTopics(replies.get(client)!));
            const expected = {
              topics: [...new Set(acknowledged.flatMap((held) => [...held]))].sort(),
              subscriptions: acknowledged.reduce((sum, held) => sum + held.size, 0),
            };
            const actual = () => ({ topics: route.topics().sort(), subscriptions: server.barStats().subscriptions });
            const liveInService = () => expected.topics.every((topic) => service.live.has(topic));
            await eventually(() => JSON.stringify(actual()) === JSON.stringify(expected) && liveInService(), 2_000).catch(() => undefined);
            expect(actual()).toEqual(expected);
            expect(liveInService(), `live in the service: ${JSON.stringify([...service.live.keys()])}`).toBe(true);

            if (leaveGracefully) await within(Promise.all(everyClient.map((client) => client.close())), 2_000, "close handshakes");
          } finally {
            terminateAll(everyClient);
          }

          const leftovers = () => ({
            connections: server.connections(),
            topics: server.barStats().topics,
            subscriptions: server.barStats().subscriptions,
            liveInService: [...service.live.keys()],
            unclosedCreates: service.count("create") - service.count("failed") - service.count("remove"),
          });
          const nothingLeft = { connections: 0, topics: 0, subscriptions: 0, liveInService: [], unclosedCreates: 0 };
          await eventually(() => JSON.stringify(leftovers()) === JSON.stringify(nothingLeft), 2_000).catch(() => undefined);
          expect(leftovers()).toEqual(nothingLeft);
          expect(server.running.app.stats().modules.datafeed!.routes.bars).toMatchObject({ topics: 0, subscriptions: 0 });
          expectBalancedCalls(service.calls);
          // Only the refused creations are reported, each once.
          expect(server.reported).toHaveLength(service.count("failed"));
          for (const error of server.reported) expect(error).toMatchObject({ code: "ERR_SERVICE_FAILED" });
        } finally {
          terminateAll(everyClient);
          await server.running.stop();
        }
      }),
      // Stop shrinking in time to report a counterexample within the test timeout.
      { numRuns: 120, interruptAfterTimeLimit: 15_000 },
    );
  }, 20_000);
});

// ---------------------------------------------------------------------------
// 5. The process never crashed.

describe("the process", () => {
  it("saw no uncaught exception and no unhandled rejection during this file", () => {
    expect(crashes).toEqual([]);
  });
});
