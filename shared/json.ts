import { FieldError } from "./errors.js";

export type Json = null | boolean | number | string | Json[] | JsonObject;
export type JsonObject = { [key: string]: Json };

// Strict readers for untrusted JSON: each names the offending field when it throws.

export function readObject(value: unknown, field: string): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FieldError(field, "must be an object");
  }
  return value as JsonObject;
}

const at = (field: string, key: string) => (field ? `${field}.${key}` : key);

export function readString(o: JsonObject, key: string, field: string): string {
  const v = o[key];
  if (typeof v !== "string") throw new FieldError(at(field, key), v === undefined ? "is required" : "must be a string");
  return v;
}

export function readInt(o: JsonObject, key: string, field: string, min = 0): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    throw new FieldError(at(field, key), v === undefined ? "is required" : "must be an integer");
  }
  if (v < min) throw new FieldError(at(field, key), `must be at least ${min}`);
  return v;
}

export function readBool(o: JsonObject, key: string, field: string): boolean {
  const v = o[key];
  if (typeof v !== "boolean") throw new FieldError(at(field, key), v === undefined ? "is required" : "must be a boolean");
  return v;
}

export function readStringArray(o: JsonObject, key: string, field: string): string[] {
  const v = o[key];
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) {
    throw new FieldError(at(field, key), v === undefined ? "is required" : "must be an array of strings");
  }
  return v as string[];
}

/**
 * An empty object without a prototype, for keys that come from untrusted input: `o["__proto__"] = v`
 * then makes an own field (as JSON.parse does), not a new prototype.
 */
export const jsonRecord = (): JsonObject => Object.create(null) as JsonObject;

/** `o[key] = value`, except that "__proto__" becomes an own field (as JSON.parse makes it), not the prototype. */
export function setField(o: JsonObject, key: string, value: Json): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The fields of `o` that the spec does not name: clients preserve and sign over them, so do we. */
export function unrecognized(o: JsonObject, known: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) if (!known.includes(k)) setField(out, k, v);
  return out;
}
