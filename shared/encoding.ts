import { createHash } from "node:crypto";
import { sha256 as nobleSha256, sha512 as nobleSha512 } from "@noble/hashes/sha2.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export const utf8 = (text: string): Uint8Array => encoder.encode(text);
/** Decodes UTF-8, throwing on malformed input rather than inserting U+FFFD. */
export const fromUtf8 = (bytes: Uint8Array): string => decoder.decode(bytes);

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error("not a hex string");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export const sha256 = (data: Uint8Array | string): Uint8Array =>
  nobleSha256(typeof data === "string" ? utf8(data) : data);
export const sha256Hex = (data: Uint8Array | string): string => toHex(sha256(data));
/**
 * SHA-256 by the runtime's native code (`node:crypto`: Node, and workerd under nodejs_compat): much
 * faster than JavaScript for whole files, and synchronous (WebCrypto's promise costs more than
 * hashing a bin in Node: 60 vs 9 µs).
 */
export const sha256HexNative = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");
export const sha512Hex = (data: Uint8Array | string): string =>
  toHex(nobleSha512(typeof data === "string" ? utf8(data) : data));

export const isHex = (value: string, length: number): boolean =>
  value.length === length && /^[0-9a-f]*$/.test(value);

const BASE64_DIGITS = utf8("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
const PAD = 61; // "="

/**
 * Standard base64 (RFC 4648 §4), by table: a rendered page of megabytes goes to the writer's shards
 * this way, and building a binary string for btoa costs 15 times as much.
 */
export function toBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = BASE64_DIGITS[n >> 18]!;
    out[o++] = BASE64_DIGITS[(n >> 12) & 63]!;
    out[o++] = BASE64_DIGITS[(n >> 6) & 63]!;
    out[o++] = BASE64_DIGITS[n & 63]!;
  }
  if (i < bytes.length) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8);
    out[o++] = BASE64_DIGITS[n >> 18]!;
    out[o++] = BASE64_DIGITS[(n >> 12) & 63]!;
    out[o++] = i + 1 < bytes.length ? BASE64_DIGITS[(n >> 6) & 63]! : PAD;
    out[o++] = PAD;
  }
  return fromUtf8(out);
}

/** The bytes of standard base64; throws on anything else (atob's rules). */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
