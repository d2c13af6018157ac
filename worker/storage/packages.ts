import { toHex } from "../../shared/encoding.js";

/**
 * The PACKAGES bucket: artifacts (distributions and the like), each under its target path. tuf-edge
 * reads what is there to sign its hashes (invariant 8); in development it also stores and serves it.
 */
export class PackageStore {
  constructor(readonly bucket: R2Bucket) {}

  async exists(path: string): Promise<boolean> {
    return (await this.bucket.head(path)) !== null;
  }

  /** Length and SHA-256 of the stored object, computed from its bytes; null when there is none. */
  async hash(path: string): Promise<{ length: number; sha256: string } | null> {
    const object = await this.bucket.get(path);
    if (!object) return null;
    const digest = new crypto.DigestStream("SHA-256");
    await object.body.pipeTo(digest);
    return { length: object.size, sha256: toHex(new Uint8Array(await digest.digest)) };
  }

  /** Create-if-absent (package files are immutable): the stored object, or null when one is there already. */
  async create(path: string, body: ReadableStream | Uint8Array): Promise<R2Object | null> {
    return this.bucket.put(path, body, { onlyIf: { etagDoesNotMatch: "*" } });
  }

  /**
   * The object stored at `path` and whether it holds exactly `bytes` (R2's etag of a single-part
   * object is the MD5 of its bytes); null when nothing is stored there.
   */
  async compare(path: string, bytes: Uint8Array): Promise<{ object: R2Object; same: boolean } | null> {
    const object = await this.bucket.head(path);
    if (!object) return null;
    return { object, same: object.etag === toHex(new Uint8Array(await crypto.subtle.digest("MD5", bytes))) };
  }

  /** The object for serving (no body for `head`); null when there is none. */
  async served(path: string, head: boolean): Promise<R2Object | R2ObjectBody | null> {
    return head ? this.bucket.head(path) : this.bucket.get(path);
  }
}
