/**
 * Watcher: `--watch` runs the pipeline once, then again (debounced)
 * whenever one of the files the last run read changes — each ws.ts, everything it imports,
 * and the config. Folders are watched rather than files, so editors that
 * save by renaming are seen too.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { generate, type GenerateOptions, type GenerateResult } from "./codegen.js";

export interface WatchOptions extends GenerateOptions {
  /**
   * Milliseconds of quiet before a rerun.
   * @default 100
   */
  debounce?: number;
  onResult: (result: GenerateResult) => void;
}

export interface Watcher {
  close(): void;
}

const WATCH_DEFAULTS = { debounce: 100 } as const;

export async function watchAndGenerate(options: WatchOptions): Promise<Watcher> {
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let closed = false;
  let inputs = new Set<string>();

  // Folder watchers stay open across runs (only added or dropped), so no change is missed while swapping them.
  const rewatch = (files: readonly string[]): void => {
    inputs = new Set(files);
    const folders = new Set(files.map((file) => dirname(file)));
    for (const [folder, watcher] of watchers) {
      if (folders.has(folder)) continue;
      watcher.close();
      watchers.delete(folder);
    }
    for (const folder of folders) {
      if (watchers.has(folder)) continue;
      watchers.set(
        folder,
        watch(folder, (_event, name) => {
          if (name !== null && inputs.has(`${folder}/${basename(name)}`)) schedule();
        }),
      );
    }
  };
  const run = async (): Promise<void> => {
    const result = await generate(options);
    if (closed) return;
    // A failed run may have read less than the last one: keep watching both, so fixing the error reruns.
    rewatch(result.exitCode === 0 || result.exitCode === 1 ? result.inputs : [...new Set([...inputs, ...result.inputs])]);
    // Reported only once watching: whoever reads the result and then edits a file is sure to be seen.
    options.onResult(result);
  };
  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(run);
    }, options.debounce ?? WATCH_DEFAULTS.debounce);
  };

  running = run();
  await running;
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
