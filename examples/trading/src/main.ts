/**
 * `npm start`: the trading example on HOST (default 127.0.0.1) and PORT
 * (default 8000), ticking every TICK_MS (default 1000). JWT_SECRET, when set,
 * makes every endpoint need an HS256 JWT signed with it (claims `sub` and
 * `accounts`), and the broker authorize each account; DEV_TOKENS=1 then
 * has the demo page hand a browser on a loopback address a development
 * token cookie (ignored with NODE_ENV=production). ALLOWED_ORIGINS
 * (comma-separated) limits browser origins. REDIS_URL (redis://, rediss:// or
 * unix://), when set, makes this process one of several sharing topics through
 * that Redis (wsgen/redis, imported only then): start several with the same
 * REDIS_URL and different PORTs (`npm run start:cluster` does); a Redis it
 * cannot reach at startup is an exit 1 that names the URL. SIGINT/SIGTERM
 * close it cleanly: clients get 1001, every topic is removed, the broker is
 * closed, the process exits 0.
 */
import type { AddressInfo } from "node:net";
import { z } from "zod";
import type { RedisBroker } from "wsgen/redis";
import { createTradingApp } from "./app.js";
import { endpointUrls } from "./endpoints.js";

const REDIS_SCHEMES = ["redis:", "rediss:", "unix:"];

/** A URL node-redis can connect to: redis:// or rediss:// with a host, or unix:// with a socket path. */
function isRedisUrl(text: string): boolean {
  try {
    const url = new URL(text);
    if (!REDIS_SCHEMES.includes(url.protocol)) return false;
    return url.protocol === "unix:" ? url.pathname.length > 1 : url.hostname !== "";
  } catch {
    return false;
  }
}

/** `url` as it may be printed: without its password. */
function withoutPassword(text: string): string {
  const url = new URL(text);
  if (url.password !== "") url.password = "***";
  return url.href;
}

const Env = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8000),
  TICK_MS: z.coerce.number().int().min(1).default(1000),
  JWT_SECRET: z.string().optional(),
  NODE_ENV: z.string().optional(),
  DEV_TOKENS: z.string().optional(),
  ALLOWED_ORIGINS: z.string().optional(),
  REDIS_URL: z
    .string()
    .refine((url) => url === "" || isRedisUrl(url), {
      message: "must be a redis://host:port, rediss://host:port (TLS) or unix:///path/to/socket URL, e.g. redis://127.0.0.1:6379",
    })
    .optional(),
});

const env = Env.safeParse(process.env);
if (!env.success) {
  for (const issue of env.error.issues) console.error(`invalid environment variable ${issue.path.join(".")}: ${issue.message}`);
  console.error(
    "HOST is an interface address, PORT a port number (0 picks a free one), TICK_MS a whole number of milliseconds ≥ 1, REDIS_URL (optional) the Redis the processes of one service share.",
  );
  process.exit(2);
}
const { HOST, PORT, TICK_MS, JWT_SECRET, NODE_ENV, DEV_TOKENS, ALLOWED_ORIGINS, REDIS_URL } = env.data;
const production = NODE_ENV === "production";
// Handing out tokens signed with the real secret must be asked for, never the result of a variable left unset.
const devTokens = DEV_TOKENS === "1" && !production;
if (DEV_TOKENS === "1" && production) console.warn("DEV_TOKENS=1 is ignored with NODE_ENV=production");
if (production && (JWT_SECRET === undefined || JWT_SECRET === "")) {
  console.warn("NODE_ENV=production without JWT_SECRET: every endpoint and account is open to anyone who can reach this port");
}

/** The shared broker, when REDIS_URL is set; exits 1 with the reason (it names the URL) when Redis cannot be reached. */
async function connectBroker(url: string): Promise<RedisBroker> {
  try {
    // Imported here, not above: without REDIS_URL nothing of Redis is loaded.
    const { redisBroker } = await import("wsgen/redis");
    return await redisBroker({ url });
  } catch (error) {
    console.error((error as Error).message);
    console.error("(from REDIS_URL: unset it to run this process alone)");
    process.exit(1);
  }
}

const broker = REDIS_URL !== undefined && REDIS_URL !== "" ? await connectBroker(REDIS_URL) : undefined;

const app = createTradingApp({
  tickMs: TICK_MS,
  ...(broker !== undefined ? { broker, nodeName: broker.stats().node } : {}),
  ...(JWT_SECRET !== undefined && JWT_SECRET !== "" ? { jwtSecret: JWT_SECRET, devTokens } : {}),
  ...(ALLOWED_ORIGINS !== undefined ? { allowedOrigins: ALLOWED_ORIGINS.split(",").map((origin) => origin.trim()) } : {}),
});
app.server.on("error", (error) => {
  console.error(`cannot listen on ${HOST}:${PORT}: ${error.message}`);
  process.exit(1);
});
app.server.listen(PORT, HOST, () => {
  const { port } = app.server.address() as AddressInfo;
  const base = `http://${HOST.includes(":") ? `[${HOST}]` : HOST}:${port}`;
  console.log(`listening on ${base}`);
  if (JWT_SECRET) {
    console.log("  authentication on: an HS256 JWT (claims sub, accounts) as Authorization: Bearer, a token cookie or ?token=");
    if (devTokens) console.log(`  development tokens on: ${base}/ sets a token cookie for the demo trader (loopback addresses only)`);
    else console.log("  development tokens off: DEV_TOKENS=1 has the demo page set a token cookie on loopback addresses");
  } else console.log("  authentication off: set JWT_SECRET to require tokens");
  if (broker !== undefined && REDIS_URL !== undefined) {
    console.log(`  scale-out on: topics shared through ${withoutPassword(REDIS_URL)} as node ${broker.stats().node}`);
  } else console.log("  scale-out off: this process serves alone; set REDIS_URL to share topics with other processes");
  for (const { label, url } of endpointUrls(base)) console.log(`  ${label.padEnd(28)} ${url}`);
});

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    // A bounded shutdown: whatever hangs, the process is gone within 10 s.
    setTimeout(() => {
      console.error("shutdown took longer than 10 s; exiting");
      process.exit(1);
    }, 10_000).unref();
    app
      .close()
      .then(() => broker?.close())
      .then(
        () => {
          console.log("closed cleanly");
          process.exit(0);
        },
        (error: unknown) => {
          console.error(`shutdown failed: ${(error as Error).message}`);
          process.exit(1);
        },
      );
  });
}
