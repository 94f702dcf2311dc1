/** socket.io rooms: clients emit "subscribe" (acked), the server emits "bars.update" to the topic's room. */
import { createServer } from "node:http";
import { Server } from "socket.io";
import { serverArgs, stampedBar, startPacer, TOPIC } from "../pacer.js";

const { port, rate } = serverArgs(process.argv);
const http = createServer();
const io = new Server(http, { transports: ["websocket"] });
let stop: (() => void) | undefined;
io.on("connection", (socket) => {
  socket.on("subscribe", (_request: unknown, ack: (reply: unknown) => void) => {
    void socket.join(TOPIC);
    ack({ status: "ok", topic: TOPIC });
    stop ??= startPacer(rate, (slot) => io.to(TOPIC).emit("bars.update", { topic: TOPIC, payload: stampedBar(slot) }));
  });
  socket.on("disconnect", () => {
    if ((io.sockets.adapter.rooms.get(TOPIC)?.size ?? 0) === 0) {
      stop?.();
      stop = undefined;
    }
  });
});
http.listen(port, "127.0.0.1", () => console.log(`socket.io fan-out server on ${port}, rate ${String(rate)}`));
