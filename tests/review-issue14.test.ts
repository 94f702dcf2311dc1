/**
 * Review of issue 14 (package split, zod check, dashed modules, client
 * credentials): each case states what a user is promised and fails while the
 * promise is broken.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createClient, WsClient, WsHandshakeError, type WebSocketConstructor } from "wsgen/client";
import { runCli } from "./support/cli.js";
import { createProject, REPO_ROOT, twoModuleFiles, writeFiles } from "./support/project.js";
import { cleanups, NodeWebSocket, useCleanups } from "./support/typed-client.js";

useCleanups();

const contractOf = (...modules: string[]) =>
  Object.fromEntries(
    modules.map((module) => [module, { ticks: { route: "ticks", request: z.object({}), data: z.object({ n: z.number() }) } }]),
  );

/** A server that answers every upgrade with HTTP `status`. */
async function statusServer(status: number): Promise<{ port: number; upgrades: () => number }> {
  const server = createServer();
  let upgrades = 0;
  server.on("upgrade", (_request, socket) => {
    upgrades += 1;
    socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, upgrades: () => upgrades };
}

/** A browser-like WebSocket (no `terminate`): records the URLs it is opened with, never connects. */
function browserLikeWebSocket(opened: string[]): WebSocketConstructor {
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

describe("README: every import it shows resolves in an installed project", () => {
  it("names only entry points the packages export", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    const runtime = JSON.parse(readFileSync(join(REPO_ROOT, "packages/wsgen/package.json"), "utf8")) as { exports: object };
    const cli = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { exports: object };
    const exported = new Set([
      ...Object.keys(runtime.exports).map((key) => key.replace(/^\./, "wsgen")),
      ...Object.keys(cli.exports).map((key) => key.replace(/^\./, "@wsgen/cli")),
    ]);
    const named = [...readme.matchAll(/from\s+"((?:@wsgen\/cli|wsgen)(?:\/[\w-]+)?)"/g)].map((match) => match[1]);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((specifier) => !exported.has(specifier!))).toEqual([]);
  });
});

describe("typed client: a module name never hides the client's own members", () => {
  for (const module of ["connection", "states", "reconnect", "close"]) {
    it(`a module named "${module}" (a valid module name) leaves client.${module}() working, or is refused up front`, () => {
      let client: ReturnType<typeof createClient> | undefined;
      try {
        client = createClient("ws://127.0.0.1:9", contractOf(module, "other"), { WebSocket: NodeWebSocket });
      } catch (error) {
        expect(String(error)).toMatch(new RegExp(module)); // refused, naming the module
        return;
      }
      cleanups.push(() => (typeof client?.close === "function" ? client.close() : undefined));
      expect(typeof (client as Record<string, unknown>)[module]).toBe("function");
    });
  }
});

describe("typed client credentials never leak", () => {
  it("a refusal's message and url drop the URL's user:password as they drop its query", async () => {
    const server = await statusServer(401);
    const client = new WsClient(`ws://alice:hunter2@127.0.0.1:${server.port}/api/v1/ticks/ws`, { WebSocket: NodeWebSocket });
    cleanups.push(() => client.close());
    const refusal = await client.until("open").catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(WsHandshakeError);
    expect((refusal as WsHandshakeError).message).not.toContain("hunter2");
    expect((refusal as WsHandshakeError).url).not.toContain("hunter2");
  });
});

describe("typed client: a same-origin (relative) base URL, as in a browser", () => {
  it("opens the same relative URL with a token as without one (token added as ?token=), and subscribe never throws synchronously", () => {
    const opened: string[] = [];
    const WebSocket = browserLikeWebSocket(opened);
    const plain = createClient("", contractOf("ticks"), { WebSocket, requestTimeout: 50 });
    cleanups.push(() => plain.close());
    void plain.ticks!.ticks.subscribe({}, () => undefined).catch(() => undefined);
    expect(opened).toEqual(["/api/v1/ticks/ws"]);

    const withToken = createClient("", contractOf("ticks"), { WebSocket, token: "t0k", requestTimeout: 50 });
    cleanups.push(() => withToken.close());
    let subscribing: Promise<unknown> | undefined;
    expect(() => {
      subscribing = withToken.ticks!.ticks.subscribe({}, () => undefined);
    }).not.toThrow();
    void subscribing?.catch(() => undefined);
    expect(opened).toEqual(["/api/v1/ticks/ws", "/api/v1/ticks/ws?token=t0k"]);
  });
});

