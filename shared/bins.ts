import { sha256, utf8 } from "./encoding.js";

/**
 * Succinct hashed bins (TAP 15): a target path belongs to the bin numbered by the first
 * `bitLength` bits of SHA-256(UTF-8 path); names are `prefix-` + the number in hex, zero-padded
 * to the width of the largest number (14 bits: bins-0000 … bins-3fff).
 */
/**
 * The size a bin may grow to, in bytes of JSON: a fifth of the 5,000,000 bytes clients accept for a
 * targets role (python-tuf's and tuf-js's default maximum). Paths can be chosen to land in one bin, and a bin past the
 * clients' limit makes every target in it uninstallable, so an upload that would cross this is
 * refused; status warns at half of it.
 */
export const MAX_BIN_BYTES = 1_000_000;

/**
 * Bins one commit may touch: each costs about three R2 operations, of 10,000 per invocation. The
 * writer fills a commit up to it, and an import request may touch no more.
 */
export const MAX_BINS_PER_COMMIT = 2500;

export function binIndex(path: string, bitLength: number): number {
  const h = sha256(utf8(path));
  const first32 = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
  return first32 >>> (32 - bitLength);
}

/** Hex digits of the largest bin number. `2 **`, not `1 <<`: the shift wraps at 31 and 32 bits. */
const suffixWidth = (bitLength: number): number => (2 ** bitLength - 1).toString(16).length;

export function binName(index: number, bitLength: number, prefix = "bins"): string {
  const width = suffixWidth(bitLength);
  return `${prefix}-${index.toString(16).padStart(width, "0")}`;
}

export const binFor = (path: string, bitLength: number, prefix = "bins"): string =>
  binName(binIndex(path, bitLength), bitLength, prefix);

export function allBinNames(bitLength: number, prefix = "bins"): string[] {
  return Array.from({ length: 2 ** bitLength }, (_, i) => binName(i, bitLength, prefix));
}

/** The number of a bin name, or -1 if the name is not one of the 2^bitLength bins. */
export function binNumber(name: string, bitLength: number, prefix = "bins"): number {
  const width = suffixWidth(bitLength);
  const m = new RegExp(`^${prefix}-([0-9a-f]{${width}})$`).exec(name);
  if (!m) return -1;
  const n = parseInt(m[1]!, 16);
  return n < 2 ** bitLength ? n : -1;
}
