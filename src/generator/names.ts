/**
 * Names: what the generator derives from an alias name (its route and its
 * file name), and the one order in which names appear in generated output.
 */

/**
 * Code-unit order, the same on every machine and locale (unlike
 * localeCompare), so generated files list things identically everywhere.
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `OrderWsRouter` → `order`, `BarsRouter` → `bars`, `HTTPFeed` → `hTTPFeed`. */
export function defaultRouteName(aliasName: string): string {
  const base = aliasName.replace(/(?:Ws)?Router$/, "");
  return base.length === 0 ? aliasName : `${base.charAt(0).toLowerCase()}${base.slice(1)}`;
}

/** `OrderWsRouter` → `order-ws-router`, `HTTPQuoteRouter` → `http-quote-router`. */
export function toKebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .replace(/_/g, "-")
    .toLowerCase();
}
