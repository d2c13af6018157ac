import type { StoredDist } from "../../shared/distribution/inspect.js";
import { createHash } from "node:crypto";
import { toHex } from "../../shared/encoding.js";
import { projectOf } from "../../shared/simple/index.js";
import type { UploadTarget } from "../../shared/upload.js";
import type { ContentStore } from "./content.js";

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
    const names = [...new Set(["sha256", ...algorithms])].filter((a): a is "sha256" | "sha512" => a === "sha256" || a === "sha512");
    const hashers = names.map((alg) => createHash(alg));
    const reader = (object.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const h of hashers) h.update(value);
    }
    const hashes: Record<string, string> = {};
    names.forEach((alg, i) => (hashes[alg] = hashers[i]!.digest("hex")));
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

/**
 * Why a webhook claim cannot be published; null when it can. The packages bucket's bytes win over
 * any claim (invariant 8), for every hash the claim states and for serial targets too; in render
 * mode a distribution the pages list must be in the bucket, so no claim can come before its bytes.
 * A serial target's bytes must be stored where tuf-edge serves them.
 */
export async function claimRefusal(pagesMode: "render" | "index", packages: PackageStore, content: ContentStore, t: UploadTarget): Promise<string | null> {
  const listed = pagesMode === "render" && projectOf(t.path) !== null;
  // Most webhook targets are not in the bucket: a HEAD answers that; only a stored object is read.
  if (await packages.exists(t.path)) {
    const stored = await packages.hash(t.path, Object.keys(t.hashes));
    if (stored && (stored.length !== t.length || Object.entries(t.hashes).some(([alg, hex]) => stored.hashes[alg] !== hex))) {
      return `the packages bucket holds other bytes at this path (length ${stored.length}, sha256 ${stored.hashes.sha256})`;
    }
  } else if (listed) {
    return "is a distribution the project's page would list, and the packages bucket holds no file at this path: store it there first";
  }
  if (t.serial === undefined) return null;
  const sha256 = t.hashes.sha256!;
  const held = (await content.headAt(t.path, sha256)) ?? (await content.head(sha256));
  if (!held) return `its bytes are not stored: PUT /v1/content/${sha256} first`;
  if (held.length !== t.length) return `the stored bytes of ${sha256} are ${held.length} long, not ${t.length}`;
  return null;
}
