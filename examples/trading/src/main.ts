/**
 * `npm start`: the trading example on HOST (default 127.0.0.1) and PORT
 * (default 8000), ticking every TICK_MS (default 1000). JWT_SECRET, when set,
 * makes every endpoint need an HS256 JWT signed with it (claims `sub` and
 * `accounts`), and the broker authorize each account; DEV_TOKENS=1 then
 * has the demo page hand a browser on a loopback address a development
 * token cookie (ignored with NODE_ENV=production). ALLOWED_ORIGINS
 * (comma-separated) limits browser origins. SIGINT/SIGTERM close it cleanly: clients get 1001, every topic is
 * removed, the process exits 0.
 */
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { createTradingApp } from "./app.js";
import { endpointUrls } from "./endpoints.js";

const Env = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8000),
  TICK_MS: z.coerce.number().int().min(1).default(1000),
  JWT_SECRET: z.string().optional(),
  NODE_ENV: z.string().optional(),
  DEV_TOKENS: z.string().optional(),
  ALLOWED_ORIGINS: z.string().optional(),
});

const env = Env.safeParse(process.env);
if (!env.success) {
  for (const issue of env.error.issues) console.error(`invalid environment variable ${issue.path.join(".")}: ${issue.message}`);
  console.error("HOST is an interface address, PORT a port number (0 picks a free one), TICK_MS a whole number of milliseconds ≥ 1.");
  process.exit(2);
}
const { HOST, PORT, TICK_MS, JWT_SECRET, NODE_ENV, DEV_TOKENS, ALLOWED_ORIGINS } = env.data;
const production = NODE_ENV === "production";
// Handing out tokens signed with the real secret must be asked for, never the result of a variable left unset.
const devTokens = DEV_TOKENS === "1" && !production;
if (DEV_TOKENS === "1" && production) console.warn("DEV_TOKENS=1 is ignored with NODE_ENV=production");
if (production && (JWT_SECRET === undefined || JWT_SECRET === "")) {
  console.warn("NODE_ENV=production without JWT_SECRET: every endpoint and account is open to anyone who can reach this port");
}

const app = createTradingApp({
  tickMs: TICK_MS,
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
    app.close().then(
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
