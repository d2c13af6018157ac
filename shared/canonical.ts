import { FieldError } from "./errors.js";
import { utf8 } from "./encoding.js";

/**
 * TUF signs the OLPC canonical JSON of `signed`. We encode as RFC 8785 does (sorted keys by UTF-16
 * code units, no whitespace), which gives the same bytes for integers and for strings of BMP
 * characters without control characters; everything else (floats, control characters, lone
 * surrogates, non-BMP characters) is refused, so what we sign is what every client computes
 * (README, "Interoperability notes"). The walk keeps its own stack instead of recursing:
 * no input, however deep, can overflow the call stack (security review, finding 2).
 */
export function canonicalJson(value: unknown): string {
  return encode(value, "", true);
}

export const canonicalBytes = (value: unknown): Uint8Array => utf8(canonicalJson(value));

/** Throws a FieldError naming the first value (or object key) that could canonicalize differently. */
export function assertCanonicalSafe(value: unknown, field: string): void {
  encode(value, field, false);
}

type Frame =
  | { readonly kind: "array"; readonly items: readonly unknown[]; next: number; readonly field: string }
  | { readonly kind: "object"; readonly o: Record<string, unknown>; readonly keys: string[]; next: number; readonly field: string };

const at = (field: string, key: string) => (field ? `${field}.${key}` : key);

/** One pass that checks every value and, when `emit`, writes the canonical text. */
function encode(root: unknown, rootField: string, emit: boolean): string {
  const out: string[] = [];
  const stack: Frame[] = [];
  // Each step either writes a scalar or opens a container; containers are walked from the stack.
  const visit = (input: unknown, field: string) => {
    let value = input;
    // What canonicalize encodes is what toJSON returns (a Date becomes a string).
    while (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
      value = (value as { toJSON(): unknown }).toJSON();
    }
    switch (typeof value) {
      case "string": {
        const reason = unsafeStringReason(value);
        if (reason) throw new FieldError(field, reason);
        if (emit) out.push(JSON.stringify(value));
        return;
      }
      case "number":
        if (!Number.isSafeInteger(value)) throw new FieldError(field, "only integers (no floats, no unsafe integers) can be signed");
        if (emit) out.push(String(value));
        return;
      case "boolean":
        if (emit) out.push(value ? "true" : "false");
        return;
      case "object":
        if (value === null) {
          if (emit) out.push("null");
        } else if (Array.isArray(value)) {
          if (emit) out.push("[");
          stack.push({ kind: "array", items: value, next: 0, field });
        } else {
          const o = value as Record<string, unknown>;
          const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
          for (const key of keys) {
            const reason = unsafeStringReason(key);
            if (reason) throw new FieldError(at(field, key), `key: ${reason}`);
          }
          if (emit) out.push("{");
          stack.push({ kind: "object", o, keys, next: 0, field });
        }
        return;
      default:
        throw new FieldError(field, `a ${typeof value} cannot be encoded as JSON`);
    }
  };
  visit(root, rootField);
  while (stack.length) {
    const frame = stack[stack.length - 1]!;
    if (frame.kind === "array") {
      if (frame.next === frame.items.length) {
        stack.pop();
        if (emit) out.push("]");
        continue;
      }
      const i = frame.next++;
      if (emit && i > 0) out.push(",");
      visit(frame.items[i], `${frame.field}[${i}]`);
    } else {
      if (frame.next === frame.keys.length) {
        stack.pop();
        if (emit) out.push("}");
        continue;
      }
      const key = frame.keys[frame.next++]!;
      if (emit) out.push(`${frame.next > 1 ? "," : ""}${JSON.stringify(key)}:`);
      visit(frame.o[key], at(frame.field, key));
    }
  }
  return out.join("");
}

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
