/**
 * Lock: a per-project lock around the write phase, so concurrent `wsgen
 * generate` runs on one project never interleave their writes: each output
 * folder ends as one run's complete output. The lock is a file created exclusively in the
 * OS temp folder (named by a hash of the project root) holding the owner's
 * pid; a lock whose owner is gone is taken over.
 */
import { createHash } from "node:crypto";
import { openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "./errors.js";

export interface Lock {
  release(): void;
}

export async function acquireWriteLock(root: string, timeoutMs = 60_000): Promise<Lock> {
  const path = join(tmpdir(), `wsgen-${createHash("sha256").update(root).digest("hex").slice(0, 16)}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { release: () => rmSync(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (!ownerAlive(path)) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw InputError.at(
        undefined,
        `Another wsgen run on ${root} has held the write lock for ${timeoutMs / 1000} s (${path}).`,
        "Wait for it to finish, or remove the lock file if no wsgen is running.",
        "ERR_LOCKED",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function ownerAlive(path: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path, "utf8"));
  } catch {
    return true; // just released or being written: look again
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
