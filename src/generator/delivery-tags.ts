/**
 * Delivery tags: the route options that are part of a route's contract
 * (clients rely on its latest value and lag semantics), declared beside the
 * type in ws.ts as JSDoc tags of its alias — `@latestValue`, `@lagPolicy
 * conflate`, `@historySize 500`. The generated class takes them as its
 * defaults and `wsgen spec` states them, so the committed document says what
 * the app serves. One table, DELIVERY_TAGS, says which options they are and
 * how a tag's text becomes a value; the runtime's own checks judge the value.
 */
import type { JSDocTag, Node as MorphNode } from "ts-morph";
import { historyLimits, LAG_POLICIES, lagPolicyOf, lingerOf, ROUTE_DEFAULTS, type LagPolicy, type RouteOptions } from "wsgen/internal";
import { InputError, type Problem, type SourceLocation } from "./errors.js";

/** How one option is written as a tag. */
interface TagRule {
  /** What follows the tag name, for hints: `N`, `conflate|skip|close`. */
  syntax: string;
  /** The value of the bare tag (`@latestValue`); undefined when the tag needs a value. */
  bare: boolean | undefined;
  /** The tag's text as a literal of the option's type (a number, a boolean), else the text itself for the check to refuse. */
  parse(text: string): unknown;
  /** The runtime's check of the option: throws ERR_INVALID_OPTION naming what it must be. */
  check(value: unknown): void;
}

/** A number as TypeScript writes it in decimal: a sign, digits with `_` separators, a fraction, an exponent. */
const NUMBER = /^[-+]?\d+(?:_\d+)*(?:\.\d+)?(?:[eE][-+]?\d+)?$/;

// The checks receive the tag's value unchecked: judging it is what they are for, hence the casts.
const numeric = (check: (value: number) => unknown): TagRule => ({
  syntax: "N",
  bare: undefined,
  parse: (text) => (NUMBER.test(text) ? Number(text.replaceAll("_", "")) : text),
  check: (value) => check(value as number),
});
const flag = (check: (value: boolean) => unknown): TagRule => ({
  syntax: "true|false",
  bare: true,
  parse: (text) => (text === "true" ? true : text === "false" ? false : text),
  check: (value) => check(value as boolean),
});
const word = <Word extends string>(words: readonly Word[], check: (value: Word) => unknown): TagRule => ({
  syntax: words.join("|"),
  bare: undefined,
  parse: (text) => text.replace(/^"(.*)"$/, "$1"),
  check: (value) => check(value as Word),
});

/**
 * The options ws.ts may declare, in the order the generated class lists
 * them. A new one is one row: its name (a RouteOptions key) and the rule of
 * its value, checked with the runtime's validator of that option.
 */
export const DELIVERY_TAGS = {
  historySize: numeric((historySize) => historyLimits({ historySize })),
  historyMaxBytes: numeric((historyMaxBytes) => historyLimits({ historyMaxBytes })),
  historyTtlMs: numeric((historyTtlMs) => historyLimits({ historyTtlMs })),
  latestValue: flag((latestValue) => historyLimits({ latestValue })),
  lagPolicy: word<LagPolicy>(LAG_POLICIES, (lagPolicy) => lagPolicyOf({ lagPolicy })),
  lingerMs: numeric((lingerMs) => lingerOf({ lingerMs })),
} as const satisfies { [Name in keyof RouteOptions<unknown, unknown>]?: TagRule };

type TagName = keyof typeof DELIVERY_TAGS;

/** The route options an alias's tags declare: only those it has. */
export type DeclaredOptions = Partial<Pick<RouteOptions<unknown, unknown>, TagName>>;

const TAG_NAMES = Object.keys(DELIVERY_TAGS) as TagName[];

/** How each tag is written, for hints: `` `@historySize N`, …, `@latestValue` ``. */
const TAG_LIST = TAG_NAMES.map((name) => `\`@${name}${DELIVERY_TAGS[name].bare === true ? "" : ` ${DELIVERY_TAGS[name].syntax}`}\``).join(
  ", ",
);

/** The declared options in the table's order (not the tags'), so that reordering tags changes no output. */
export function declaredInOrder(options: DeclaredOptions): [TagName, unknown][] {
  return TAG_NAMES.filter((name) => Object.hasOwn(options, name)).map((name) => [name, options[name]]);
}

