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

/** Standard base64 (RFC 4648 §4), in chunks so a large array never overflows the call stack. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The bytes of standard base64; throws on anything else (atob's rules). */
export const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
