import canonicalize from "canonicalize";
import { FieldError } from "./errors.js";
import { utf8 } from "./encoding.js";

/**
 * TUF signs the OLPC canonical JSON of `signed`. We encode with RFC 8785 (`canonicalize`), which
 * gives the same bytes for integers and for strings of BMP characters without control characters;
 * everything else (floats, control characters, lone surrogates, non-BMP characters) is refused here,
 * so what we sign is what every client computes (tuf-interop.md, "Signing and canonical JSON").
 */
export function canonicalJson(value: unknown): string {
  assertCanonicalSafe(value, "");
  return canonicalize(value)!;
}

export const canonicalBytes = (value: unknown): Uint8Array => utf8(canonicalJson(value));

/** Why a string cannot be signed, or null if it can. */
export function unsafeStringReason(text: string): string | null {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) {
      return `control character U+${c.toString(16).toUpperCase().padStart(4, "0")} is not allowed`;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const isPair =
        c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      return isPair
        ? "characters outside the Basic Multilingual Plane are not allowed"
        : "lone surrogate is not allowed";
    }
  }
  return null;
}

/** Throws a FieldError naming the first value (or object key) that could canonicalize differently. */
export function assertCanonicalSafe(value: unknown, field: string): void {
  switch (typeof value) {
    case "string": {
      const reason = unsafeStringReason(value);
      if (reason) throw new FieldError(field, reason);
      return;
    }
    case "number":
      if (!Number.isSafeInteger(value)) {
        throw new FieldError(field, "only integers (no floats, no unsafe integers) can be signed");
      }
      return;
    case "boolean":
      return;
    case "object":
      if (value === null) return;
      // canonicalize encodes what toJSON returns (a Date becomes a string), so that is what we check.
      if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
        assertCanonicalSafe((value as { toJSON(): unknown }).toJSON(), field);
        return;
      }
      if (Array.isArray(value)) {
        value.forEach((item, i) => assertCanonicalSafe(item, `${field}[${i}]`));
        return;
      }
      for (const [key, item] of Object.entries(value)) {
        const at = field ? `${field}.${key}` : key;
        const reason = unsafeStringReason(key);
        if (reason) throw new FieldError(at, `key: ${reason}`);
        if (item !== undefined) assertCanonicalSafe(item, at);
      }
      return;
    default:
      throw new FieldError(field, `a ${typeof value} cannot be encoded as JSON`);
  }
}