/**
 * The delivery options the tags of `routerName`'s alias declare, checked.
 * Throws one InputError listing every bad tag: a value the option does not
 * take, a tag given twice, a tag that is nearly one of them (`@latestValu`),
 * or a route option that is not part of the contract (`@queueCapacity`).
 * Other tags (`@route`, `@deprecated`, `@see`, …) are not this function's.
 */
export function readDeliveryTags(
  tags: readonly JSDocTag[],
  routerName: string,
  locate: (node: MorphNode) => SourceLocation,
): DeclaredOptions {
  const declared: Record<string, unknown> = {}; // DeclaredOptions, its values checked by the runtime's rules
  const seen = new Map<string, SourceLocation>();
  const problems: Problem[] = [];
  for (const tag of tags) {
    const name = tag.getTagName();
    const location = locate(tag);
    if (!isTagName(name)) {
      const problem = notADeliveryTag(name, routerName);
      if (problem !== undefined) problems.push({ location, ...problem });
      continue;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      problems.push({
        location,
        message: `${routerName}: @${name} is given twice (first at line ${first.line}).`,
        hint: "Keep one of them.",
        code: "ERR_DUPLICATE_TAG",
      });
      continue;
    }
    seen.set(name, location);
    const rule: TagRule = DELIVERY_TAGS[name];
    const text = (tag.getCommentText() ?? "").trim();
    const value = text === "" ? rule.bare : rule.parse(text);
    const write = `Write \`@${name} ${rule.syntax}\`${exampleOf(name, rule)}, or remove the tag for the default.`;
    if (value === undefined) {
      problems.push({ location, message: `${routerName}: @${name} needs a value.`, hint: write, code: "ERR_INVALID_OPTION" });
      continue;
    }
    try {
      rule.check(value);
    } catch (error) {
      if ((error as { code?: unknown }).code !== "ERR_INVALID_OPTION") throw error;
      problems.push({
        location,
        message: `${routerName}: @${name} ${text}: ${(error as Error).message}`,
        hint: write,
        code: "ERR_INVALID_OPTION",
      });
      continue;
    }
    declared[name] = value;
  }
  if (problems.length > 0) throw new InputError(problems);
  return declared;
}

function isTagName(name: string): name is TagName {
  return Object.hasOwn(DELIVERY_TAGS, name);
}

/** `` (e.g. `@historySize 100`, the default) ``; a flag's bare form says it all. */
function exampleOf(name: TagName, rule: TagRule): string {
  if (rule.bare !== undefined) return ` (\`@${name}\` alone means ${String(rule.bare)})`;
  return ` (e.g. \`@${name} ${String(ROUTE_DEFAULTS[name])}\`, the default)`;
}

/**
 * A tag that is not a delivery tag but would be mistaken for one: a route
 * option declared in module.ts only, or a near miss of a delivery tag's name
 * (case, `-`/`_`, up to two letters off, or cut short). Undefined for any
 * other tag, which ws.ts may carry as before.
 */
function notADeliveryTag(name: string, routerName: string): Omit<Problem, "location"> | undefined {
  // `description` is JSDoc's own tag (and the alias's text is the description already).
  if (Object.hasOwn(ROUTE_DEFAULTS, name) && name !== "description") {
    return {
      message: `${routerName}: @${name} is a route option that ws.ts does not declare; only delivery options are part of the route's contract.`,
      hint: `Pass it in module.ts (\`new ${routerName}({ service, ${name}: … })\`). ws.ts declares ${TAG_LIST}.`,
      code: "ERR_UNKNOWN_TAG",
    };
  }
  const meant = TAG_NAMES.filter((candidate) => looksLike(name, candidate));
  if (meant.length === 0) return undefined;
  return {
    message: `${routerName}: @${name} is not a tag wsgen knows.`,
    hint: `Did you mean ${meant.map((candidate) => `\`@${candidate}\``).join(" or ")}? ws.ts declares ${TAG_LIST}.`,
    code: "ERR_UNKNOWN_TAG",
  };
}

function looksLike(name: string, tag: string): boolean {
  const a = normalized(name);
  const b = normalized(tag);
  return editDistance(a, b) <= 2 || (a.length >= 4 && b.startsWith(a));
}

const normalized = (name: string): string => name.toLowerCase().replace(/[-_]/g, "");

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}
