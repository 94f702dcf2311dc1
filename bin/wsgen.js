#!/usr/bin/env node
// The wsgen executable: runs the compiled CLI (dist/ is built by `npm run build`, and on install).
import { run } from "../dist/cli/main.js";

process.exitCode = await run(process.argv.slice(2));
