import { TargetFile } from "../../shared/metadata/files.js";
import type { UploadTarget } from "../../shared/upload.js";
import type { TargetRejection } from "../storage/uploads.js";
import { BIN_CONCURRENCY, type BinChange, type Committed, type PublishContext, commit, mapBounded } from "./commit.js";
import { type RepoState, readBin, roleVersion } from "./state.js";

export interface Upload {
  readonly id: string;
  readonly targets: readonly UploadTarget[];
  readonly remove: readonly string[];
  /** False for bulk imports: a conflicting target is rejected alone. Default true. */
  readonly atomic?: boolean;
}

export type UploadOutcome =
  | { readonly state: "published"; readonly snapshotVersion: number; readonly rejected?: readonly TargetRejection[] }
  | { readonly state: "rejected"; readonly rejected: readonly TargetRejection[] };

const CONFLICT = "already published with a different length or hashes (files are immutable; remove it first)";

/** The bins an upload touches: its cost in reads and writes. */
export const binsOf = (upload: Upload, binFor: (path: string) => string): Set<string> =>
  new Set([...upload.targets.map((t) => t.path), ...upload.remove].map(binFor));

/** The bin of every path the uploads name, hashed once (SHA-256 per path is a commit's main CPU cost). */
function binsByPath(uploads: readonly Upload[], binFor: (path: string) => string): Map<string, string> {
  const bins = new Map<string, string>();
  for (const u of uploads) {
    for (const t of u.targets) if (!bins.has(t.path)) bins.set(t.path, binFor(t.path));
    for (const path of u.remove) if (!bins.has(path)) bins.set(path, binFor(path));
  }
  return bins;
}

/** What each touched path holds now: one read per touched bin, keeping only the touched entries. */
async function publishedEntries(ctx: PublishContext, state: RepoState, binOf: ReadonlyMap<string, string>) {
  const pathsByBin = new Map<string, string[]>();
  for (const [path, bin] of binOf) (pathsByBin.get(bin) ?? pathsByBin.set(bin, []).get(bin)!).push(path);
  const published = new Map<string, TargetFile>();
  await mapBounded([...pathsByBin], BIN_CONCURRENCY, async ([bin, paths]) => {
    const role = await readBin(ctx.store, bin, roleVersion(state, bin));
    for (const path of paths) {
      const file = role.targets.file(path);
      if (file) published.set(path, file);
    }
  });
  return published;
}

/**
 * Decides each upload in order against the published state and the uploads accepted before it.
 * An upload is all or nothing: one conflicting target rejects it whole. Re-publishing the same
 * file is a no-op (invariant 5), so a re-delivered upload changes nothing.
 */
function decide(uploads: readonly Upload[], published: ReadonlyMap<string, TargetFile>) {
  const next = new Map<string, TargetFile | null>(); // path → new file, or null for removed
  const current = (path: string) => (next.has(path) ? next.get(path) : published.get(path)) ?? null;
  const rejected = new Map<string, TargetRejection[]>();
  for (const u of uploads) {
    const files = u.targets.map((t) => ({ path: t.path, file: new TargetFile(t.length, t.hashes, t.custom) }));
    const conflicts = files.filter(({ path, file }) => {
      const existing = current(path);
      return existing !== null && !existing.sameFileAs(file);
    });
    if (conflicts.length) {
      rejected.set(u.id, conflicts.map(({ path }) => ({ path, reason: CONFLICT })));
      if (u.atomic !== false) continue;
    }
    for (const { path, file } of files) if (current(path) === null) next.set(path, file);
    for (const path of u.remove) next.set(path, null);
  }
  return { next, rejected };
}

/** The changes per bin: every path whose decided file differs from the published one. */
function binEdits(binOf: ReadonlyMap<string, string>, next: ReadonlyMap<string, TargetFile | null>, published: ReadonlyMap<string, TargetFile>) {
  const edits = new Map<string, BinChange[]>();
  for (const [path, file] of next) {
    const before = published.get(path);
    if (file === null ? !before : before?.sameFileAs(file)) continue;
    const bin = binOf.get(path)!;
    (edits.get(bin) ?? edits.set(bin, []).get(bin)!).push({ path, file });
  }
  return edits;
}

/** Publishes a batch of uploads in one commit: every accepted upload lands in the same snapshot. */
export async function publishUploads(ctx: PublishContext, uploads: readonly Upload[]) {
  const outcome = await commit(ctx, async (state) => {
    const binOf = binsByPath(uploads, (path) => state.bins.binFor(path));
    const published = await publishedEntries(ctx, state, binOf);
    const { next, rejected } = decide(uploads, published);
    return { plan: { bins: binEdits(binOf, next, published) }, decision: rejected };
  });
  const snapshotVersion = outcome.committed?.snapshotVersion ?? outcome.state.timestamp.signed.snapshotMeta.version;
  const results = new Map<string, UploadOutcome>();
  for (const u of uploads) {
    const rejected = outcome.decision.get(u.id);
    if (!rejected) results.set(u.id, { state: "published", snapshotVersion });
    else if (u.atomic === false) results.set(u.id, { state: "published", snapshotVersion, rejected });
    else results.set(u.id, { state: "rejected", rejected });
  }
  return { results, committed: outcome.committed as Committed | null };
}
