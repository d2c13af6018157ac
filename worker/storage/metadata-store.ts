import { sha256HexNative } from "../../shared/encoding.js";
import { deleteKeys } from "./delete-keys.js";
import { type GzipLevel, gunzip, gzip } from "./gzip.js";

/**
 * TUF files in the METADATA bucket, under `metadata/<name>`. Each is stored gzip-compressed once, at
 * write time, with the length and SHA-256 of the uncompressed JSON (what TUF metadata states and
 * what the ETag is made of) in custom metadata.
 */
export const metadataKey = (name: string) => `metadata/${name}`;

export interface StoredFile {
  /** Uncompressed JSON. */
  readonly bytes: Uint8Array;
  /** R2's etag of the stored object: the compare-and-swap token. */
  readonly etag: string;
  readonly uploaded: Date;
  /** R2 custom metadata; on timestamp.json it carries the writer's bookkeeping (see TimestampNotes). */
  readonly custom: Record<string, string>;
}

export interface FileInfo {
  readonly length: number;
  readonly sha256: string;
}

export function fileInfo(object: { customMetadata?: Record<string, string> }): FileInfo | null {
  const m = object.customMetadata;
  if (!m?.sha256 || m.length === undefined) return null;
  return { length: Number(m.length), sha256: m.sha256 };
}

/** The snapshot is fetched by every client on every update and worth zlib's default; the rest is mostly hex (gzip.ts). */
const levelFor = (name: string): GzipLevel => (name.endsWith(".snapshot.json") ? 6 : 1);

function putOptions(name: string, bytes: Uint8Array, onlyIf?: R2Conditional, notes: Record<string, string> = {}) {
  const info = { ...notes, length: String(bytes.length), sha256: sha256HexNative(bytes) };
  const options: R2PutOptions = {
    httpMetadata: { contentType: "application/json", contentEncoding: "gzip" },
    customMetadata: info,
  };
  if (onlyIf) options.onlyIf = onlyIf;
  return { body: gzip(bytes, levelFor(name)), options };
}

export class MetadataStore {
  constructor(readonly bucket: R2Bucket) {}

  async read(name: string): Promise<StoredFile | null> {
    const object = await this.bucket.get(metadataKey(name));
    if (!object) return null;
    return {
      bytes: gunzip(new Uint8Array(await object.arrayBuffer())),
      etag: object.etag,
      uploaded: object.uploaded,
      custom: object.customMetadata ?? {},
    };
  }

  /** Create-if-absent: false when a file of that name exists already (versioned files are immutable). */
  async create(name: string, bytes: Uint8Array): Promise<boolean> {
    const { body, options } = putOptions(name, bytes, { etagDoesNotMatch: "*" });
    try {
      return (await this.bucket.put(metadataKey(name), body, options)) !== null;
    } catch (e) {
      // Two writers creating the same name at once: R2 refuses the second with 429 (10058). The name
      // is being taken by the other, which is what a refused create-if-absent says too.
      if (String((e as Error).message).includes("(10058)")) return false;
      throw e;
    }
  }

  /**
   * The commit point: replace `timestamp.json` only if it still has `etag` (or, with null, only if
   * there is none yet). False when another writer committed first.
   */
  async swapTimestamp(bytes: Uint8Array, etag: string | null, notes: Record<string, string> = {}): Promise<boolean> {
    const onlyIf = etag === null ? { etagDoesNotMatch: "*" } : { etagMatches: etag };
    const { body, options } = putOptions("timestamp.json", bytes, onlyIf, notes);
    return (await this.bucket.put(metadataKey("timestamp.json"), body, options)) !== null;
  }

  /**
   * Like read, but when the stored file still has the etag `unchanged`, a conditional read that
   * transfers nothing: then `bytes` is null (the caller holds them already).
   */
  async readChanged(name: string, unchanged: string | undefined): Promise<(Omit<StoredFile, "bytes"> & { bytes: Uint8Array | null }) | null> {
    const object = await this.bucket.get(metadataKey(name), unchanged ? { onlyIf: { etagDoesNotMatch: unchanged } } : {});
    if (!object) return null;
    const bytes = "body" in object ? gunzip(new Uint8Array(await object.arrayBuffer())) : null;
    return { bytes, etag: object.etag, uploaded: object.uploaded, custom: object.customMetadata ?? {} };
  }

  /** Deletes files by name. */
  delete(names: readonly string[]): Promise<void> {
    return deleteKeys(this.bucket, names.map(metadataKey));
  }

  async exists(name: string): Promise<boolean> {
    return (await this.bucket.head(metadataKey(name))) !== null;
  }

  /** When a file was written; null when it is not stored. */
  async uploaded(name: string): Promise<Date | null> {
    return (await this.bucket.head(metadataKey(name)))?.uploaded ?? null;
  }

  /** Stored files in name order, at most `limit` after the name `after` ("": from the first), with when each was written. */
  async list(after: string, limit: number): Promise<{ files: { name: string; uploaded: Date }[]; more: boolean }> {
    const prefix = metadataKey("");
    const page = await this.bucket.list({ prefix, limit, ...(after ? { startAfter: metadataKey(after) } : {}) });
    return { files: page.objects.map((o) => ({ name: o.key.slice(prefix.length), uploaded: o.uploaded })), more: page.truncated };
  }

  /** A file as stored, for serving: its gzip bytes (no body for `head`), their length, and what they decode to. */
  async served(name: string, head: boolean): Promise<ServedFile | null> {
    const object = head ? await this.bucket.head(metadataKey(name)) : await this.bucket.get(metadataKey(name));
    if (!object) return null;
    const info = fileInfo(object);
    if (!info) throw new Error(`${name} is stored without length and sha256`);
    return { info, gzipLength: object.size, body: "body" in object ? (object as R2ObjectBody).body : null };
  }
}

export interface ServedFile {
  /** Of the uncompressed JSON. */
  readonly info: FileInfo;
  readonly gzipLength: number;
  readonly body: ReadableStream | null;
}
