#!/usr/bin/env node
// The wsgen executable: runs the compiled CLI (dist/, built by `npm run build` here and by `prepack` for the published package).
import { run } from "../dist/cli/main.js";

process.exitCode = await run(process.argv.slice(2));
