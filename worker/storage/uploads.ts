import type { UploadRequest } from "../../shared/upload.js";

/** Why one target of an upload was not published. */
export interface TargetRejection {
  readonly path: string;
  readonly reason: string;
}

/** What became of one target or removal of an upload. */
export interface TargetOutcome {
  readonly path: string;
  readonly outcome: "published" | "unchanged" | "superseded" | "rejected";
  readonly reason?: string;
}

/** What `GET /v1/uploads/{id}` answers; stored at `uploads/<id>.json` in the METADATA bucket. */
export interface UploadRecord {
  readonly id: string;
  readonly state: "queued" | "published" | "rejected";
  /** ISO time the upload was accepted. */
  readonly received: string;
  readonly request: UploadRequest;
  /**
   * Webhook uploads are all-or-nothing (true). A bulk import chunk is not: a conflicting target is
   * rejected alone and the rest are published.
   */
  readonly atomic?: boolean;
  /** Bins the upload touches, where the receiver counted them (imports); else at most its entries. */
  readonly bins?: number;
  /** Published: the snapshot version that carries it, and when. */
  readonly snapshotVersion?: number;
  readonly published?: string;
  readonly rejected?: readonly TargetRejection[];
  /** Once decided: each target and removal, in request order. */
  readonly results?: readonly TargetOutcome[];
  /** The last transient failure, while the upload is still queued. */
  readonly lastError?: string;
}

const key = (id: string) => `uploads/${id}.json`;

export class UploadStore {
  constructor(readonly bucket: R2Bucket) {}

  async get(id: string): Promise<UploadRecord | null> {
    const object = await this.bucket.get(key(id));
    return object ? ((await object.json()) as UploadRecord) : null;
  }

  async delete(id: string): Promise<void> {
    await this.bucket.delete(key(id));
  }

  async put(record: UploadRecord): Promise<void> {
    await this.bucket.put(key(record.id), JSON.stringify(record), {
      httpMetadata: { contentType: "application/json" },
      customMetadata: { state: record.state, received: record.received },
    });
  }
}

/** Upload ids: 128 random bits, hex; the only ids GET /v1/uploads/{id} looks up. */
export const newUploadId = (): string => [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
export const isUploadId = (id: string): boolean => /^(r2-)?[0-9a-f]{32}$/.test(id);
