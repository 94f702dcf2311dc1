/**
 * The README and docs/ against the code they describe: the option tables
 * against the defaults literals, the layout table against the tree, and no
 * link that leaves the repository.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { APP_DEFAULTS } from "../src/runtime/app-options.js";
import { ROUTE_DEFAULTS } from "../src/runtime/route-options.js";
import { REPO_ROOT } from "./support/project.js";

const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");

/** The rows of the markdown table whose header row starts with `header`, as arrays of trimmed cells. */
function table(markdown: string, header: string): string[][] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) => line.startsWith(header));
  expect(start, `a table headed ${header}`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** How a default reads in a README table cell. */
function shown(value: unknown): RegExp {
  if (typeof value === "number") return new RegExp(`^\`${value}\``);
  if (typeof value === "string") return new RegExp(`^\`"${value}"\``);
  if (typeof value === "boolean") return new RegExp(`^\`${value}\``);
  // undefined (no default), {} and the console reporter are described in words.
  return /^(none|any|3\.0\.0|`console\.error`)$/;
}

describe("the README's option tables", () => {
  it("list every createWsApp option with the default of APP_DEFAULTS", () => {
    const rows = table(readme, "| Option                          | Default");
    expect(rows.map(([name]) => name).sort()).toEqual(
      Object.keys(APP_DEFAULTS)
        .map((key) => `\`${key}\``)
        .sort(),
    );
    for (const [name, defaultCell] of rows) {
      const key = name!.slice(1, -1) as keyof typeof APP_DEFAULTS;
      expect(defaultCell, key).toMatch(shown(APP_DEFAULTS[key]));
    }
  });

  it("list every route option with the default of ROUTE_DEFAULTS", () => {
    const rows = table(readme, "| Option            | Default");
    expect(rows.map(([name]) => name).sort()).toEqual(
      [...Object.keys(ROUTE_DEFAULTS), "service", "route"].map((key) => `\`${key}\``).sort(),
    );
    for (const [name, defaultCell] of rows) {
      const key = name!.slice(1, -1);
      if (key in ROUTE_DEFAULTS && key !== "description")
        expect(defaultCell, key).toMatch(shown(ROUTE_DEFAULTS[key as keyof typeof ROUTE_DEFAULTS]));
    }
  });
});

describe("the README's layout table", () => {
  it("names every file of each src/ folder, and only files that exist", () => {
    const rows = table(readme.slice(readme.indexOf("## Project layout")), "| Path ");
    const folders = readdirSync(join(REPO_ROOT, "src"), { withFileTypes: true }).filter((entry) => entry.isDirectory());
    for (const folder of folders) {
      const row = rows.find(([path]) => path === `\`src/${folder.name}/\``);
      expect(row, `a row for src/${folder.name}/`).toBeDefined();
      const listed = new Set([...(row?.[1] ?? "").matchAll(/`([\w.-]+\.ts)`/g)].map((match) => match[1]));
      const files = readdirSync(join(REPO_ROOT, "src", folder.name)).filter((file) => file.endsWith(".ts"));
      expect(listed, `src/${folder.name}/`).toEqual(new Set(files));
    }
    for (const [path] of rows) {
      const target = path!.replace(/`/g, "");
      expect(existsSync(join(REPO_ROOT, target)), target).toBe(true);
    }
  });
});

describe("links", () => {
  it("never point outside the repository", () => {
    const documents = ["README.md", ...readdirSync(join(REPO_ROOT, "docs")).map((file) => join("docs", file))];
    for (const document of documents) {
      const text = readFileSync(join(REPO_ROOT, document), "utf8");
      expect(text, document).not.toMatch(/\.\.\/shared|DESIGN\.md/);
      for (const [, target] of text.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // URLs
        const base = document.startsWith("docs/") ? join(REPO_ROOT, "docs") : REPO_ROOT;
        expect(existsSync(join(base, target!)), `${document} → ${target}`).toBe(true);
      }
    }
  });
});
