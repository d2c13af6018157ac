import { readRemovals, serialOf } from "../../shared/mutable.js";
import { type UploadTarget, pathsOf } from "../../shared/upload.js";
import type { ContentStore } from "../storage/content.js";
import { PackageStore, claimRefusal } from "../storage/packages.js";
import type { MetadataStore } from "../storage/metadata-store.js";
import { recordProjectPages } from "../storage/projects.js";
import { claimCovering } from "../storage/claims.js";
import { type RepoState, readBin, roleVersion } from "../storage/repository.js";
import type { BinViews, ContentAt, ViewsOfBins } from "./bin-work.js";
import { BIN_CONCURRENCY, mapBounded } from "./bounded.js";
import { type BinChange, type Committed, type PublishContext, commit } from "./commit.js";
import { type Change, type PathView, type SourcedUpload, type Upload, type UploadDecision, decideUploads, removalBytes } from "./decide.js";
import type { TargetFile } from "../../shared/metadata/files.js";
import { companionPaths, pageTargetPaths, projectOf } from "../../shared/simple/index.js";
import { inspectReleases } from "./dists.js";
import { PageEdits, type PagesMode, loadPages, modeRefusal } from "./pages.js";

export type { SourcedUpload, Upload, UploadSource } from "./decide.js";

export interface UploadContext extends PublishContext {
  /** The PACKAGES bucket (storage/packages.ts). */
  readonly packages: R2Bucket;
  readonly content: ContentStore;
  readonly pagesMode: PagesMode;
}

export type UploadOutcome = UploadDecision & { readonly snapshotVersion: number };

/**
 * In PEP 480's layout, a claimed project's files are its maintainers' to sign: clients would never
 * look for them in a bin (invariant 30), so the online key does not publish them there. Checked on
 * the state being committed, ahead of the other refusals (its reason is the one an upload shows).
 */
async function withClaimRefusals(ctx: UploadContext, state: RepoState, uploads: readonly Upload[], refused: ReadonlyMap<string, ReadonlyMap<string, string>>) {
  if (!state.recentlyClaimed) return refused;
  const out = new Map(refused);
  for (const u of uploads) {
    const mine = new Map<string, string>();
    for (const path of pathsOf(u)) {
      const claim = await claimCovering(ctx.store, state, path);
      if (claim) mine.set(path, `is within the claim ${claim}: its maintainers publish it by pushing their signed role (POST /v1/projects/{project}/role)`);
    }
    if (mine.size === 0) continue;
    for (const [path, why] of refused.get(u.id) ?? []) if (!mine.has(path)) mine.set(path, why);
    out.set(u.id, mine);
  }
  return out;
}

/**
 * Targets refused before any decision, by upload id and path: what the mode does not accept, a
 * serial-numbered target whose bytes tuf-edge does not hold, and a webhook claim that the packages
 * bucket's bytes contradict (security review, finding 5: the bucket's bytes win).
 */
async function refusals(ctx: UploadContext, sent: readonly SourcedUpload[]) {
  const refused = new Map<string, Map<string, string>>();
  const refuse = (u: Upload, path: string, reason: string) => {
    const mine = refused.get(u.id) ?? refused.set(u.id, new Map()).get(u.id)!;
    if (!mine.has(path)) mine.set(path, reason);
  };
  // Distributions checked first (render mode); a wheel's extracted .metadata joins its upload.
  const uploads = await inspectReleases(ctx, sent, refuse);
  const claims: { u: SourcedUpload; t: UploadTarget }[] = [];
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
      } else if (u.source === "webhook") {
        claims.push({ u, t });
      }
    }
  }
  // Each claim costs a bucket head at least: fanned out to the shards when there are any.
  const reasons = ctx.bins?.claims
    ? await ctx.bins.claims(claims.map((c) => c.t), ctx.pagesMode)
    : await mapBounded(claims, BIN_CONCURRENCY, ({ t }) => claimRefusal(ctx.pagesMode, packages, ctx.content, t));
  claims.forEach(({ u, t }, i) => reasons[i] && refuse(u, t.path, reasons[i]!));
  return { uploads, refused };
}


