/**
 * The floor: a raw `ws` server that speaks the same frames, serializes each
 * update once and loops `send` over the topic's subscribers.
 */
import { WebSocketServer, type WebSocket } from "ws";
import { serverArgs, stampedBar, startPacer, TOPIC } from "../pacer.js";

const { port, rate } = serverArgs(process.argv);
const subscribers = new Set<WebSocket>();
let stop: (() => void) | undefined;
const server = new WebSocketServer({ host: "127.0.0.1", port });
server.on("connection", (socket) => {
  socket.on("message", (data) => {
    const frame = JSON.parse((data as Buffer).toString("utf8")) as { type: string; id?: string };
    if (frame.type !== "bars.subscribe") return;
    subscribers.add(socket);
    socket.send(
      JSON.stringify({ type: "bars.subscribe.response", payload: { status: "ok", message: "subscribed", topic: TOPIC }, id: frame.id }),
    );
    stop ??= startPacer(rate, (slot) => {
      const text = JSON.stringify({ type: "bars.update", payload: { topic: TOPIC, payload: stampedBar(slot) } });
      for (const subscriber of subscribers) subscriber.send(text);
    });
  });
  socket.on("close", () => {
    subscribers.delete(socket);
    if (subscribers.size === 0) {
      stop?.();
      stop = undefined;
    }
  });
});
server.on("listening", () => console.log(`raw ws fan-out server on ${port}, rate ${String(rate)}`));
