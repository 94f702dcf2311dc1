/**
 * The protocol's paths (src/protocol/paths.ts): built and matched by one
 * implementation, and served as such over HTTP.
 */
import { describe, expect, it } from "vitest";
import { docsPath, endpointPath, matchPath, requestPath } from "../packages/wsgen/src/protocol/paths.js";
import { startApp } from "./support/server.js";

describe("paths", () => {
  it("builds the endpoint and document paths of a module and of the merged document", () => {
    expect(endpointPath("broker")).toBe("/api/v1/broker/ws");
    expect(docsPath("broker", "asyncapi.json")).toBe("/api/v1/broker/ws/asyncapi.json");
    expect(docsPath(undefined, "asyncapi")).toBe("/api/v1/ws/asyncapi");
  });

  it.each([
    ["/api/v1/broker/ws", { kind: "endpoint", module: "broker" }],
    ["/api/v1/broker/ws/", { kind: "endpoint", module: "broker" }],
    ["/api/v1/ws/ws", { kind: "endpoint", module: "ws" }],
    ["/api/v1/broker/ws/asyncapi.json", { kind: "docs", module: "broker", resource: "asyncapi.json" }],
    ["/api/v1/broker/ws/asyncapi/", { kind: "docs", module: "broker", resource: "asyncapi" }],
    ["/api/v1/ws/asyncapi.json", { kind: "docs", module: undefined, resource: "asyncapi.json" }],
    ["/api/v1/ws/ws/asyncapi", { kind: "docs", module: "ws", resource: "asyncapi" }],
    ["/api/v1/ws/asyncapi/assets/standalone.js", { kind: "viewer-asset", asset: "standalone.js" }],
    ["/api/v1/ws/asyncapi/assets/standalone.js/", undefined],
    ["/api/v1/ws/asyncapi/assets/other.js", undefined],
    ["/api/v1//ws", undefined],
    ["/api/v1/x/y/ws", undefined],
    ["/api/v1/market-data/ws", { kind: "endpoint", module: "market-data" }],
    ["/api/v1/bad%20name/ws", undefined],
    ["/api/v1/-x/ws", undefined],
    ["/api/v2/broker/ws", undefined],
    ["/api/v1/x/../broker/ws/asyncapi.json", undefined], // no normalisation: what is matched is what was sent
  ])("reads %s", (path, expected) => {
    expect(matchPath(path)).toEqual(expected);
  });

  it("reads a request target's path as sent, without its query or fragment", () => {
    expect(requestPath("/api/v1/broker/ws?token=x#y")).toBe("/api/v1/broker/ws");
    expect(requestPath("/api/v1/./broker/ws")).toBe("/api/v1/./broker/ws");
  });

  it("serves the viewer's files to GET and HEAD only", async () => {
    const running = await startApp({ modules: [] }, (_request, response) => response.writeHead(418).end());
    try {
      const path = "/api/v1/ws/asyncapi/assets/default.min.css";
      expect((await fetch(running.httpUrl(path))).status).toBe(200);
      expect((await fetch(running.httpUrl(path), { method: "HEAD" })).status).toBe(200);
      const post = await fetch(running.httpUrl(path), { method: "POST" });
      expect(post.status).toBe(405);
      expect(post.headers.get("allow")).toBe("GET, HEAD");
      // A file name with a trailing slash is not the file: the server's own handler answers.
      expect((await fetch(running.httpUrl(`${path}/`))).status).toBe(418);
    } finally {
      await running.stop();
    }
  });
});