/** One bin's view of `paths` as stored at `version`: each path's entry and removal record, the bin's size and its unpublished removals. */
export async function viewsOfBin(store: MetadataStore, bin: string, version: number, paths: readonly string[]) {
  const { head, targets } = await readBin(store, bin, version);
  const removals = readRemovals(head.extra);
  return {
    // The entries' size, plus the head and removal records (an estimate well inside the bound's margin).
    bytes: targets.length + JSON.stringify(head.extra).length + 300,
    unpublished: [...removals].reduce((n, [path, r]) => n + (r.unpublished ? removalBytes(path, r) : 0), 0),
    views: paths.map((path) => ({ path, current: targets.file(path) ?? null, removed: removals.get(path) ?? null })),
  };
}

/** Views read by this invocation, one read per touched bin. */
export const localViews = (store: MetadataStore): BinViews => ({
  async views(state, byBin) {
    const out: ViewsOfBins = { view: new Map(), binBytes: new Map(), unpublishedRemovals: new Map() };
    await mapBounded([...byBin], BIN_CONCURRENCY, async ([bin, paths]) => {
      const v = await viewsOfBin(store, bin, roleVersion(state, bin), paths);
      out.binBytes.set(bin, v.bytes);
      out.unpublishedRemovals.set(bin, v.unpublished);
      for (const { path, current, removed } of v.views) out.view.set(path, { bin, current, removed });
    });
    return out;
  },
});

