/** Headless Debian Chromium through playwright-core (which downloads no browser of its own). */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { REPO_ROOT } from "./project.js";

export const SCREENSHOTS = join(REPO_ROOT, "test-output/screenshots");

export function chromiumPath(): string {
  for (const candidate of [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    if (candidate !== undefined && existsSync(candidate)) return candidate;
  }
  return execFileSync("which", ["chromium"], { encoding: "utf8" }).trim();
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath(),
    // playwright gives each launch a fresh empty profile. As root in a sandbox with no network but loopback: no sandbox, no background traffic.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** `entry` (a path from the repository root) bundled for the browser as one classic script, as the demo page bundles its own. */
export async function browserBundle(entry: string): Promise<string> {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [join(REPO_ROOT, entry)],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2022",
    conditions: ["wsgen-source"],
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}
