/**
 * Output: the end of the pipe. Compare rendered files with disk
 * (`--check`), or write them (atomic per file, unchanged files untouched, stale files
 * removed, each module's barrel last).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { createTwoFilesPatch } from "diff";
import { relativeTo } from "./paths.js";
import type { RenderedFile } from "./render.js";

export type FileStatus = "written" | "unchanged" | "removed" | "changed" | "missing" | "stale";

export interface FileResult {
  /** Relative to the project root. */
  path: string;
  status: FileStatus;
  /** Unified diff, disk → generated, for `changed` in check mode. */
  diff?: string;
}

export interface OutputDirectory {
  module: string;
  /** Absolute path of the folder (`ws_generated/`). */
  dir: string;
  files: RenderedFile[];
  /** The folder belongs to wsgen: files it does not render are stale. False for project-level files. */
  owned: boolean;
}

/** Files in the output folder that the rendering does not produce. */
function staleFiles(directory: OutputDirectory): string[] {
  if (!directory.owned || !existsSync(directory.dir)) return [];
  const wanted = new Set(directory.files.map((file) => basename(file.path)));
  return readdirSync(directory.dir)
    .filter((name) => !wanted.has(name) && statSync(join(directory.dir, name)).isFile())
    .sort()
    .map((name) => join(directory.dir, name));
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

/** `--check`: what differs between disk and the rendering. Writes nothing. */
export function compareWithDisk(root: string, directory: OutputDirectory): FileResult[] {
  const results: FileResult[] = directory.files.map((file) => {
    const disk = readIfExists(file.path);
    if (disk === undefined) return { path: file.relativePath, status: "missing" };
    if (disk === file.content) return { path: file.relativePath, status: "unchanged" };
    const diff = createTwoFilesPatch(`a/${file.relativePath}`, `b/${file.relativePath}`, disk, file.content, "on disk", "generated");
    return { path: file.relativePath, status: "changed", diff };
  });
  for (const path of staleFiles(directory)) results.push({ path: relativeTo(root, path), status: "stale" });
  return results;
}

/** Writes what changed. Call only once every gate has passed. */
export async function writeToDisk(root: string, directory: OutputDirectory): Promise<FileResult[]> {
  await mkdir(directory.dir, { recursive: true });
  const results: FileResult[] = [];
  // The barrel (index.ts) is rendered last; writing in order keeps it last on disk too.
  for (const file of directory.files) results.push(await writeIfChanged(file.path, file.relativePath, file.content));
  for (const path of staleFiles(directory)) {
    await rm(path, { force: true });
    results.push({ path: relativeTo(root, path), status: "removed" });
  }
  return results;
}

/** Writes `content` atomically unless the file already holds exactly it (its mtime is then kept). */
export async function writeIfChanged(path: string, relativePath: string, content: string): Promise<FileResult> {
  if (readIfExists(path) === content) return { path: relativePath, status: "unchanged" };
  await writeAtomically(path, content);
  return { path: relativePath, status: "written" };
}

let sequence = 0;
/** Write to a temporary file in the same folder, then rename over the target: readers never see half a file. */
export async function writeAtomically(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${++sequence}.tmp`);
  try {
    await writeFile(temporary, content);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
