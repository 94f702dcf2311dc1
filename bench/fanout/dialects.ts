/**
 * How each fan-out target frames subscribe, its reply and updates, so one
 * load client drives them all. socket.io is spoken at its wire level
 * (engine.io 4 packets over a plain WebSocket).
 */
export const REQUEST = { symbol: "AAPL", resolution: "1D" };

export interface Dialect {
  path: string;
  /** Frames to send once the socket is open, and the prefix of the frame that says it is ready to subscribe. */
  hello?: { readyPrefix: Buffer; onOpenPrefix: Buffer; reply: string };
  subscribe: string;
  replyPrefix: Buffer;
  updatePrefix: Buffer;
  /** Application-level keep-alive: a frame equal to `ping` is answered with `pong`. */
  keepAlive?: { ping: Buffer; pong: string };
}

const WIRE_PROTOCOL: Omit<Dialect, "path"> = {
  subscribe: JSON.stringify({ type: "bars.subscribe", payload: REQUEST, id: "1" }),
  replyPrefix: Buffer.from('{"type":"bars.subscribe.response"'),
  updatePrefix: Buffer.from('{"type":"bars.update"'),
};

export const DIALECTS: Record<string, Dialect> = {
  wsgen: { path: "/api/v1/datafeed/ws", ...WIRE_PROTOCOL },
  ws: { path: "/", ...WIRE_PROTOCOL },
  // engine.io: "0{…}" open → client "40" (connect to namespace) → "40{…}"; "42[…]" events, "420[…]" with ack 0 → "430[…]".
  socketio: {
    path: "/socket.io/?EIO=4&transport=websocket",
    hello: { onOpenPrefix: Buffer.from("0{"), reply: "40", readyPrefix: Buffer.from("40") },
    subscribe: `420${JSON.stringify(["subscribe", REQUEST])}`,
    replyPrefix: Buffer.from("430"),
    updatePrefix: Buffer.from('42["bars.update"'),
    keepAlive: { ping: Buffer.from("2"), pong: "3" },
  },
};
