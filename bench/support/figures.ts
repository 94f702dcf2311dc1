/** Arithmetic and formatting shared by the bench orchestrators and load clients. */

/** The median of `values` (NaN for none); the mean of the middle two for an even count. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The `q` quantile of values sorted ascending (nearest rank below), NaN for none. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Each of `keys` as the median over `runs`. */
export function medians<Key extends string>(runs: readonly Record<Key, number>[], keys: readonly Key[]): Record<Key, number> {
  return Object.fromEntries(keys.map((key) => [key, median(runs.map((run) => run[key]))])) as Record<Key, number>;
}

/** A figure for a markdown table: "–" when it could not be computed. */
export function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

/** `a / b` for a "× floor" column, "–" without a floor. */
export function ratio(a: number, b: number | undefined): string {
  return b === undefined ? "–" : fmt(a / b, 2);
}

/** A markdown table's header and separator rows. */
export function tableHead(columns: readonly string[]): string {
  return `| ${columns.join(" | ")} |\n|${columns.map(() => "---").join("|")}|`;
}
