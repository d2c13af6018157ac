import { isHex, sha256HexNative } from "../../shared/encoding.js";
import { deleteKeys } from "./delete-keys.js";
import { gunzip, gzip } from "./gzip.js";

/**
 * The bytes of mutable targets (simple pages, say), content-addressed in the METADATA bucket under
 * `content/{sha256}`. The name is the SHA-256 of the bytes, computed here from the bytes themselves
 * (invariant 8), so an object can never hold other bytes than its name says. Stored gzip-compressed
 * once, like metadata, with the length and SHA-256 of the plain bytes in custom metadata.
 */
export const contentKey = (sha256: string) => `content/${sha256}`;

export interface ContentInfo {
  readonly sha256: string;
  /** Of the plain bytes. */
  readonly length: number;
}

/** A stored object on its way out: the gzip bytes as stored (null for HEAD). */
export interface StoredContent extends ContentInfo {
  readonly gzipLength: number;
  readonly body: ReadableStream | null;
}

const isSha256 = (value: string) => isHex(value, 64);

function infoOf(object: R2Object): ContentInfo {
  const m = object.customMetadata ?? {};
  const length = Number(m.length);
  if (!m.sha256 || !Number.isSafeInteger(length)) throw new Error(`${object.key} is stored without length and sha256`);
  return { sha256: m.sha256, length };
}

/** Bytes whose SHA-256 is not the one the caller named. */
export class ContentMismatch extends Error {
  override readonly name = "ContentMismatch";
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`the bytes have SHA-256 ${actual}, not ${expected}`);
  }
}

export class ContentStore {
  constructor(readonly bucket: R2Bucket) {}

  /**
   * Stores bytes under their own SHA-256 (computed here: invariant 8), create-if-absent. With
   * `expectSha256`, bytes of another hash are not stored: a ContentMismatch says which they have.
   */
  async put(bytes: Uint8Array, expectSha256?: string): Promise<{ sha256: string; length: number; created: boolean }> {
    const sha256 = sha256HexNative(bytes);
    if (expectSha256 !== undefined && sha256 !== expectSha256) throw new ContentMismatch(expectSha256, sha256);
    const key = contentKey(sha256);
    // Most puts of a page that exists already are retries: skip the compression.
    if (await this.bucket.head(key)) return { sha256, length: bytes.length, created: false };
    const written = await this.bucket.put(key, gzip(bytes), {
      onlyIf: { etagDoesNotMatch: "*" },
      httpMetadata: { contentEncoding: "gzip", contentType: "application/octet-stream" },
      customMetadata: { sha256, length: String(bytes.length) },
    });
    return { sha256, length: bytes.length, created: written !== null };
  }

  /** Length (and sha256) of stored content, or null. */
  async head(sha256: string): Promise<ContentInfo | null> {
    if (!isSha256(sha256)) return null;
    const object = await this.bucket.head(contentKey(sha256));
    return object ? infoOf(object) : null;
  }

  async get(sha256: string): Promise<Uint8Array | null> {
    const stored = await this.stored(sha256, false);
    if (!stored) return null;
    return gunzip(new Uint8Array(await new Response(stored.body).arrayBuffer()));
  }

  /** The object as stored, for serving: gzip bytes (no body with `head`) and the plain length. */
  async stored(sha256: string, head: boolean): Promise<StoredContent | null> {
    if (!isSha256(sha256)) return null;
    const object = head ? await this.bucket.head(contentKey(sha256)) : await this.bucket.get(contentKey(sha256));
    if (!object) return null;
    const body = "body" in object ? (object as R2ObjectBody).body : null;
    return { ...infoOf(object), gzipLength: object.size, body };
  }

  async delete(sha256s: string[]): Promise<void> {
    await deleteKeys(this.bucket, sha256s.filter(isSha256).map(contentKey));
  }
}
