/**
 * A real redis-server for a test (free port, persistence off, admin
 * clients, stopped with the test): the launcher the benches use too, which
 * start the same server pinned to a core.
 */
export { startRedisServer, type AdminClient, type RedisServer } from "../../bench/support/redis-server.js";
export { freePort } from "../../examples/trading/cluster/processes.js";
