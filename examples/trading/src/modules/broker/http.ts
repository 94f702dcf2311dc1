/**
 * The broker's HTTP endpoints, beside its WebSocket routes:
 *   POST   /api/v1/broker/orders            place an order (201 PlacedOrder, 400 zod issues)
 *   GET    /api/v1/broker/orders?accountId  the account's orders
 *   DELETE /api/v1/broker/orders/:id        cancel a working order
 *   GET    /api/v1/broker/positions?accountId
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { OrderRequest } from "../../models/broker.js";
import { CancelError, type BrokerService } from "./service.js";

const MAX_BODY = 64 * 1024;

export function createBrokerHttpHandler(broker: BrokerService): (request: IncomingMessage, response: ServerResponse) => boolean {
  return (request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname === "/api/v1/broker/orders") {
      if (request.method === "POST") void placeOrder(broker, request, response);
      else if (request.method === "GET") withAccount(url, response, (accountId) => sendJson(response, 200, broker.ordersOf(accountId)));
      else sendJson(response, 405, { error: "use GET or POST" }, { allow: "GET, POST" });
      return true;
    }
    const cancel = /^\/api\/v1\/broker\/orders\/([A-Za-z0-9-]+)$/.exec(url.pathname);
    if (cancel !== null) {
      if (request.method !== "DELETE") sendJson(response, 405, { error: "use DELETE" }, { allow: "DELETE" });
      else {
        try {
          sendJson(response, 200, broker.cancelOrder(cancel[1] as string));
        } catch (error) {
          if (!(error instanceof CancelError)) throw error;
          sendJson(response, error.status, { error: error.message });
        }
      }
      return true;
    }
    if (url.pathname === "/api/v1/broker/positions") {
      if (request.method !== "GET") sendJson(response, 405, { error: "use GET" }, { allow: "GET" });
      else withAccount(url, response, (accountId) => sendJson(response, 200, broker.positionsOf(accountId)));
      return true;
    }
    return false;
  };
}

async function placeOrder(broker: BrokerService, request: IncomingMessage, response: ServerResponse): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(await readBody(request));
  } catch (error) {
    sendJson(response, 400, { error: `body is not JSON: ${(error as Error).message}` });
    return;
  }
  const parsed = OrderRequest.safeParse(body);
  if (!parsed.success) {
    sendJson(response, 400, { error: "invalid order", issues: parsed.error.issues });
    return;
  }
  sendJson(response, 201, broker.placeOrder(parsed.data));
}

function withAccount(url: URL, response: ServerResponse, then: (accountId: string) => void): void {
  const accountId = url.searchParams.get("accountId");
  if (accountId === null || accountId.length === 0) sendJson(response, 400, { error: "accountId query parameter is required" });
  else then(accountId);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error(`larger than ${MAX_BODY} bytes`));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

export function sendJson(response: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  response
    .writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body), ...headers })
    .end(body);
}
