/**
 * The README and docs/ against the code they describe: the option tables
 * against the defaults literals, the layout table against the tree, and no
 * link that leaves the repository.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { APP_DEFAULTS } from "../packages/wsgen/src/runtime/app-options.js";
import { CLIENT_DEFAULTS } from "../packages/wsgen/src/client/client-options.js";
import { CONFIG_DEFAULTS } from "../src/generator/config.js";
import { ROUTE_DEFAULTS } from "../packages/wsgen/src/runtime/route-options.js";
import { REDIS_BROKER_DEFAULTS } from "../packages/wsgen/src/redis/broker-options.js";
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

/** Defaults that are not plain values, as the tables describe them in words. */
const DESCRIBED: Record<string, RegExp> = {
  rateLimit: /^none$/,
  authenticate: /^none$/,
  authorize: /^none$/,
  allowedOrigins: /^any$/,
  broker: /^one process$/,
  asyncapi: /^`?3\.0\.0`?$/,
  onError: /^`console\.error`$/,
  description: /^the alias's JSDoc$/,
};

/** How a default reads in a table cell: `30000`, `"close"`, `true` (a unit may follow), or its description. */
function shown(key: string, value: unknown): RegExp {
  if (typeof value === "string") return new RegExp(`^\`"${value}"\`$`);
  if (typeof value === "number" || typeof value === "boolean") return new RegExp(`^\`${value}\`( ms| \\(none\\))?$`);
  const described = DESCRIBED[key];
  expect(described, `how the tables describe the default of ${key}`).toBeDefined();
  return described!;
}

/** The option tables, in the README and in docs/runtime.md, by their header rows. */
const OPTION_TABLES = [
  { file: "README.md", app: "| Option                          | Default", route: "| Option            | Default" },
  { file: "docs/runtime.md", app: "| Option                          | Default", route: "| Option            | Default" },
];

describe("the option tables", () => {
  for (const { file, app, route } of OPTION_TABLES) {
    const markdown = readFileSync(join(REPO_ROOT, file), "utf8");

    it(`of ${file} list every createWsApp option with the default of APP_DEFAULTS`, () => {
      const rows = table(markdown, app);
      expect(rows.map(([name]) => name).sort()).toEqual(
        Object.keys(APP_DEFAULTS)
          .map((key) => `\`${key}\``)
          .sort(),
      );
      for (const [name, defaultCell] of rows) {
        const key = name!.slice(1, -1) as keyof typeof APP_DEFAULTS;
        expect(defaultCell, key).toMatch(shown(key, APP_DEFAULTS[key]));
      }
    });

    it(`of ${file} list every route option with the default of ROUTE_DEFAULTS`, () => {
      const rows = table(markdown, route);
      const expected = [...Object.keys(ROUTE_DEFAULTS), "service", "route"].map((key) => `\`${key}\``);
      expect(rows.map(([name]) => name).sort()).toEqual(expected.sort());
      for (const [name, defaultCell] of rows) {
        const key = name!.slice(1, -1);
        if (key in ROUTE_DEFAULTS) expect(defaultCell, key).toMatch(shown(key, ROUTE_DEFAULTS[key as keyof typeof ROUTE_DEFAULTS]));
      }
    });
  }

  it("of docs/scale-out.md list every redisBroker option with the default of REDIS_BROKER_DEFAULTS", () => {
    const rows = table(readFileSync(join(REPO_ROOT, "docs/scale-out.md"), "utf8"), "| Option             | Default");
    expect(rows.map(([name]) => name).sort()).toEqual(
      Object.keys(REDIS_BROKER_DEFAULTS)
        .map((key) => `\`${key}\``)
        .sort(),
    );
    const described: Record<string, RegExp> = { nodeName: /^`hostname:pid`$/, log: /^`console\.warn\/info`$/ };
    for (const [name, defaultCell] of rows) {
      const key = name!.slice(1, -1) as keyof typeof REDIS_BROKER_DEFAULTS;
      expect(defaultCell, key).toMatch(described[key] ?? shown(key, REDIS_BROKER_DEFAULTS[key]));
    }
  });

  /** Client options whose default is decided when the client is made, or is no plain value, as docs/runtime.md says them. */
  const CLIENT_DESCRIBED: Record<string, RegExp> = {
    WebSocket: /^`globalThis\.WebSocket`$/,
    validate: /^on; off when `NODE_ENV` is `"production"`$/,
    onStateChange: /^none$/,
    onError: /^none$/,
    token: /^none$/,
    tokenIn: /^`"header"` with `ws`, else `"query"`$/,
  };
  /** An object default as the table writes it: `{ initial: 250, max: 10000 }`, `{}`. */
  const objectCell = (value: object): string => {
    const entries = Object.entries(value).map(([key, child]) => `${key}: ${String(child)}`);
    return `\`${entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`}\``;
  };

  it("of docs/runtime.md list every client option with the default of CLIENT_DEFAULTS, and path", () => {
    const rows = table(readFileSync(join(REPO_ROOT, "docs/runtime.md"), "utf8"), "| Client option");
    expect(rows.map(([name]) => name).sort()).toEqual([...Object.keys(CLIENT_DEFAULTS), "path"].map((key) => `\`${key}\``).sort());
    for (const [name, defaultCell] of rows) {
      const key = name!.slice(1, -1);
      if (key === "path") continue; // createClient's own option, defaulting to endpointPath
      const value: unknown = CLIENT_DEFAULTS[key as keyof typeof CLIENT_DEFAULTS];
      if (typeof value === "object" && value !== null) expect(defaultCell, key).toBe(objectCell(value));
      else if (value === undefined) expect(defaultCell, key).toMatch(CLIENT_DESCRIBED[key]!);
      else expect(defaultCell, key).toMatch(shown(key, value));
    }
  });

  /** Config keys that have no default: required, or off when absent. */
  const WITHOUT_DEFAULT = new Set(["modulesDir", "spec.merged", "client.out"]);
  const leaves = (value: object, prefix = ""): string[] =>
    Object.entries(value).flatMap(([key, child]) =>
      typeof child === "object" && child !== null ? leaves(child as object, `${prefix}${key}.`) : [`${prefix}${key}`],
    );

  for (const file of ["README.md", "docs/cli.md"]) {
    it(`of ${file} list every config key with the default of CONFIG_DEFAULTS`, () => {
      const rows = table(readFileSync(join(REPO_ROOT, file), "utf8"), "| Key ");
      const keys = rows.map(([name]) => name!.slice(1, -1));
      for (const leaf of [...leaves(CONFIG_DEFAULTS), ...WITHOUT_DEFAULT]) {
        expect(
          keys.some((key) => leaf === key || leaf.startsWith(`${key}.`)),
          `${file} covers ${leaf}`,
        ).toBe(true);
      }
      for (const [name, defaultCell] of rows) {
        const key = name!.slice(1, -1);
        if (WITHOUT_DEFAULT.has(key)) {
          expect(defaultCell, key).toMatch(/^\(required\)$|^none$/);
          continue;
        }
        const value = key
          .split(".")
          .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], CONFIG_DEFAULTS);
        expect(value, `${key} is a config key with a default`).toBeDefined();
        expect(JSON.parse(defaultCell!.replace(/^`|`$/g, "")), key).toEqual(value);
      }
    });
  }
});

