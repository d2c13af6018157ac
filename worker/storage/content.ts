import { isHex, sha256HexNative, utf8 } from "../../shared/encoding.js";
import { deleteKeys } from "./delete-keys.js";
import { gunzip, gzip } from "./gzip.js";

/**
 * The bytes of mutable targets (simple pages, say) in the METADATA bucket, named by the SHA-256 of
 * the bytes, computed here from the bytes themselves (invariant 8), so an object can never hold
 * other bytes than its name says. Stored gzip-compressed once, like metadata, with the length and
 * SHA-256 of the plain bytes in custom metadata.
 *
 * Two places (second security review, findings 2 and 10):
 * - `content/{sha256}`: staged by `PUT /v1/content` until a commit publishes them; swept when
 *   unpublished for STAGED_GRACE. (Objects stored there before per-path content are kept.)
 * - `content/{sha256(path)}/{sha256}`: the bytes as a path publishes them, written before the
 *   commit that names them. Each path has its own copy, so retention deletes a path's superseded
 *   bytes without asking which other path holds the same ones, and a page path serves by hash only
 *   bytes that path was published with.
 */
export const contentKey = (sha256: string) => `content/${sha256}`;
export const pathContentKey = (path: string, sha256: string) => `content/${sha256HexNative(utf8(path))}/${sha256}`;

/** How long staged bytes that no commit published are kept. */
export const STAGED_GRACE = 24 * 3600_000;

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
    return this.write(contentKey(sha256), bytes, sha256, { staged: "1" });
  }

  /** Stores bytes as `path` publishes them (render mode: the pages tuf-edge renders); one conditional put, no head first. */
  async putAt(path: string, bytes: Uint8Array): Promise<{ sha256: string; length: number; created: boolean }> {
    const sha256 = sha256HexNative(bytes);
    return this.write(pathContentKey(path, sha256), bytes, sha256, {}, false);
  }

  /**
   * Copies staged bytes to `path`'s own place before a commit names them there; false when neither
   * holds them. The stored object's own sha256 is checked, never assumed from its name.
   */
  async publishAt(path: string, sha256: string): Promise<boolean> {
    if (!isSha256(sha256)) return false;
    if (await this.bucket.head(pathContentKey(path, sha256))) return true;
    const staged = await this.bucket.get(contentKey(sha256));
    if (!staged || infoOf(staged).sha256 !== sha256) return false;
    const gz = new Uint8Array(await staged.arrayBuffer());
    await this.bucket.put(pathContentKey(path, sha256), gz, {
      onlyIf: { etagDoesNotMatch: "*" },
      httpMetadata: { contentEncoding: "gzip", contentType: "application/octet-stream" },
      customMetadata: { sha256, length: String(infoOf(staged).length) },
    });
    return true;
  }

  private async write(key: string, bytes: Uint8Array, sha256: string, extra: Record<string, string>, headFirst = true) {
    // Most puts of a page that exists already are retries: skip the compression.
    if (headFirst && (await this.bucket.head(key))) return { sha256, length: bytes.length, created: false };
    const written = await this.bucket.put(key, gzip(bytes), {
      onlyIf: { etagDoesNotMatch: "*" },
      httpMetadata: { contentEncoding: "gzip", contentType: "application/octet-stream" },
      customMetadata: { sha256, length: String(bytes.length), ...extra },
    });
    return { sha256, length: bytes.length, created: written !== null };
  }

  /** Length (and sha256) of stored content, or null. */
  async head(sha256: string): Promise<ContentInfo | null> {
    if (!isSha256(sha256)) return null;
    const object = await this.bucket.head(contentKey(sha256));
    return object ? infoOf(object) : null;
  }

  /** Length (and sha256) of the bytes `path` is published with, or null. */
  async headAt(path: string, sha256: string): Promise<ContentInfo | null> {
    if (!isSha256(sha256)) return null;
    const object = await this.bucket.head(pathContentKey(path, sha256));
    return object ? infoOf(object) : null;
  }

  /** The bytes `path` is published with (with `legacy`, also those stored before per-path content). */
  async getAt(path: string, sha256: string, legacy = true): Promise<Uint8Array | null> {
    const stored = await this.storedAt(path, sha256, false, legacy);
    if (!stored) return null;
    return gunzip(new Uint8Array(await new Response(stored.body).arrayBuffer()));
  }

  /**
   * The object as stored, for serving: gzip bytes (no body with `head`) and the plain length. With
   * `legacy`, bytes stored before per-path content (`content/{sha256}`, never staged) count too: the
   * caller allows it only when the current state lists that hash at that path.
   */
  async storedAt(path: string, sha256: string, head: boolean, legacy: boolean): Promise<StoredContent | null> {
    if (!isSha256(sha256)) return null;
    const read = (key: string) => (head ? this.bucket.head(key) : this.bucket.get(key));
    let object = await read(pathContentKey(path, sha256));
    if (!object && legacy) {
      object = await read(contentKey(sha256));
      if (object?.customMetadata?.staged) object = null;
    }
    if (!object) return null;
    const body = "body" in object ? (object as R2ObjectBody).body : null;
    return { ...infoOf(object), gzipLength: object.size, body };
  }

  /** Deletes what these paths were published with (retention). */
  async deleteAt(items: readonly { path: string; sha256: string }[]): Promise<void> {
    await deleteKeys(this.bucket, items.filter((i) => isSha256(i.sha256)).map((i) => pathContentKey(i.path, i.sha256)));
  }

  /**
   * One bounded slice of the sweep of staged bytes that no commit published within STAGED_GRACE
   * (each commit copies what it publishes to its path's place first). Returns the next cursor.
   */
  async sweepStaged(now: number, cursor: string, limit = 1000): Promise<{ cursor: string; deleted: number }> {
    const options = { prefix: "content/", delimiter: "/", limit, include: ["customMetadata"], ...(cursor && { cursor }) };
    const listed = await this.bucket.list(options as R2ListOptions);
    const doomed = listed.objects.filter((o) => o.customMetadata?.staged && o.uploaded.getTime() + STAGED_GRACE <= now).map((o) => o.key);
    await deleteKeys(this.bucket, doomed);
    return { cursor: listed.truncated ? listed.cursor : "", deleted: doomed.length };
  }
}
