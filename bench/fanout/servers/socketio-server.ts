/**
 * socket.io rooms: clients emit "subscribe" (acked), the server emits "bars.update" to the topic's room.
 *
 * `--redis URL` (bench/cluster): several of these processes are one service
 * through `@socket.io/redis-adapter`'s sharded adapter (SPUBLISH per emit,
 * SSUBSCRIBE to a room's channel while the room exists here: subscription
 * mode "dynamic"), on node-redis clients; `--produce no` makes a process
 * that only relays what another one emits to the room.
 */
import { createShardedAdapter } from "@socket.io/redis-adapter";
import { createServer } from "node:http";
import { createClient } from "redis";
import { Server } from "socket.io";
import { flag, listFlag } from "../../support/args.js";
import { serverArgs, stampedBar, startPacer, TOPIC } from "../pacer.js";

const { port, rate } = serverArgs(process.argv);
const redisUrl = flag(process.argv, "--redis");
const produce = listFlag(process.argv, "--produce", "yes", ["yes", "no"])[0] === "yes";
const http = createServer();
const io = new Server(http, { transports: ["websocket"] });
if (redisUrl !== undefined) {
  const pubClient = createClient({ url: redisUrl });
  const subClient = pubClient.duplicate();
  await Promise.all([pubClient.connect(), subClient.connect()]);
  io.adapter(createShardedAdapter(pubClient, subClient, { subscriptionMode: "dynamic" }));
}
let stop: (() => void) | undefined;
io.on("connection", (socket) => {
  socket.on("subscribe", (_request: unknown, ack: (reply: unknown) => void) => {
    void socket.join(TOPIC);
    ack({ status: "ok", topic: TOPIC });
    if (produce) stop ??= startPacer(rate, (slot) => io.to(TOPIC).emit("bars.update", { topic: TOPIC, payload: stampedBar(slot) }));
  });
  socket.on("disconnect", () => {
    if ((io.sockets.adapter.rooms.get(TOPIC)?.size ?? 0) === 0) {
      stop?.();
      stop = undefined;
    }
  });
});
http.listen(port, "127.0.0.1", () =>
  console.log(
    `socket.io fan-out server on ${port}, rate ${String(rate)}${redisUrl === undefined ? "" : `, sharded Redis adapter, produce ${String(produce)}`}`,
  ),
);
