import type { Json } from "../../shared/json.js";
import type { UploadRequest } from "../../shared/upload.js";
import { deleteKeys } from "./delete-keys.js";
import { waitForWriteSlot } from "./write-slot.js";

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

/** A PEP 480 change an upload record carries instead of targets (worker/publish/projects.ts). */
export type ProjectChange =
  /** The operator's claim: the delegation recently-claimed gains, the keys it names, and the project's first role (signed by them). */
  | { readonly kind: "claim"; readonly delegation: Json; readonly keys: Readonly<Record<string, Json>>; readonly metadata: Json; readonly replace?: boolean }
  /** A maintainer's push: a project role (or a role under it) as signed. */
  | { readonly kind: "role"; readonly role: string; readonly metadata: Json };

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
  /** A claim or a pushed project role (PEP 480), published by its own commit. */
  readonly project?: ProjectChange;
  /** The last transient failure, while the upload is still queued. */
  readonly lastError?: string;
}

/** One line of GET /v1/uploads?state=rejected: read from the index, no record read needed. */
export interface RejectionSummary {
  readonly id: string;
  readonly received: string;
  /** When the rejection was recorded. */
  readonly rejectedAt: string;
  /** Targets rejected, and the first one with its reason. */
  readonly count: number;
  readonly path: string;
  readonly reason: string;
  /** Published with some targets rejected (a bulk import chunk), rather than rejected whole. */
  readonly partial: boolean;
}

/** One published upload as the status page charts it: from the index, no record read needed. */
export interface PublishedSummary {
  readonly id: string;
  readonly received: string;
  readonly published: string;
  readonly targets: number;
}

/**
 * Keys beside the records, so that nothing has to list every record:
 * - `upload-index/received/<received ISO>-<id>`: oldest first, for the retention sweep;
 * - `upload-index/rejected/<inverted received>-<id>`: newest first, with a RejectionSummary in its
 *   custom metadata, for the listing and the status warning;
 * - `upload-index/published/<inverted received>-<id>`: newest first, with a PublishedSummary, for
 *   the status page's charts (targets published per minute, latency).
 */
const RECORD = "uploads/";
const BY_TIME = "upload-index/received/";
const REJECTED = "upload-index/rejected/";
const PUBLISHED = "upload-index/published/";
const ACKNOWLEDGED = "state/rejections-acknowledged.json";
/** Larger than any millisecond time until the year 2286: inverted times sort newest first. */
const TIME_CEILING = 9_999_999_999_999;

