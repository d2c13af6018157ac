import { Zstd, ZstdError } from "./zstd.js";

/**
 * The `dcz` content coding of RFC 9842 §4.2 (Dictionary-Compressed Zstandard): a fixed 8-byte header
 * (a zstd skippable frame of 32 bytes), the SHA-256 of the dictionary, then zstd data compressed with
 * that dictionary as raw content.
 *
 * The zstd frame this wrapper writes has no content checksum (the simple API of the wasm build cannot
 * ask for one), so a flipped literal could decode to other bytes without an error. tuf-edge therefore
 * ends the body with a second skippable frame holding the SHA-256 of the decoded content: every zstd
 * decoder (browsers, the `zstd` command) skips it; `decodeDcz` requires and checks it, so a truncated
 * or altered body fails instead of decoding to other bytes.
 */
export const DCZ_HEADER = Uint8Array.of(0x5e, 0x2a, 0x4d, 0x18, 0x20, 0x00, 0x00, 0x00);
/** Skippable-frame magic 0x184D2A50 (little-endian) with a 32-byte payload: the content's SHA-256. */
export const CONTENT_SHA256_FRAME = Uint8Array.of(0x50, 0x2a, 0x4d, 0x18, 0x20, 0x00, 0x00, 0x00);
const FRAME = DCZ_HEADER.length + 32;

export type DczFailure = "header" | "dictionary" | "zstd" | "content-hash";

export class DczError extends Error {
  override readonly name = "DczError";
  constructor(
    readonly reason: DczFailure,
    message: string,
  ) {
    super(message);
  }
}

export const sha256 = async (bytes: Uint8Array): Promise<Uint8Array> =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** `content` as a dcz body against `dictionary`; both hashes are the caller's (the Worker stores them). */
export function encodeDcz(
  zstd: Zstd,
  content: Uint8Array,
  dictionary: Uint8Array,
  hashes: { readonly dictionary: Uint8Array; readonly content: Uint8Array },
  level?: number,
): Uint8Array {
  const frame = zstd.compress(content, dictionary, level);
  const body = new Uint8Array(FRAME + frame.length + FRAME);
  body.set(DCZ_HEADER, 0);
  body.set(hashes.dictionary, DCZ_HEADER.length);
  body.set(frame, FRAME);
  body.set(CONTENT_SHA256_FRAME, FRAME + frame.length);
  body.set(hashes.content, FRAME + frame.length + CONTENT_SHA256_FRAME.length);
  return body;
}

/**
 * The content of a dcz body made against `dictionary` (whose SHA-256 is `dictionarySha256`). Throws
 * DczError on a wrong header or dictionary, a zstd error, a result above `maxLength`, or a content
 * hash that does not match.
 */
export async function decodeDcz(
  zstd: Zstd,
  body: Uint8Array,
  dictionary: Uint8Array,
  dictionarySha256: Uint8Array,
  maxLength: number,
): Promise<Uint8Array> {
  if (body.length < 2 * FRAME || !equalBytes(body.subarray(0, DCZ_HEADER.length), DCZ_HEADER)) {
    throw new DczError("header", "not a dcz body");
  }
  if (!equalBytes(body.subarray(DCZ_HEADER.length, FRAME), dictionarySha256)) {
    throw new DczError("dictionary", "the body was compressed with another dictionary");
  }
  const trailer = body.length - FRAME;
  if (!equalBytes(body.subarray(trailer, trailer + CONTENT_SHA256_FRAME.length), CONTENT_SHA256_FRAME)) {
    throw new DczError("content-hash", "the body does not end with the content's SHA-256");
  }
  let content: Uint8Array;
  try {
    content = zstd.decompress(body.subarray(FRAME, trailer), dictionary, maxLength);
  } catch (error) {
    if (error instanceof ZstdError) throw new DczError("zstd", error.message);
    throw error;
  }
  if (!equalBytes(await sha256(content), body.subarray(trailer + CONTENT_SHA256_FRAME.length))) {
    throw new DczError("content-hash", "the decoded bytes do not have the SHA-256 the body states");
  }
  return content;
}
