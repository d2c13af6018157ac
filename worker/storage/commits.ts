import { deleteKeys } from "./delete-keys.js";
import type { MetadataStore } from "./metadata-store.js";

/**
 * Every commit leaves a record, `state/gc/<timestamp version>.json`, of the files it superseded
 * (reachable from the previous timestamp, not from the new one): what retention deletes once they are
 * old enough (worker/publish/retention.ts), and what status shows as the recent commits.
 */
const PREFIX = "state/gc/";
const recordKey = (timestampVersion: number) => `${PREFIX}${String(timestampVersion).padStart(16, "0")}.json`;
const recordVersion = (key: string) => Number(key.slice(PREFIX.length, -".json".length));

export interface CommitRecord {
  readonly timestampVersion: number;
  readonly snapshotVersion: number;
  readonly committedAt: string;
  /** "renewal" for the cron, "publish" otherwise. */
  readonly reason: string;
  /** Bins this commit re-signed. */
  readonly bins: number;
  /** Files this commit superseded. */
  readonly files: readonly string[];
  /** Bytes of mutable targets (simple pages) this commit superseded, by the path that held them. */
  readonly content?: readonly SupersededContent[];
  /** The largest bin it wrote (status warns when bins grow abnormally). */
  readonly largestBin?: { readonly name: string; readonly bytes: number };
}

export interface SupersededContent {
  readonly path: string;
  readonly sha256: string;
}

export type CommitSummary = Omit<CommitRecord, "files" | "content"> & { readonly superseded: number };

/** Called right after a successful commit. A failure is logged, never thrown: the commit stands, and the orphan sweep finds what the record would have named. */
export async function recordCommit(store: MetadataStore, record: CommitRecord): Promise<void> {
  try {
    await store.bucket.put(recordKey(record.timestampVersion), JSON.stringify(record), {
      httpMetadata: { contentType: "application/json" },
      customMetadata: {
        committedAt: record.committedAt,
        reason: record.reason,
        snapshotVersion: String(record.snapshotVersion),
        bins: String(record.bins),
        superseded: String(record.files.length),
        ...(record.largestBin && { largestBin: `${record.largestBin.name}:${record.largestBin.bytes}` }),
      },
    });
  } catch (e) {
    console.log(JSON.stringify({ event: "gc-record-failed", timestamp: record.timestampVersion, error: (e as Error).message }));
  }
}

/** The last `count` commits up to timestamp version `current`, newest first: one list call. */
export async function recentCommits(store: MetadataStore, current: number, count = 20): Promise<CommitSummary[]> {
  const from = current - count;
  // `include` is honoured since compatibility date 2022-08-04; the default types predate it.
  const options = { prefix: PREFIX, limit: count, include: ["customMetadata"], ...(from > 0 ? { startAfter: recordKey(from) } : {}) };
  const listed = await store.bucket.list(options as R2ListOptions);
  return listed.objects
    .map((o) => {
      const m = o.customMetadata ?? {};
      return {
        timestampVersion: recordVersion(o.key),
        snapshotVersion: Number(m.snapshotVersion),
        committedAt: m.committedAt ?? o.uploaded.toISOString(),
        reason: m.reason ?? "publish",
        bins: Number(m.bins ?? 0),
        superseded: Number(m.superseded ?? 0),
        ...(m.largestBin && { largestBin: { name: m.largestBin.split(":")[0]!, bytes: Number(m.largestBin.split(":")[1]) } }),
      };
    })
    .reverse();
}

export async function readCommit(store: MetadataStore, timestampVersion: number): Promise<CommitRecord | null> {
  const object = await store.bucket.get(recordKey(timestampVersion));
  return object ? ((await object.json()) as CommitRecord) : null;
}

/** Timestamp versions that have a record, oldest first, `limit` after `after` (a page; `more` when others follow). */
export async function recordedCommits(store: MetadataStore, after: number | null, limit: number): Promise<{ versions: number[]; more: boolean }> {
  const page = await store.bucket.list({ prefix: PREFIX, limit, ...(after !== null ? { startAfter: recordKey(after) } : {}) });
  return { versions: page.objects.map((o) => recordVersion(o.key)), more: page.truncated };
}

/** Deletes the records of these commits. */
export const deleteCommits = (store: MetadataStore, timestampVersions: readonly number[]): Promise<void> =>
  deleteKeys(store.bucket, timestampVersions.map(recordKey));
