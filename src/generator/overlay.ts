/**
 * Overlay: rendered files written beside their real places, for a compiler
 * that reads only from disk (TypeScript 7's tsc), without touching the real
 * ones. A module's output folder goes to a sibling folder,
 * `<module>/.ws_generated.wsgen-<pid>-<n>/`: at the same depth, so every
 * relative import resolves as it would from the real folder, and under the same
 * file names, so the files' imports of each other do too. A project-level file
 * (the client, in a folder that is not wsgen's) goes into its own folder under
 * a temporary name. Everything is removed by `remove()`, and also when the
 * process exits or is interrupted (Ctrl-C, SIGTERM, SIGHUP) before that.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import type { RenderedFile } from "./render.js";

export interface Overlay {
  /** Names this overlay's temporary files and folders apart from any other run's: `wsgen-<pid>-<n>`. */
  readonly tag: string;
  /** The temporary path of each real path placed. */
  readonly temporaryOf: ReadonlyMap<string, string>;
  /** The real path of a temporary one. */
  realOf(temporary: string): string | undefined;
  /** Writes one more temporary file, removed with the rest. */
  addTemporary(path: string, content: string): void;
  /** Runs `step` when the overlay is removed (before its files go), e.g. to stop a process reading them. */
  onRemove(step: () => void): void;
  /** Removes every temporary file and folder; safe to call more than once. */
  remove(): void;
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let sequence = 0;

export function writeOverlay(files: readonly RenderedFile[]): Overlay {
  const temporaryOf = new Map<string, string>();
  const realOf = new Map<string, string>();
  const created: string[] = [];
  const onRemove: (() => void)[] = [];
  const tag = `wsgen-${process.pid}-${++sequence}`;
  let removed = false;

  const remove = (): void => {
    if (removed) return;
    removed = true;
    process.off("exit", remove);
    for (const signal of SIGNALS) process.off(signal, interrupted);
    for (const step of onRemove) step();
    for (const path of created.reverse()) rmSync(path, { recursive: true, force: true });
  };
  // The default action of the signal, once the overlay is gone: listening for it had replaced that.
  const interrupted = (signal: NodeJS.Signals): void => {
    remove();
    process.kill(process.pid, signal);
  };
  process.on("exit", remove);
  for (const signal of SIGNALS) process.on(signal, interrupted);

  const addTemporary = (path: string, content: string): void => {
    created.push(path);
    writeFileSync(path, content);
  };
  try {
    const folders = new Map<string, string>();
    for (const file of files) {
      const dir = dirname(file.path);
      let temporary: string;
      if (file.module !== "") {
        let folder = folders.get(dir);
        if (folder === undefined) {
          folder = join(dirname(dir), `.${basename(dir)}.${tag}`);
          folders.set(dir, folder);
          created.push(folder);
          mkdirSync(folder, { recursive: true });
        }
        temporary = join(folder, basename(file.path));
        writeFileSync(temporary, file.content);
      } else {
        const extension = extname(file.path);
        temporary = join(dir, `.${basename(file.path, extension)}.${tag}${extension}`);
        // The client's folder may not exist before its first write: then it is temporary too.
        const madeFolder = mkdirSync(dir, { recursive: true });
        if (madeFolder !== undefined) created.push(madeFolder);
        addTemporary(temporary, file.content);
      }
      temporaryOf.set(file.path, temporary);
      realOf.set(temporary, file.path);
    }
  } catch (error) {
    remove();
    throw error;
  }
  return {
    tag,
    temporaryOf,
    realOf: (temporary) => realOf.get(temporary),
    addTemporary,
    onRemove: (step) => onRemove.push(step),
    remove,
  };
}