describe("the README's layout table", () => {
  it("names every file of each source folder of both packages, and only files that exist", () => {
    const rows = table(readme.slice(readme.indexOf("## Project layout")), "| Path ");
    for (const src of ["src", "packages/wsgen/src"]) {
      const folders = readdirSync(join(REPO_ROOT, src), { withFileTypes: true }).filter((entry) => entry.isDirectory());
      for (const folder of folders) {
        const row = rows.find(([path]) => path === `\`${src}/${folder.name}/\``);
        expect(row, `a row for ${src}/${folder.name}/`).toBeDefined();
        const listed = new Set([...(row?.[1] ?? "").matchAll(/`([\w.-]+\.ts)`/g)].map((match) => match[1]));
        const files = readdirSync(join(REPO_ROOT, src, folder.name)).filter((file) => file.endsWith(".ts"));
        expect(listed, `${src}/${folder.name}/`).toEqual(new Set(files));
      }
    }
    for (const [path] of rows) {
      const target = path!.replace(/`/g, "");
      expect(existsSync(join(REPO_ROOT, target)), target).toBe(true);
    }
  });
});

describe("links", () => {
  it("never point outside the repository, from any tracked file", () => {
    const tracked = execFileSync("git", ["ls-files"], { cwd: REPO_ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
    for (const file of tracked) {
      if (file === "tests/docs.test.ts" || !/\.(md|ts|js|json|hbs)$|^\.ci\//.test(file)) continue;
      expect(readFileSync(join(REPO_ROOT, file), "utf8"), file).not.toMatch(/\.\.\/shared\/|DESIGN\.md/);
    }
  });

  it("in the README work on the registry page: absolute, into this repository's files, or to an anchor of the README", () => {
    const repository = "https://github.com/wsgen/wsgen/blob/main/"; // package.json's repository
    const anchors = new Set([...readme.matchAll(/^#+ (.+)$/gm)].map(([, title]) => slug(title!)));
    for (const [, target] of readme.matchAll(/\]\(([^)]+)\)/g)) {
      if (target!.startsWith("#")) expect(anchors, `README → ${target}`).toContain(target!.slice(1));
      else if (target!.startsWith(repository))
        expect(existsSync(join(REPO_ROOT, target!.slice(repository.length).split("#")[0]!)), target).toBe(true);
      else expect(target, "README links are absolute").toMatch(/^https:\/\//);
    }
  });

  it("in the README and docs/ lead to files that exist", () => {
    const documents = ["README.md", ...readdirSync(join(REPO_ROOT, "docs")).map((file) => join("docs", file))];
    for (const document of documents) {
      const text = readFileSync(join(REPO_ROOT, document), "utf8");
      for (const [, target] of text.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // URLs
        const base = document.startsWith("docs/") ? join(REPO_ROOT, "docs") : REPO_ROOT;
        expect(existsSync(join(base, target!)), `${document} → ${target}`).toBe(true);
      }
    }
  });
});

describe("the README's imports", () => {
  it("name only entry points the two packages export, as an installed project resolves them", () => {
    const runtime = JSON.parse(readFileSync(join(REPO_ROOT, "packages/wsgen/package.json"), "utf8")) as { exports: object };
    const cli = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { exports: object };
    const exported = new Set([
      ...Object.keys(runtime.exports).map((key) => key.replace(/^\./, "wsgen")),
      ...Object.keys(cli.exports).map((key) => key.replace(/^\./, "@wsgen/cli")),
    ]);
    const named = [...readme.matchAll(/from\s+"((?:@wsgen\/cli|wsgen)(?:\/[\w-]+)?)"/g)].map((match) => match[1]);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((specifier) => !exported.has(specifier!))).toEqual([]);
  });
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes. */
function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^\w\- ]/g, "")
    .replace(/ /g, "-");
}
