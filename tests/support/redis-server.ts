/**
 * A real redis-server for a test (free port, persistence off, stopped with
 * the test): the launcher is shared with the benches, which start the same
 * server pinned to a core.
 */
export { freePort, startRedisServer, type AdminClient, type RedisServer } from "../../bench/support/redis-server.js";
