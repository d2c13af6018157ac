import type { StoredDist } from "../../shared/distribution/inspect.js";
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

  /**
   * Length and hashes of the stored object, computed from its bytes (SHA-256 always, and each of
   * `algorithms` a claim states: sha256, sha512); null when there is none.
   */
  async hash(path: string, algorithms: readonly string[] = []): Promise<{ length: number; sha256: string; hashes: Record<string, string> } | null> {
    const object = await this.bucket.get(path);
    if (!object) return null;
    const names = [...new Set(["sha256", ...algorithms])];
    const digests = names.map((alg) => new crypto.DigestStream(alg === "sha512" ? "SHA-512" : "SHA-256"));
    let body: ReadableStream = object.body;
    const pipes: Promise<void>[] = [];
    for (let i = 0; i < digests.length - 1; i++) {
      const [a, b] = body.tee();
      pipes.push(a.pipeTo(digests[i]!));
      body = b;
    }
    pipes.push(body.pipeTo(digests.at(-1)!));
    await Promise.all(pipes);
    const hashes: Record<string, string> = {};
    for (let i = 0; i < names.length; i++) hashes[names[i]!] = toHex(new Uint8Array(await digests[i]!.digest));
    return { length: object.size, sha256: hashes.sha256!, hashes };
  }

  /** Range reads of the stored object, for checking a distribution without reading all of it; null when there is none. */
  async dist(path: string): Promise<StoredDist | null> {
    const head = await this.bucket.head(path);
    if (!head) return null;
    const bucket = this.bucket;
    return {
      reader: {
        size: head.size,
        async read(offset: number, length: number) {
          if (length === 0) return new Uint8Array(0);
          const object = await bucket.get(path, { range: { offset, length } });
          if (!object) throw new Error(`${path} is no longer stored`);
          return new Uint8Array(await object.arrayBuffer());
        },
      },
      async stream() {
        const object = await bucket.get(path);
        if (!object) throw new Error(`${path} is no longer stored`);
        return object.body as ReadableStream<Uint8Array>;
      },
    };
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
