/**
 * Option validation, shared by every options type: a bad option throws one
 * error class, `WsgenError` with code `ERR_INVALID_OPTION`, at construction,
 * naming the option and what it must be.
 */
import { WsgenError } from "./errors.js";

/** A defaults literal: every key of the options type, each with a value it accepts (undefined: none). */
export type Defaults<Options> = Record<keyof Options, unknown> & Options;

/** Throws `ERR_INVALID_OPTION` unless `value` is an integer of at least 1. */
export function checkPositiveInteger(name: string, value: number): number {
  return check(name, value, (candidate) => Number.isInteger(candidate) && (candidate as number) >= 1, "a positive integer");
}

/** Throws `ERR_INVALID_OPTION` unless `value` is a number from `min` to `max`. */
export function checkInRange(name: string, value: number, min: number, max: number): number {
  return check(
    name,
    value,
    (candidate) => typeof candidate === "number" && candidate >= min && candidate <= max,
    `a number from ${min} to ${max}`,
  );
}

export function check<Value>(name: string, value: Value, valid: (value: unknown) => boolean, expected: string): Value {
  if (!valid(value)) throw invalidOption(name, expected, typeof value === "function" ? "a function" : String(value));
  return value;
}

export function isNonNegative(value: unknown): boolean {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

export function isFunction(value: unknown): boolean {
  return typeof value === "function";
}

export function isBoolean(value: unknown): boolean {
  return typeof value === "boolean";
}

/** A `WsRouteService`: something with `createTopic` and `removeTopic` methods. */
export function isService(value: unknown): boolean {
  const service = value as Record<string, unknown> | null | undefined;
  return typeof service?.createTopic === "function" && typeof service.removeTopic === "function";
}

export function isStringArray(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

export function invalidOption(name: string, expected: string, got: string): WsgenError {
  return new WsgenError("ERR_INVALID_OPTION", `Option ${name} must be ${expected}, got ${got}.`);
}

/** `{ a: undefined }` and `{ a: null }` mean "use the default", as if `a` were not given. */
export function withoutUnset<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined && value !== null)) as Partial<T>;
}

/** The longest delay Node's timers keep (about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647;