/** What each path holds in the published state: one read per touched bin. */
async function loadPaths(ctx: PublishContext, state: RepoState, paths: Iterable<string>) {
  const byBin = new Map<string, string[]>();
  for (const path of paths) {
    const bin = state.bins.binFor(path);
    (byBin.get(bin) ?? byBin.set(bin, []).get(bin)!).push(path);
  }
  return (ctx.bins ?? localViews(ctx.store)).views(state, byBin);
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
export async function publishUploads(ctx: UploadContext, sent: readonly SourcedUpload[]) {
  const { uploads, refused } = await refusals(ctx, sent);
  // Bulk imports back-sign files as they are; releases (webhook, bucket) re-render their pages.
  const releases = ctx.pagesMode === "render" ? uploads.filter((u) => u.source !== "import") : [];
  const rendered = new Set(releases.map((u) => u.id));
  const paths = new Set([...uploads.flatMap(pathsOf), ...companionPaths(releases.flatMap(pathsOf))]);
  const projects = new Set(releases.flatMap(pathsOf).flatMap((p) => projectOf(p) ?? []));
  const outcome = await commit(ctx, async (state) => {
    const { view, binBytes, unpublishedRemovals } = await loadPaths(ctx, state, paths);
    const pages = new PageEdits(await loadPages(ctx.content, view, projects), view, (u) => rendered.has(u.id), ctx.clock());
    const { changes, decisions } = decideUploads({ uploads, view, binBytes, unpublishedRemovals, refused: await withClaimRefusals(ctx, state, uploads, refused), consequences: pages });
    const fileAt = (path: string) => (changes.has(path) ? changes.get(path)!.file : (view.get(path)?.current ?? null));
    const storePages = ctx.bins?.storeContent ?? ((items: readonly ContentAt[]) => mapBounded(items, BIN_CONCURRENCY, (c) => ctx.content.putAt(c.path, c.bytes)));
    const pageChanges = await pages.render(storePages, changes, fileAt);
    for (const [path, change] of pageChanges) changes.set(path, change);
    await storeContent(ctx, changes, pageChanges);
    // Pages that appear or go: what the project list behind `/simple/` records after the commit.
    const created = [...changes].filter(([path, c]) => (c.file === null) !== (view.get(path)?.current == null)).map(([path, c]) => ({ path, file: c.file }));
    return { plan: { bins: binEdits(view, changes), supersededContent: supersededContent(view, changes) }, decision: { decisions, pages: created } };
  });
  // The `/simple/` root lists projects with a page: record the pages this commit created or removed.
  if (outcome.committed) await recordProjectPages(ctx.store, [outcome.decision.pages]);
  const snapshotVersion = outcome.committed?.snapshotVersion ?? outcome.state.timestamp.signed.snapshotMeta.version;
  const results = new Map<string, UploadOutcome>();
  for (const [id, decision] of outcome.decision.decisions) results.set(id, { ...decision, snapshotVersion });
  return { results, committed: outcome.committed as Committed | null };
}

/** A project's files as its roles list them, before and after a commit that publishes new roles (PEP 480). */
export interface RoleFiles {
  readonly before: ReadonlyMap<string, TargetFile>;
  readonly after: ReadonlyMap<string, TargetFile>;
  /** Projects claimed in this commit: their pages start afresh (the online key's files leave them). */
  readonly fresh: ReadonlySet<string>;
}

/**
 * Render mode, for claimed projects whose pages the index still signs: the pages list the files
 * the projects' roles list, re-rendered in the commit that publishes the roles (the files stay out
 * of the bins: only the pages go there). Returns the commit's bin edits and what the pages replace,
 * or the files a page refuses (the file-name rule) and why.
 */
export async function pagesOfRoles(ctx: UploadContext, state: RepoState, files: RoleFiles) {
  const changes = new Map<string, Change>();
  for (const [path, file] of files.after) {
    const old = files.before.get(path);
    if (!old || old.length !== file.length || old.hashes.sha256 !== file.hashes.sha256) changes.set(path, { file });
  }
  for (const path of files.before.keys()) if (!files.after.has(path)) changes.set(path, { file: null });
  const projects = new Set([...changes.keys()].flatMap((p) => projectOf(p) ?? []).concat(...files.fresh));
  if (projects.size === 0) return null;
  const { view } = await loadPaths(ctx, state, [...projects].flatMap((p) => Object.values(pageTargetPaths(p))));
  const pages = new PageEdits(await loadPages(ctx.content, view, projects), view, () => true, ctx.clock());
  for (const project of files.fresh) pages.startAfresh(project);
  const fileAt = (path: string) => files.after.get(path) ?? null;
  const checked = pages.check({ id: "roles", targets: [], remove: [] }, changes, (path) => ({ bin: "", current: files.before.get(path) ?? null, removed: null }));
  // The caller rejects the changes of the projects whose pages refuse a file, and asks again.
  if (checked.refused.size) return { refused: checked.refused };
  checked.keep();
  const storePages = ctx.bins?.storeContent ?? ((items: readonly ContentAt[]) => mapBounded(items, BIN_CONCURRENCY, (c) => ctx.content.putAt(c.path, c.bytes)));
  // Only the pages: a removed file's companions are the roles' to list, not the bins'.
  const rendered = new Map([...(await pages.render(storePages, changes, fileAt))].filter(([path]) => path.startsWith("simple/")));
  const created = [...rendered].filter(([path, c]) => (c.file === null) !== (view.get(path)?.current == null)).map(([path, c]) => ({ path, file: c.file }));
  return { bins: binEdits(view, rendered), supersededContent: supersededContent(view, rendered), pages: created };
}

/** Each published serial target's bytes, copied to its path's own place before a bin names them (pages are stored there already). */
async function storeContent(ctx: UploadContext, changes: ReadonlyMap<string, Change>, rendered: ReadonlyMap<string, Change>) {
  const serials = [...changes].filter(([path, c]) => c.file && serialOf(c.file) !== undefined && !rendered.has(path));
  await mapBounded(serials, BIN_CONCURRENCY, async ([path, c]) => {
    if (!(await ctx.content.publishAt(path, c.file!.hashes.sha256!))) throw new Error(`the bytes of ${path} (${c.file!.hashes.sha256}) are no longer stored`);
  });
}
