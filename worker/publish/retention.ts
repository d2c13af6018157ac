import type { Config } from "../env.js";
import { type MetadataStore, metadataKey } from "../storage/metadata-store.js";
import { contentKey } from "../storage/content.js";
import { type RepoState, loadState, readBin, roleVersion } from "./state.js";

/**
 * Retention (tuf-interop.md, "Consistent snapshots and retention"): superseded versions of snapshot,
 * targets and bins stay readable for RETENTION_SECONDS after they stop being current, then go.
 *
 * Every commit leaves a record, `state/gc/<timestamp version>.json`, of the files it superseded
 * (reachable from the previous timestamp, not from the new one). The cron deletes the files of a
 * record once it is older than the retention and a later timestamp is current, so nothing the current
 * or the previous timestamp reaches is ever deleted. Files no record names (written by an attempt
 * that crashed or lost the race, or superseded by a commit whose record was not written) are found
 * by a slow sweep over the whole bucket. Roots are never deleted.
 */

const GC_PREFIX = "state/gc/";
const recordKey = (timestampVersion: number) => `${GC_PREFIX}${String(timestampVersion).padStart(16, "0")}.json`;
const recordVersion = (key: string) => Number(key.slice(GC_PREFIX.length, -".json".length));

/** An attempt writes its files and swaps the timestamp within one invocation (15 minutes of wall time at most). */
export const ATTEMPT_SLACK = 15 * 60_000;

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

const log = (event: string, fields: Record<string, unknown>) => console.log(JSON.stringify({ event, ...fields }));

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
    log("gc-record-failed", { timestamp: record.timestampVersion, error: (e as Error).message });
  }
}