// `include` is honoured since compatibility date 2022-08-04; the default types predate it.
const withMetadata = (o: { prefix: string; limit: number; cursor?: string }) => ({ ...o, include: ["customMetadata"] }) as R2ListOptions;
const recordKey = (id: string) => `${RECORD}${id}.json`;
const timeKey = (id: string, received: string) => `${BY_TIME}${received}-${id}`;
const inverted = (received: string) => String(TIME_CEILING - Date.parse(received)).padStart(13, "0");
const rejectedKey = (id: string, received: string) => `${REJECTED}${inverted(received)}-${id}`;
const publishedKey = (id: string, received: string) => `${PUBLISHED}${inverted(received)}-${id}`;
const indexKeys = (id: string, received: string) => [timeKey(id, received), rejectedKey(id, received), publishedKey(id, received)];
/** Custom metadata is capped at 2 KiB per object: keep the summary's reason short. */
const clip = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export class UploadStore {
  /**
   * When each record this store read or wrote was last written (R2's clock). A record is written
   * again soon after (queued by the webhook, decided by the consumer a moment later), and R2 takes
   * one write a second per key: `put` waits for the slot.
   */
  private readonly written = new Map<string, Date>();

  constructor(
    readonly bucket: R2Bucket,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(id: string): Promise<UploadRecord | null> {
    const object = await this.bucket.get(recordKey(id));
    if (!object) return null;
    this.written.set(id, object.uploaded);
    return (await object.json()) as UploadRecord;
  }

  async delete(id: string): Promise<void> {
    const record = await this.get(id);
    await this.bucket.delete([recordKey(id), ...(record ? indexKeys(id, record.received) : [])]);
  }

  /** Stores the record, and indexes it: by time when it is first stored, as a rejection when it is one. */
  async put(record: UploadRecord): Promise<void> {
    const last = this.written.get(record.id);
    if (last) await waitForWriteSlot(last, this.clock());
    const writes: Promise<unknown>[] = [
      this.bucket.put(recordKey(record.id), JSON.stringify(record), {
        httpMetadata: { contentType: "application/json" },
        customMetadata: { state: record.state, received: record.received },
      }),
    ];
    // A record is first stored queued (webhook, import, admin file) or, from an R2 event, decided.
    if (record.state === "queued" || record.id.startsWith("r2-")) writes.push(this.bucket.put(timeKey(record.id, record.received), ""));
    const first = record.rejected?.[0];
    if (record.state !== "queued" && first) {
      const summary: Record<string, string> = {
        id: record.id,
        received: record.received,
        rejectedAt: new Date(this.clock()).toISOString(),
        count: String(record.rejected!.length),
        path: clip(first.path, 600),
        reason: clip(first.reason),
        partial: String(record.state === "published"),
      };
      writes.push(this.bucket.put(rejectedKey(record.id, record.received), "", { customMetadata: summary }));
    }
    if (record.state === "published" && record.published) {
      const summary = { id: record.id, received: record.received, published: record.published, targets: String(record.request.targets.length) };
      writes.push(this.bucket.put(publishedKey(record.id, record.received), "", { customMetadata: summary }));
    }
    try {
      const [stored] = await Promise.all(writes);
      this.written.set(record.id, (stored as R2Object).uploaded);
    } catch (e) {
      // A put that failed may still have landed (a lost answer): the next one waits as if it had.
      this.written.set(record.id, new Date(this.clock()));
      throw e;
    }
  }

  /** The latest published uploads, newest first (by the time they were received): one list call. */
  async recentlyPublished(limit = 1000): Promise<PublishedSummary[]> {
    const listed = await this.bucket.list(withMetadata({ prefix: PUBLISHED, limit }));
    return listed.objects.map(({ customMetadata: m = {} }) => ({
      id: m.id ?? "",
      received: m.received ?? "",
      published: m.published ?? "",
      targets: Number(m.targets ?? 0),
    }));
  }

  /** Rejections, newest first (by the time the upload was received), `limit` at a time. */
  async rejections(limit: number, cursor?: string): Promise<{ rejections: RejectionSummary[]; cursor?: string }> {
    const listed = await this.bucket.list(withMetadata({ prefix: REJECTED, limit, ...(cursor ? { cursor } : {}) }));
    const rejections = listed.objects.map((o) => summaryOf(o.customMetadata ?? {}));
    return listed.truncated ? { rejections, cursor: listed.cursor } : { rejections };
  }

  /** Rejections recorded after `since` (ISO) are warned about until acknowledged up to a time. */
  async acknowledged(): Promise<string | null> {
    const object = await this.bucket.get(ACKNOWLEDGED);
    return object ? ((await object.json()) as { until: string }).until : null;
  }

  async acknowledge(until: string): Promise<void> {
    await this.bucket.put(ACKNOWLEDGED, JSON.stringify({ until }), { httpMetadata: { contentType: "application/json" } });
  }

  /**
   * Retention: deletes records received before `before` (ISO), oldest first, at most `limit` per
   * call, with their index entries: one list call, then 4 keys a record deleted, 1,000 a call (R2's bound).
   * A record still queued that long is long dead: its queue message gave up after 10 attempts.
   */
  async sweep(before: string, limit = 250): Promise<{ deleted: number; more: boolean }> {
    const listed = await this.bucket.list({ prefix: BY_TIME, limit });
    const keys: string[] = [];
    let deleted = 0;
    for (const { key } of listed.objects) {
      // `<ISO time>-<id>`, where an id may hold a dash itself (`r2-…`).
      const m = /^(.+Z)-((?:r2-)?[0-9a-f]{32})$/.exec(key.slice(BY_TIME.length));
      if (m && m[1]! >= before) break;
      // indexKeys names `key` itself (the by-time entry) again: each key once.
      keys.push(...(m ? [recordKey(m[2]!), ...indexKeys(m[2]!, m[1]!)] : [key]));
      deleted++;
    }
    // Four keys a record: more than one R2 delete call takes at the default limit of 250.
    await deleteKeys(this.bucket, keys);
    return { deleted, more: deleted === listed.objects.length && listed.truncated };
  }
}

function summaryOf(m: Record<string, string>): RejectionSummary {
  return {
    id: m.id ?? "",
    received: m.received ?? "",
    rejectedAt: m.rejectedAt ?? "",
    count: Number(m.count ?? 0),
    path: m.path ?? "",
    reason: m.reason ?? "",
    partial: m.partial === "true",
  };
}

/** Upload ids: 128 random bits, hex; the only ids GET /v1/uploads/{id} looks up. */
export const newUploadId = (): string => [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
export const isUploadId = (id: string): boolean => /^(r2-)?[0-9a-f]{32}$/.test(id);

/** The id of the upload an R2 object-created event becomes: one per stored object version. */
export async function r2UploadId(key: string, etag: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${key}\n${etag}`)));
  return `r2-${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 32)}`;
}
