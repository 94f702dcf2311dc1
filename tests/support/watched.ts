/**
 * Which folders a process watches, read from outside it (Linux: inotify
 * entries in /proc/PID/fdinfo), so a test can change a file only once the
 * watch on its folder exists instead of guessing with a sleep.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";

/** Inodes of every inode `pid` watches through inotify, or undefined where /proc cannot tell. */
export function watchedInodes(pid: number): Set<bigint> | undefined {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const inodes = new Set<bigint>();
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== "anon_inode:inotify") continue;
      for (const match of readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8").matchAll(/^inotify wd:\S+ ino:([0-9a-f]+) /gm)) {
        inodes.add(BigInt(`0x${match[1]!}`));
      }
    } catch {
      // The descriptor closed meanwhile.
    }
  }
  return inodes;
}

/** True once `pid` watches every one of `folders`; also true where /proc cannot tell (then the caller cannot wait better). */
export function watchesAll(pid: number, folders: readonly string[]): boolean {
  const inodes = watchedInodes(pid);
  return inodes === undefined || folders.every((folder) => inodes.has(statSync(folder, { bigint: true }).ino));
}
