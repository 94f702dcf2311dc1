/**
 * Command-line flags of the bench entries (`--name value`). A bad value ends
 * the process with exit code 2 and a line saying what was expected, never a
 * run with NaN figures.
 */

/** `--name value` from argv, or `fallback` when the flag is absent. */
export function flag(argv: readonly string[], name: string, fallback: string): string;
export function flag(argv: readonly string[], name: string): string | undefined;
export function flag(argv: readonly string[], name: string, fallback?: string): string | undefined {
  const index = argv.indexOf(name);
  if (index === -1) return fallback;
  const value = argv[index + 1];
  if (value === undefined || value.startsWith("--")) usage(`${name} needs a value`);
  return value;
}

/** `--name N`: an integer of at least `min`. */
export function integerFlag(argv: readonly string[], name: string, fallback: number, min = 1): number {
  const raw = flag(argv, name, String(fallback));
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) usage(`${name} must be an integer of at least ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

/** `--name a,b,c`, each item one of `allowed` when given. */
export function listFlag(argv: readonly string[], name: string, fallback: string, allowed?: readonly string[]): string[] {
  const items = flag(argv, name, fallback).split(",");
  const wrong = allowed === undefined ? undefined : items.find((item) => !allowed.includes(item));
  if (wrong !== undefined) usage(`${name}: ${JSON.stringify(wrong)} is not one of ${allowed!.join(", ")}`);
  return items;
}

/** Ends the process with a usage error (exit code 2). */
export function usage(message: string): never {
  console.error(`usage error: ${message}`);
  process.exit(2);
}
