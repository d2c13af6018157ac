import type { Config } from "../env.js";
import { type SupersededContent, deleteCommits, readCommit, recordedCommits } from "../storage/commits.js";
import { ContentStore } from "../storage/content.js";
import type { SweepReport } from "../storage/cron-state.js";
import type { MetadataStore } from "../storage/metadata-store.js";
import { type RepoState, loadState, readBin, roleVersion } from "../storage/repository.js";

/**
 * Retention (tuf-interop.md, "Consistent snapshots and retention"): superseded versions of snapshot,
 * targets and bins stay readable for RETENTION_SECONDS after they stop being current, then go.
 *
 * Every commit leaves a record of the files it superseded (storage/commits.ts: reachable from the
 * previous timestamp, not from the new one). The cron deletes the files of a record once it is
 * older than the retention and a later timestamp is current, so nothing the current or the previous
 * timestamp reaches is ever deleted. Files no record names (written by an attempt that crashed or
 * lost the race, or superseded by a commit whose record was not written) are found by a slow sweep
 * over the whole bucket. Roots are never deleted.
 */

/** An attempt writes its files and swaps the timestamp within one invocation (15 minutes of wall time at most). */
export const ATTEMPT_SLACK = 15 * 60_000;

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

/**
 * The superseded bytes that may go: those that their path holds neither in the current state nor in
 * the previous timestamp's (a page can come back to earlier bytes: a yank undone, say). `previous`
 * names the files the current commit superseded, so the bin versions the previous timestamp reached.
 */
async function supersededContent(store: MetadataStore, state: RepoState, items: readonly SupersededContent[], previous: readonly string[]) {
  const out: SupersededContent[] = [];
  for (const { path, sha256 } of items) {
    const bin = state.bins.binFor(path);
    const versions = [roleVersion(state, bin), ...previous.filter((f) => f.endsWith(`.${bin}.json`)).map((f) => Number(f.split(".")[0]))];
    let held = false;
    for (const v of versions) if ((await readBin(store, bin, v)).targets.file(path)?.hashes.sha256 === sha256) held = true;
    if (!held) out.push({ path, sha256 });
  }
  return out;
}

/** One bounded retention pass: due records first, then a slice of the orphan sweep from `orphanCursor`. */
export async function sweep(store: MetadataStore, config: Pick<Config, "retention">, now: number, orphanCursor: string, limits = SWEEP_LIMITS): Promise<SweepReport> {
  const state = await loadState(store);
  const none = { records: 0, deleted: 0, kept: 0, backlog: false };
  if (!state) return { ...none, orphans: { scanned: 0, deleted: 0, cursor: "", skipped: "nothing is published" } };
  const current = state.timestamp.signed.version;

  // 1. Records of commits older than the retention and older than the current one.
  const previous = (await readCommit(store, current))?.files ?? [];
  const content = new ContentStore(store.bucket);
  let records = 0, deleted = 0, kept = 0, backlog = false, read = 0;
  const done: number[] = [];
  let after: number | null = null;
  scan: for (;;) {
    const page = await recordedCommits(store, after, 100);
    for (const version of page.versions) {
      if (version >= current) break scan;
      if (read >= limits.records) { backlog = true; break scan; }
      read++;
      const record = await readCommit(store, version);
      if (record && Date.parse(record.committedAt) + config.retention > now) break scan;
      // Double check against the current state: never a root, never anything current.
      const files = (record?.files ?? []).filter((name) => superseded(state, name));
      if (deleted > 0 && deleted + files.length > limits.deletes) { backlog = true; break scan; }
      const pages = await supersededContent(store, state, record?.content ?? [], previous);
      await store.delete(files);
      await content.deleteAt(pages);
      deleted += files.length + pages.length;
      kept += (record?.files.length ?? 0) - files.length;
      records++;
      done.push(version);
    }
    if (!page.more) break;
    after = page.versions.at(-1) ?? null;
  }
  await deleteCommits(store, done);

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
  const record = await readCommit(store, state.timestamp.signed.version);
  // Without the current commit's record we cannot tell what the previous timestamp reaches.
  if (!record && state.timestamp.signed.version > 1) return { scanned: 0, deleted: 0, cursor, skipped: "no record of the current commit" };
  const previous = new Set(record?.files ?? []);
  const currentUploaded = new Map<string, number>();
  let heads = 0, scanned = 0;
  const doomed: string[] = [];
  let next = cursor;
  pages: for (let page = 0; page < limits.orphanPages; page++) {
    const listed = await store.list(next, 1000);
    for (const { name, uploaded: written } of listed.files) {
      const old = superseded(state, name);
      if (old && written.getTime() + retention <= now && !previous.has(name)) {
        const currentName = `${old.current}.${old.role}.json`;
        let uploaded = currentUploaded.get(currentName);
        if (uploaded === undefined) {
          if (heads >= limits.orphanHeads || doomed.length >= limits.deletes) break pages;
          heads++;
          uploaded = (await store.uploaded(currentName))?.getTime() ?? now;
          currentUploaded.set(currentName, uploaded);
        }
        if (uploaded + retention + ATTEMPT_SLACK <= now) doomed.push(name);
      }
      scanned++;
      next = name;
      if (doomed.length >= limits.deletes) break pages;
    }
    if (!listed.more) {
      next = "";
      break;
    }
  }
  await store.delete(doomed);
  return { scanned, deleted: doomed.length, cursor: next };
}
