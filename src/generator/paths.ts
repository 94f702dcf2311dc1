/**
 * Paths: how the generator names files to the user (relative to the project
 * root, forward slashes on every OS) and to generated code (ESM import
 * specifiers), and which package a file belongs to.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

/** `path` relative to `root` with forward slashes, as messages and results show it; `.` for the root itself. */
export function relativeTo(root: string, path: string): string {
  return relative(root, path).split(sep).join("/") || ".";
}

/** The ESM specifier from a file in `fromDir` to the TypeScript file `target`. */
export function importSpecifier(fromDir: string, target: string): string {
  let path = relative(fromDir, target).split(sep).join("/");
  path = path.replace(/\.d\.ts$/, ".js").replace(/\.(c|m)?tsx?$/, (_match, kind: string | undefined) => `.${kind ?? ""}js`);
  return path.startsWith(".") ? path : `./${path}`;
}

/** True when `path` lies in some module's output folder, `<modulesPath>/<module>/<outputDir>/…`. */
export function isInOutputFolder(modulesPath: string, outputDir: string, path: string): boolean {
  return relative(modulesPath, path).split(sep)[1] === outputDir;
}

// Folder → name in its nearest package.json; shared by every file under it, so each folder is read once.
const packageNames = new Map<string, string | undefined>();

/** The `name` of the nearest package.json above `file`, or undefined. */
export function packageNameOf(file: string): string | undefined {
  let dir = dirname(file);
  const visited: string[] = [];
  for (;;) {
    if (packageNames.has(dir)) break;
    visited.push(dir);
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      let name: string | undefined;
      try {
        name = (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name;
      } catch {
        name = undefined; // an unreadable manifest names no package; wsgen's own has a name
      }
      packageNames.set(dir, name);
      break;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      packageNames.set(dir, undefined);
      break;
    }
    dir = parent;
  }
  const name = packageNames.get(dir);
  for (const seen of visited) packageNames.set(seen, name);
  return name;
}
