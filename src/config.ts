/**
 * `@wsgen/cli/config`: `defineConfig` for `wsgen.config.mjs` / `wsgen.config.ts`.
 * The whole public surface of the config entry point (README, "Public API").
 */
export { defineConfig, type WsgenConfigInput as WsgenConfig } from "./generator/config.js";