describe("typed client: reconnect() from the refusal's own callback", () => {
  it("a subscribe made right after reconnect() is not rejected with the refusal that reconnect() cleared", async () => {
    const server = await statusServer(403);
    const holder: { client?: WsClient } = {};
    let first: WsHandshakeError | undefined;
    let afterReconnect: Promise<unknown> | undefined;
    const onError = (error: Error): void => {
      if (!(error instanceof WsHandshakeError) || first !== undefined) return;
      first = error;
      holder.client!.reconnect(); // e.g. the user logged in again: connect again, then subscribe
      afterReconnect = client
        .subscribe("ticks", {}, () => undefined)
        .then(
          () => "subscribed",
          (failure: unknown) => failure,
        );
    };
    const client = (holder.client = new WsClient(`ws://127.0.0.1:${server.port}/api/v1/ticks/ws`, {
      WebSocket: NodeWebSocket,
      onError,
      requestTimeout: 2_000,
    }));
    cleanups.push(() => client.close());
    const outcome = await (async () => {
      while (afterReconnect === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
      return afterReconnect;
    })();
    // The subscribe was made after reconnect(): it may fail with the refusal of the attempt reconnect() started, never with the first one.
    expect(outcome).not.toBe(first);
    expect(server.upgrades()).toBe(2);
  });
});

describe("zod 4 mini schemas (zod/mini is zod 4)", () => {
  it("generate accepts zod/mini models, or refuses them with one clear message instead of a wall of TS2740", async () => {
    const root = createProject("zod-mini", {
      ...twoModuleFiles,
      "src/models/broker.ts": [
        'import { z } from "zod/mini";',
        "export const OrderSubscriptionRequest = z.object({ accountId: z.string() });",
        "export type OrderSubscriptionRequest = z.infer<typeof OrderSubscriptionRequest>;",
        "export const PlacedOrder = z.object({ id: z.string(), symbol: z.string(), qty: z.number() });",
        "export type PlacedOrder = z.infer<typeof PlacedOrder>;",
        "const PositionModel = z.object({ symbol: z.string(), qty: z.number() });",
        "type PositionModel = z.infer<typeof PositionModel>;",
        "export { PositionModel as Position };",
        "",
      ].join("\n"),
    });
    const result = await runCli(root, ["generate", "--no-lint", "--no-format"]);
    if (result.code !== 0) {
      expect(result.stderr).not.toMatch(/TS2740|TS2344/);
      expect(result.stderr).toMatch(/zod\/mini/);
    }
  }, 60_000);
});

describe("the zod check and the generate cache", () => {
  it("a project whose zod became zod 3 since the last generate is refused, not answered 'unchanged' from the cache", async () => {
    const root = createProject("zod-after-cache", { ...twoModuleFiles, "node_modules/.keep": "" });
    const first = await runCli(root, ["generate", "--no-lint"]);
    expect(first.code, first.stderr).toBe(0);
    // The lockfile moved zod to 3 (package.json untouched, e.g. "zod": ">=3.23"): the project now resolves zod 3.
    writeFiles(root, {
      "node_modules/zod/package.json": JSON.stringify({ name: "zod", version: "3.23.8", main: "index.js" }),
      "node_modules/zod/index.js": "module.exports = {};\n",
    });
    const again = await runCli(root, ["generate", "--no-lint"]);
    expect(again.stderr).toContain("wsgen needs zod 4. [ERR_ZOD_VERSION]");
    expect(again.code).toBe(2);
  }, 60_000);
});

describe("typed client: a token that cannot go in a header", () => {
  it("a string token read from a file with its trailing newline is an ERR_INVALID_OPTION naming token, not Node's ERR_INVALID_CHAR", () => {
    let thrown: unknown;
    try {
      const client = new WsClient("ws://127.0.0.1:9/api/v1/ticks/ws", { WebSocket: NodeWebSocket, token: "s3cret\n" });
      cleanups.push(() => client.close());
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: "ERR_INVALID_OPTION" });
    expect(String(thrown)).toMatch(/token/);
    expect(String(thrown)).not.toContain("s3cret");
  });
});
