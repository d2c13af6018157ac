import { allBinNames } from "../../shared/bins.js";
import { parsePageTargetPath } from "../../shared/simple/index.js";
import type { MetadataStore } from "./metadata-store.js";
import { loadState, readBin, roleVersion } from "./repository.js";

/**
 * The project list behind `/simple/` (PEP 503's root), in the METADATA bucket under
 * `projects/{shard}.json`: the normalized names of every project with a published page, sharded by
 * their first two characters. A prefix of a name sorts as the name does, so reading the shards in
 * key order yields every name in order, one shard (about 500 names at PyPI's size) at a time.
 *
 * It is not TUF metadata and nothing signs it (README, "The simple API"): it only says which pages
 * exist, and each page is signed. The writer records it after each commit (`recordProjectPages`);
 * a repository whose writer has never recorded it is listed from its bins (`projectsFromBins`).
 */
const PREFIX = "projects/";
const shardOf = (project: string) => project.slice(0, 2);
const shardKey = (shard: string) => `${PREFIX}${shard}.json`;

/** A shard as listed: its key and etag (what the listing's ETag is made of). */
export interface ProjectShard {
  readonly key: string;
  readonly etag: string;
}

async function readShard(bucket: R2Bucket, key: string): Promise<{ names: string[]; etag: string | null }> {
  const object = await bucket.get(key);
  if (!object) return { names: [], etag: null };
  const parsed = (await object.json()) as { projects?: unknown };
  const names = Array.isArray(parsed.projects) ? parsed.projects.filter((p): p is string => typeof p === "string") : [];
  return { names, etag: object.etag };
}

/**
 * Records which projects have a page after a commit: `changes` are the commit's target changes
 * (`{path, file}`, file null for a removal); page targets among them add or remove their project.
 * Other paths are ignored, so the writer can pass every change. Idempotent; each shard is written by
 * compare-and-swap on its etag (the writer is single, but a retried commit may overlap the first).
 * It never throws: the commit it follows is published already, and a shard that could not be
 * written is logged (`projects-record-failed`) and corrected by the project's next change. Costs a
 * read and at most a write per shard touched (at most ~1,300 shards, one per two-character prefix).
 */
export async function recordProjectPages(store: MetadataStore, changes: Iterable<Iterable<{ readonly path: string; readonly file: unknown }>>): Promise<void> {
  const edits = new Map<string, Map<string, boolean>>();
  for (const list of changes) {
    for (const { path, file } of list) {
      const page = parsePageTargetPath(path);
      if (page?.format !== "json") continue;
      const shard = shardOf(page.project);
      if (!edits.has(shard)) edits.set(shard, new Map());
      edits.get(shard)!.set(page.project, file !== null);
    }
  }
  // Six shards at a time: an invocation has six subrequests in flight.
  const queue = [...edits];
  const next = async (): Promise<void> => {
    const item = queue.shift();
    if (!item) return;
    const [shard, edit] = item;
    try {
      await editShard(store.bucket, shardKey(shard), edit);
    } catch (e) {
      console.error(JSON.stringify({ event: "projects-record-failed", shard, projects: [...edit.keys()].slice(0, 20), error: String(e) }));
    }
    return next();
  };
  await Promise.all(Array.from({ length: 6 }, next));
}

async function editShard(bucket: R2Bucket, key: string, edit: ReadonlyMap<string, boolean>, attempts = 5): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    const { names, etag } = await readShard(bucket, key);
    const set = new Set(names);
    for (const [project, present] of edit) {
      if (present) set.add(project);
      else set.delete(project);
    }
    if (set.size === names.length && names.every((n) => set.has(n))) return;
    const body = JSON.stringify({ projects: [...set].sort() });
    const onlyIf: R2Conditional = etag === null ? { etagDoesNotMatch: "*" } : { etagMatches: etag };
    // The count rides in custom metadata, so a listing of the shards counts every project.
    const customMetadata = { count: String(set.size) };
    if (await bucket.put(key, body, { onlyIf, httpMetadata: { contentType: "application/json" }, customMetadata })) return;
  }
  throw new Error(`${key}: lost the compare-and-swap ${attempts} times`);
}

/** Every shard, in key order (so in name order); null when none was ever recorded. */
export async function listProjectShards(store: MetadataStore): Promise<(ProjectShard & { readonly count: number })[] | null> {
  const shards: (ProjectShard & { count: number })[] = [];
  let cursor: string | undefined;
  do {
    const options = { prefix: PREFIX, include: ["customMetadata"], ...(cursor ? { cursor } : {}) } as R2ListOptions;
    const page = await store.bucket.list(options);
    for (const o of page.objects) shards.push({ key: o.key, etag: o.etag, count: Number(o.customMetadata?.count ?? 0) });
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return shards.length ? shards.sort((a, b) => (a.key < b.key ? -1 : 1)) : null;
}

/** How many projects have a page, from the recorded list's listing (no shard read); null when none is recorded. */
export async function countProjects(store: MetadataStore): Promise<number | null> {
  const shards = await listProjectShards(store);
  return shards && shards.reduce((n, s) => n + s.count, 0);
}

/** The names a shard holds, sorted. */
export async function readProjectShard(store: MetadataStore, shard: ProjectShard): Promise<string[]> {
  return (await readShard(store.bucket, shard.key)).names.sort();
}

/** How many bins `projectsFromBins` reads at most: every one is a read, and a request has a budget. */
export const MAX_BINS_SCANNED = 1024;

/**
 * The projects whose JSON page the current bins list, sorted, read from every bin: for a repository
 * whose writer has not recorded the list. Null when there is no repository, or more bins than a
 * request may read.
 */
export async function projectsFromBins(store: MetadataStore): Promise<{ names: string[]; snapshotVersion: number } | null> {
  const state = await loadState(store);
  if (!state || state.bins.numberOfBins > MAX_BINS_SCANNED) return null;
  const names: string[] = [];
  for (const role of allBinNames(state.bins.bitLength, state.bins.namePrefix)) {
    const { targets } = await readBin(store, role, roleVersion(state, role));
    for (const path of targets.pathsWithPrefix("simple/")) {
      const page = parsePageTargetPath(path);
      if (page?.format === "json") names.push(page.project);
    }
  }
  return { names: names.sort(), snapshotVersion: state.snapshot.signed.version };
}
