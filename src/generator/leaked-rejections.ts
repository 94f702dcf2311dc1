/**
 * Node 20 reports a failed `import()` twice when a CommonJS module in the
 * imported ES module graph throws while it loads: the import rejects (and is
 * caught), and the same error also surfaces as an unhandled rejection, which
 * by default ends the process with exit 1. ESLint imports the project's
 * eslint.config.js that way, and typescript-eslint throws as it loads under
 * TypeScript 7; the lint gate reports that error itself, so its leaked twin
 * must not end the run.
 */

/**
 * Runs `step`; rejections that leak while it runs are ignored when their
 * reason is an error the step says it handled, and otherwise treated as Node
 * would (thrown, unless someone else listens for them).
 */
export async function ignoringLeakedRejections<T>(step: (handled: (error: unknown) => void) => Promise<T>): Promise<T> {
  const handledErrors = new Set<unknown>();
  const listener = (reason: unknown): void => {
    if (handledErrors.has(reason)) return;
    // With no other listener, Node's default: the rejection becomes an uncaught exception.
    if (process.listenerCount("unhandledRejection") === 1) throw reason;
  };
  process.on("unhandledRejection", listener);
  try {
    return await step((error) => handledErrors.add(error));
  } finally {
    // Node reports unhandled rejections once the microtask queue drains, before the next macrotask.
    await new Promise((resolve) => setImmediate(resolve));
    process.off("unhandledRejection", listener);
  }
}
