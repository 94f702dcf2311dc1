/**
 * The wsgen fan-out target as a plain Node entry, for any load tool:
 *   node bench/fanout/servers/wsgen-server.js --port P --rate R|burst [--batch-window MS]
 * It registers tsx and runs wsgen-server.ts, which imports the built package
 * (`packages/wsgen/dist/`, made by `npm run build`). `npm run bench:fanout` runs the
 * .ts entry from source instead.
 */
import { register } from "tsx/esm/api";

register();
await import("./wsgen-server.ts");