/** The last `count` commits up to timestamp version `current`, newest first: one list call. */
export async function recentCommits(bucket: R2Bucket, current: number, count = 20): Promise<CommitSummary[]> {
  const from = current - count;
  // `include` is honoured since compatibility date 2022-08-04; the default types predate it.
  const options = { prefix: GC_PREFIX, limit: count, include: ["customMetadata"], ...(from > 0 ? { startAfter: recordKey(from) } : {}) };
  const listed = await bucket.list(options as R2ListOptions);
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

async function readRecord(bucket: R2Bucket, key: string): Promise<CommitRecord | null> {
  const object = await bucket.get(key);
  return object ? ((await object.json()) as CommitRecord) : null;
}

const VERSIONED = /^([1-9][0-9]{0,15})\.(.+)\.json$/;

/** The version of `role` the current timestamp reaches; null for a role the current snapshot does not list. */
function currentVersion(state: RepoState, role: string): number | null {
  if (role === "snapshot") return state.timestamp.signed.snapshotMeta.version;
  return state.snapshot.signed.meta.get(`${role}.json`)?.version ?? null;
}

/** A versioned file that may be deleted if old enough: not a root, not the timestamp, and older than the current version of its role. */
function superseded(state: RepoState, name: string): { role: string; current: number } | null {
  const m = VERSIONED.exec(name);
  if (!m || m[2] === "root") return null;
  const role = m[2]!;
  const current = currentVersion(state, role);
  return current !== null && Number(m[1]) < current ? { role, current } : null;
}

export interface SweepLimits {
  /** Files deleted per run (a single record may exceed it, up to one commit's worth). */
  readonly deletes: number;
  /** Records read per run. */
  readonly records: number;
  /** List calls of the orphan sweep per run (1,000 keys each), and head calls it may make. */
  readonly orphanPages: number;
  readonly orphanHeads: number;
}

export const SWEEP_LIMITS: SweepLimits = { deletes: 2000, records: 500, orphanPages: 2, orphanHeads: 100 };

export interface SweepReport {
  /** Records whose files were deleted, and the files deleted for them. */
  readonly records: number;
  readonly deleted: number;
  /** Files a record named that were current after all (kept). */
  readonly kept: number;
  /** More records are due than one run may handle. */
  readonly backlog: boolean;
  readonly orphans: { readonly scanned: number; readonly deleted: number; readonly cursor: string; readonly skipped?: string };
}

/**
 * The superseded bytes that may go: those that their path holds neither in the current state nor in
 * the previous timestamp's (a page can come back to earlier bytes: a yank undone, say). `previous`
 * names the files the current commit superseded, so the bin versions the previous timestamp reached.
 */
async function supersededContent(store: MetadataStore, state: RepoState, items: readonly SupersededContent[], previous: readonly string[]) {
  const out: string[] = [];
  for (const { path, sha256 } of items) {
    const bin = state.bins.binFor(path);
    const versions = [roleVersion(state, bin), ...previous.filter((f) => f.endsWith(`.${bin}.json`)).map((f) => Number(f.split(".")[0]))];
    let held = false;
    for (const v of versions) if ((await readBin(store, bin, v)).targets.file(path)?.hashes.sha256 === sha256) held = true;
    if (!held) out.push(sha256);
  }
  return out;
}

/** Deletes keys in calls of at most 1,000 (R2's bound per delete call). */
async function deleteKeys(bucket: R2Bucket, keys: readonly string[]) {
  for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
}

/** One bounded retention pass: due records first, then a slice of the orphan sweep from `orphanCursor`. */
export async function sweep(store: MetadataStore, config: Pick<Config, "retention">, now: number, orphanCursor: string, limits = SWEEP_LIMITS): Promise<SweepReport> {
  const state = await loadState(store);
  const none = { records: 0, deleted: 0, kept: 0, backlog: false };
  if (!state) return { ...none, orphans: { scanned: 0, deleted: 0, cursor: "", skipped: "nothing is published" } };
  const bucket = store.bucket;
  const current = state.timestamp.signed.version;

  // 1. Records of commits older than the retention and older than the current one.
  const previous = (await readRecord(bucket, recordKey(current)))?.files ?? [];
  let records = 0, deleted = 0, kept = 0, backlog = false, read = 0;
  const done: string[] = [];
  let startAfter: string | undefined;
  scan: for (;;) {
    const page = await bucket.list({ prefix: GC_PREFIX, limit: 100, ...(startAfter ? { startAfter } : {}) });
    for (const object of page.objects) {
      if (recordVersion(object.key) >= current) break scan;
      if (read >= limits.records) { backlog = true; break scan; }
      read++;
      const record = await readRecord(bucket, object.key);
      if (record && Date.parse(record.committedAt) + config.retention > now) break scan;
      // Double check against the current state: never a root, never anything current.
      const files = (record?.files ?? []).filter((name) => superseded(state, name));
      if (deleted > 0 && deleted + files.length > limits.deletes) { backlog = true; break scan; }
      const content = await supersededContent(store, state, record?.content ?? [], previous);
      await deleteKeys(bucket, [...files.map(metadataKey), ...content.map(contentKey)]);
      deleted += files.length + content.length;
      kept += (record?.files.length ?? 0) - files.length;
      records++;
      done.push(object.key);
    }
    if (!page.truncated) break;
    startAfter = page.objects.at(-1)?.key;
  }
  await deleteKeys(bucket, done);

  const orphans = await sweepOrphans(store, state, config.retention, now, orphanCursor, { ...limits, deletes: Math.max(0, limits.deletes - deleted) });
  return { records, deleted, kept, backlog, orphans };
}

/**
 * A slice of the full sweep: versioned files below their role's current version that no record
 * names. A file older than the current version was superseded no later than that version was
 * committed, that is within ATTEMPT_SLACK of the current file's upload; so once the current file
 * is older than retention plus that slack, the old one has been superseded for longer than the
 * retention. What the previous timestamp reaches (the current commit's record) is kept regardless.
 */
async function sweepOrphans(store: MetadataStore, state: RepoState, retention: number, now: number, cursor: string, limits: SweepLimits) {
  const bucket = store.bucket;
  const record = await readRecord(bucket, recordKey(state.timestamp.signed.version));
  // Without the current commit's record we cannot tell what the previous timestamp reaches.
  if (!record && state.timestamp.signed.version > 1) return { scanned: 0, deleted: 0, cursor, skipped: "no record of the current commit" };
  const previous = new Set(record?.files ?? []);
  const currentUploaded = new Map<string, number>();
  let heads = 0, scanned = 0;
  const doomed: string[] = [];
  let next = cursor;
  pages: for (let page = 0; page < limits.orphanPages; page++) {
    const listed = await bucket.list({ prefix: metadataKey(""), limit: 1000, ...(next ? { startAfter: next } : {}) });
    for (const object of listed.objects) {
      const name = object.key.slice(metadataKey("").length);
      const old = superseded(state, name);
      if (old && object.uploaded.getTime() + retention <= now && !previous.has(name)) {
        const currentName = `${old.current}.${old.role}.json`;
        let uploaded = currentUploaded.get(currentName);
        if (uploaded === undefined) {
          if (heads >= limits.orphanHeads || doomed.length >= limits.deletes) break pages;
          heads++;
          uploaded = (await bucket.head(metadataKey(currentName)))?.uploaded.getTime() ?? now;
          currentUploaded.set(currentName, uploaded);
        }
        if (uploaded + retention + ATTEMPT_SLACK <= now) doomed.push(name);
      }
      scanned++;
      next = object.key;
      if (doomed.length >= limits.deletes) break pages;
    }
    if (!listed.truncated) {
      next = "";
      break;
    }
  }
  await deleteKeys(bucket, doomed.map(metadataKey));
  return { scanned, deleted: doomed.length, cursor: next };
}
