/**
 * Names: what the generator derives from an alias name (its route and its
 * file name). Names appear in generated output in `compareStrings` order
 * (packages/wsgen/src/util/compare.ts).
 */

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
