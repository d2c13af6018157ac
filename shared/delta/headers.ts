/**
 * The header fields of RFC 9842 (Compression Dictionary Transport), as Structured Fields (RFC 9651):
 * `Use-As-Dictionary` on a response, `Available-Dictionary` and `Dictionary-ID` on a request.
 */

import { fromBase64, toBase64 } from "../encoding.js";

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** `Available-Dictionary: :<base64 SHA-256>:` (an sf-binary). */
export function formatAvailableDictionary(sha256: Uint8Array): string {
  return `:${toBase64(sha256)}:`;
}

/** The 32-byte hash named by `Available-Dictionary`, or null for anything else. */
export function parseAvailableDictionary(value: string | null): Uint8Array | null {
  const m = /^:([^:]*):$/.exec(value?.trim() ?? "");
  if (!m || !BASE64.test(m[1]!)) return null;
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(m[1]!);
  } catch {
    return null;
  }
  return bytes.length === 32 ? bytes : null;
}

/** An sf-string: printable ASCII, with `"` and `\` escaped. */
export function formatSfString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new Error("an sf-string is printable ASCII");
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The value of an sf-string field (`Dictionary-ID`), or null when it is not exactly one string. */
export function parseSfString(value: string | null): string | null {
  const m = /^"((?:[\x20-\x21\x23-\x5b\x5d-\x7e]|\\[\\"])*)"$/.exec(value?.trim() ?? "");
  return m ? m[1]!.replace(/\\([\\"])/g, "$1") : null;
}

export interface DictionaryOffer {
  /** URL pattern (RFC 9842 §2.1.1) of the requests this response may serve as a dictionary for. */
  readonly match: string;
  /** Echoed by the client in `Dictionary-ID`; tuf-edge puts the file name there. */
  readonly id?: string;
}

/** `Use-As-Dictionary: match="...", id="..."` (type defaults to raw, match-dest to any). */
export function formatUseAsDictionary(offer: DictionaryOffer): string {
  const id = offer.id === undefined ? "" : `, id=${formatSfString(offer.id)}`;
  return `match=${formatSfString(offer.match)}${id}`;
}

/**
 * The `match` and `id` of a `Use-As-Dictionary` value; null when it lacks a match, names a type other
 * than raw, or is not a dictionary of sf-strings, tokens and inner lists this parser understands.
 */
export function parseUseAsDictionary(value: string | null): DictionaryOffer | null {
  if (!value) return null;
  const members = new Map<string, string>();
  const member = /\s*([a-z*][a-z0-9_.*-]*)=("(?:[^"\\]|\\[\\"])*"|[A-Za-z*][A-Za-z0-9:/!#$%&'*+.^_`|~-]*|\([^)]*\))\s*(?:,|$)/y;
  let at = 0;
  while (at < value.length) {
    member.lastIndex = at;
    const m = member.exec(value);
    if (!m) return null;
    members.set(m[1]!, m[2]!);
    at = member.lastIndex;
  }
  const match = parseSfString(members.get("match") ?? null);
  const type = members.get("type");
  if (match === null || (type !== undefined && type !== "raw")) return null;
  const id = members.has("id") ? parseSfString(members.get("id")!) : undefined;
  if (id === null) return null;
  return id === undefined ? { match } : { match, id };
}

/**
 * The path pattern of an offer's `match`, resolved against the dictionary's URL; null when it uses URL
 * Pattern syntax beyond the subset tuf-edge sends (a path where `*` stands for any run of
 * characters), which makes the dictionary unusable, never wrongly used.
 */
export function dictionaryPattern(match: string, dictionaryUrl: string): string | null {
  if (/[:(){}?#\\+]/.test(match)) return null;
  try {
    return match.startsWith("/") ? match : new URL(match, dictionaryUrl).pathname;
  } catch {
    return null;
  }
}

/** Whether `url` matches the offer's `match` pattern (same origin as the dictionary, see dictionaryPattern). */
export function matchesDictionary(match: string, dictionaryUrl: string, url: string): boolean {
  const path = dictionaryPattern(match, dictionaryUrl);
  if (path === null) return false;
  const base = new URL(dictionaryUrl);
  const target = new URL(url);
  if (base.origin !== target.origin) return false;
  const pattern = path.split("*").map((part) => part.replace(/[.^$|[\]]/g, "\\$&")).join(".*");
  return new RegExp(`^${pattern}$`).test(target.pathname);
}
