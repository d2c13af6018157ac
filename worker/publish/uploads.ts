import { readRemovals, serialOf } from "../../shared/mutable.js";
import { pathsOf } from "../../shared/upload.js";
import type { ContentStore } from "../storage/content.js";
import { PackageStore } from "../storage/packages.js";
import { type RepoState, readBin, roleVersion } from "../storage/repository.js";
import { BIN_CONCURRENCY, type BinChange, type Committed, type PublishContext, commit, mapBounded } from "./commit.js";
import { type Change, type PathView, type Upload, type UploadDecision, decideUploads } from "./decide.js";
import { type PagesMode, companionPaths, modeRefusal, pageChanges } from "./pages.js";

export type { Upload } from "./decide.js";

/** Where an upload's hashes come from: claimed by the webhook, computed from the packages bucket, or an admin import. */
export type UploadSource = "webhook" | "bucket" | "import";

export interface UploadContext extends PublishContext {
  /** The PACKAGES bucket (storage/packages.ts). */
  readonly packages: R2Bucket;
  readonly content: ContentStore;
  readonly pagesMode: PagesMode;
}

export interface SourcedUpload extends Upload {
  readonly source: UploadSource;
}

export type UploadOutcome = UploadDecision & { readonly snapshotVersion: number };

/**
 * Targets refused before any decision, by upload id and path: what the mode does not accept, a
 * serial-numbered target whose bytes tuf-edge does not hold, and a webhook claim that the packages
 * bucket's bytes contradict (security review, finding 5: the bucket's bytes win).
 */
async function refusals(ctx: UploadContext, uploads: readonly SourcedUpload[]) {
  const refused = new Map<string, Map<string, string>>();
  const refuse = (u: Upload, path: string, reason: string) => (refused.get(u.id) ?? refused.set(u.id, new Map()).get(u.id)!).set(path, reason);
  const checks: (() => Promise<void>)[] = [];
  const packages = new PackageStore(ctx.packages);
  for (const u of uploads) {
    for (const r of u.remove) {
      const why = modeRefusal(ctx.pagesMode, r.path, r.serial, false);
      if (why && r.path.startsWith("simple/")) refuse(u, r.path, why);
    }
    for (const t of u.targets) {
      const why = modeRefusal(ctx.pagesMode, t.path, t.serial, u.source === "bucket");
      if (why) {
        refuse(u, t.path, why);
      } else if (t.serial !== undefined) {
        checks.push(async () => {
          const held = await ctx.content.head(t.hashes.sha256!);
          if (!held) refuse(u, t.path, `its bytes are not stored: PUT /v1/content/${t.hashes.sha256} first`);
          else if (held.length !== t.length) refuse(u, t.path, `the stored bytes of ${t.hashes.sha256} are ${held.length} long, not ${t.length}`);
        });
      } else if (u.source === "webhook") {
        checks.push(async () => {
          // Most webhook targets are not in the bucket: a HEAD answers that; only a stored object is read.
          if (!(await packages.exists(t.path))) return;
          const stored = await packages.hash(t.path);
          if (stored && (stored.length !== t.length || stored.sha256 !== t.hashes.sha256)) {
            refuse(u, t.path, `the packages bucket holds other bytes at this path (length ${stored.length}, sha256 ${stored.sha256})`);
          }
        });
      }
    }
  }
  await mapBounded(checks, BIN_CONCURRENCY, (check) => check());
  return refused;
}

/** What each path holds in the published state: one read per touched bin. */
async function loadPaths(ctx: PublishContext, state: RepoState, paths: Iterable<string>) {
  const byBin = new Map<string, string[]>();
  for (const path of paths) {
    const bin = state.bins.binFor(path);
    (byBin.get(bin) ?? byBin.set(bin, []).get(bin)!).push(path);
  }
  const view = new Map<string, PathView>();
  const binBytes = new Map<string, number>();
  await mapBounded([...byBin], BIN_CONCURRENCY, async ([bin, list]) => {
    const { head, targets } = await readBin(ctx.store, bin, roleVersion(state, bin));
    // The entries' size, plus the head and removal records (an estimate well inside the bound's margin).
    binBytes.set(bin, targets.length + JSON.stringify(head.extra).length + 300);
    const removals = readRemovals(head.extra);
    for (const path of list) view.set(path, { bin, current: targets.file(path) ?? null, removed: removals.get(path) ?? null });
  });
  return { view, binBytes };
}

/** Each changed bin's list of changes (removals carry what the bin remembers of them). */
function binEdits(view: ReadonlyMap<string, PathView>, changes: ReadonlyMap<string, Change>) {
  const edits = new Map<string, BinChange[]>();
  for (const [path, { file, removal }] of changes) {
    const bin = view.get(path)!.bin;
    (edits.get(bin) ?? edits.set(bin, []).get(bin)!).push({ path, file, ...(removal && { removal }) });
  }
  return edits;
}

/** The bytes of serial-numbered targets that the changes replace or remove (retention deletes them later). */
function supersededContent(view: ReadonlyMap<string, PathView>, changes: ReadonlyMap<string, Change>) {
  const out: { path: string; sha256: string }[] = [];
  for (const [path, change] of changes) {
    const current = view.get(path)!.current;
    if (current && serialOf(current) !== undefined && current.hashes.sha256 !== change.file?.hashes.sha256) {
      out.push({ path, sha256: current.hashes.sha256! });
    }
  }
  return out;
}

/**
 * Publishes a batch of uploads in one commit: every accepted upload lands in the same snapshot,
 * with the pages of the projects it touches (render mode). Load, decide (pure), write.
 */
export async function publishUploads(ctx: UploadContext, uploads: readonly SourcedUpload[]) {
  const refused = await refusals(ctx, uploads);
  // Bulk imports back-sign files as they are; releases (webhook, bucket) re-render their pages.
  const rendered = ctx.pagesMode === "render" ? new Set(uploads.filter((u) => u.source !== "import").flatMap(pathsOf)) : new Set<string>();
  const paths = new Set([...uploads.flatMap(pathsOf), ...companionPaths(rendered)]);
  const outcome = await commit(ctx, async (state) => {
    const { view, binBytes } = await loadPaths(ctx, state, paths);
    const { changes, decisions } = decideUploads({ uploads, view, binBytes, refused });
    const releases = new Map([...changes].filter(([path]) => rendered.has(path)));
    for (const [path, change] of await pageChanges(ctx.content, view, releases, ctx.clock())) changes.set(path, change);
    return { plan: { bins: binEdits(view, changes), supersededContent: supersededContent(view, changes) }, decision: decisions };
  });
  const snapshotVersion = outcome.committed?.snapshotVersion ?? outcome.state.timestamp.signed.snapshotMeta.version;
  const results = new Map<string, UploadOutcome>();
  for (const [id, decision] of outcome.decision) results.set(id, { ...decision, snapshotVersion });
  return { results, committed: outcome.committed as Committed | null };
}
