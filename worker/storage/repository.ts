import { type ScannedTargetsRole, scanTargetsRole } from "../../shared/canonical-targets.js";
import { fromUtf8 } from "../../shared/encoding.js";
import type { TargetFile } from "../../shared/metadata/files.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import type { Root } from "../../shared/metadata/root.js";
import type { Snapshot } from "../../shared/metadata/snapshot.js";
import type { DelegatedRole, SuccinctRoles, Targets } from "../../shared/metadata/targets.js";
import { RECENTLY_CLAIMED, UNCLAIMED, isProjectLayout } from "../../shared/projects/layout.js";
import type { Timestamp } from "../../shared/metadata/timestamp.js";
import { searchTarget } from "../../shared/target-search.js";
import { parseMetadataName } from "./metadata-name.js";
import type { MetadataStore } from "./metadata-store.js";
import { WeightedLru } from "./weighted-lru.js";

/**
 * The published repository, read: everything the current timestamp reaches. One reader for the
 * writer (worker/publish/) and the request path (worker/http/), with one cache of parsed files.
 */

/** The writer's bookkeeping, kept in timestamp.json's R2 custom metadata so it commits atomically. */
export interface TimestampNotes {
  /** The newest root version published. */
  rootVersion: number;
  /** Bin renewal position: a counter that only grows; bin = cursor mod 2^bits (shared/renewal.ts). */
  renewCursor: number;
}

export function readNotes(custom: Record<string, string>): TimestampNotes {
  return { rootVersion: Number(custom.rootVersion ?? 1), renewCursor: Number(custom.renewCursor ?? 0) };
}

export const notesToCustom = (n: TimestampNotes): Record<string, string> => ({
  rootVersion: String(n.rootVersion),
  renewCursor: String(n.renewCursor),
});

export interface RepoState {
  readonly timestamp: Metadata<Timestamp>;
  /** The compare-and-swap token of the next commit. */
  readonly etag: string;
  /** When timestamp.json was last written (R2 allows one write per second per key). */
  readonly uploaded: Date;
  readonly notes: TimestampNotes;
  readonly snapshot: Metadata<Snapshot>;
  readonly targets: Metadata<Targets>;
  readonly bins: SuccinctRoles;
  /** In PEP 480's layout (targets → claimed, recently-claimed, unclaimed → bins): targets' delegation to recently-claimed, which the writer signs. */
  readonly recentlyClaimed?: DelegatedRole;
}

/** What is stored does not hold together: a file referred to is missing or is not what it should be. A fault of ours (500), never of a request. */
export class InconsistentRepository extends Error {
  override readonly name = "InconsistentRepository";
}

const MB = 1024 * 1024;

/**
 * Versioned files never change (invariant 2), so a name stands for one content for good: parsed
 * copies are kept by name for the life of the isolate, least recently used first out, bounded by
 * the stored JSON's bytes so memory stays flat whatever a bin's size. The bound holds every bin one
 * commit touches at PyPI's size today (about 2,500 bins of ~13 KB), and a snapshot. Only
 * timestamp.json changes, and it is read again every time (conditionally).
 */
const parsed = new WeightedLru<unknown>(40 * MB);
const loading = new Map<string, Promise<unknown>>();

/** A stored file that does not parse is ours to fix, whatever error the parser raised. */
function parseStored<T>(name: string, bytes: Uint8Array, parse: (bytes: Uint8Array) => T): T {
  try {
    return parse(bytes);
  } catch (e) {
    throw new InconsistentRepository(`${name} as stored does not parse: ${(e as Error).message}`);
  }
}

/** One parsed form per name: roots, snapshots and `targets` as Metadata, delegated roles scanned. */
async function readVersioned<T>(store: MetadataStore, name: string, parse: (bytes: Uint8Array) => T): Promise<T> {
  const hit = (parsed.get(name) ?? loading.get(name)) as T | Promise<T> | undefined;
  if (hit !== undefined) return hit;
  const load = (async () => {
    const file = await store.read(name);
    if (!file) throw new InconsistentRepository(`${name} is referred to but not stored`);
    const value = parseStored(name, file.bytes, parse);
    parsed.set(name, value, file.bytes.length);
    return value;
  })().finally(() => loading.delete(name));
  loading.set(name, load);
  return load;
}

export const readRoot = (store: MetadataStore, version: number): Promise<Metadata<Root>> =>
  readVersioned(store, `${version}.root.json`, (b) => Metadata.parse(b, "root"));

/**
 * The version of the trusted root: the highest stored, searched from the one the timestamp's notes
 * name. A root file is written before the commit that notes it, so a job stopped in between left
 * it ahead of the notes; code before that wrote it after the commit, so one may be missing (second
 * review, finding 7): the search goes down to the last one stored too.
 */
export async function trustedRootVersion(store: MetadataStore, noted: number): Promise<number> {
  let v = noted;
  while (v > 1 && !(await store.exists(`${v}.root.json`))) v--;
  while (await store.exists(`${v + 1}.root.json`)) v++;
  return v;
}

const readSnapshot = (store: MetadataStore, version: number) =>
  readVersioned(store, `${version}.snapshot.json`, (b) => Metadata.parse(b, "snapshot"));

const readTargets = (store: MetadataStore, version: number) =>
  readVersioned(store, `${version}.targets.json`, (b) => Metadata.parse(b, "targets"));

/** A delegated targets role (a bin) as canonical entries: what planBin splices into, and what look-ups read. */
export function readBin(store: MetadataStore, role: string, version: number): Promise<ScannedTargetsRole> {
  if (role === "targets") throw new InconsistentRepository("targets is not a delegated role");
  return readVersioned(store, `${version}.${role}.json`, (b) => scanTargetsRole(fromUtf8(b)));
}

/** Keeps a bin version this writer just stored, so the next commit that touches it splices without a read. */
export const rememberBin = (name: string, version: number, role: ScannedTargetsRole, bytes: number): void =>
  parsed.set(`${version}.${name}.json`, role, bytes);

/** Keeps a snapshot version this writer just stored: the next commit plans on it without reading and parsing it. */
export const rememberSnapshot = (snapshot: Metadata<Snapshot>, bytes: number): void =>
  parsed.set(`${snapshot.signed.version}.snapshot.json`, snapshot, bytes);

let lastTimestamp: { readonly etag: string; readonly timestamp: Metadata<Timestamp> } | null = null;

/** The current state; null before bootstrap. When timestamp.json has not changed since this isolate last read it, nothing is transferred or parsed. */
export async function loadState(store: MetadataStore): Promise<RepoState | null> {
  const memo = lastTimestamp;
  const file = await store.readChanged("timestamp.json", memo?.etag);
  if (!file) return null;
  let timestamp = memo?.timestamp;
  if (file.bytes) {
    timestamp = parseStored("timestamp.json", file.bytes, (b) => Metadata.parse(b, "timestamp"));
    lastTimestamp = { etag: file.etag, timestamp };
  }
  const snapshot = await readSnapshot(store, timestamp!.signed.snapshotMeta.version);
  const targetsMeta = snapshot.signed.meta.get("targets.json");
  if (!targetsMeta) throw new InconsistentRepository(`snapshot ${snapshot.signed.version} does not list targets.json`);
  const targets = await readTargets(store, targetsMeta.version);
  const base = { timestamp: timestamp!, etag: file.etag, uploaded: file.uploaded, notes: readNotes(file.custom), snapshot, targets };
  if (isProjectLayout(targets.signed)) {
    // PEP 480's layout: the bins are unclaimed's (offline), and the writer signs recently-claimed too.
    const unclaimedMeta = snapshot.signed.meta.get(`${UNCLAIMED}.json`);
    if (!unclaimedMeta) throw new InconsistentRepository(`snapshot ${snapshot.signed.version} does not list ${UNCLAIMED}.json`);
    const bins = (await readBin(store, UNCLAIMED, unclaimedMeta.version)).head.delegations?.succinctRoles;
    if (!bins) throw new InconsistentRepository("unclaimed does not delegate to succinct hashed bins");
    return { ...base, bins, recentlyClaimed: targets.signed.delegations!.roles!.find((r) => r.name === RECENTLY_CLAIMED)! };
  }
  const bins = targets.signed.delegations?.succinctRoles;
  if (!bins) throw new InconsistentRepository("targets does not delegate to succinct hashed bins");
  return { ...base, bins };
}

/** The version of a targets role (`targets`, `bins-0a3f`) in the current snapshot. */
export function roleVersion(state: RepoState, role: string): number {
  const meta = state.snapshot.signed.meta.get(`${role}.json`);
  if (!meta) throw new InconsistentRepository(`snapshot ${state.snapshot.signed.version} does not list ${role}.json`);
  return meta.version;
}

/** A target as the current timestamp publishes it: the role that lists it, and the versions on the way. */
export interface PublishedTarget {
  readonly path: string;
  readonly role: string;
  readonly roleVersion: number;
  readonly snapshotVersion: number;
  readonly file: TargetFile;
}

/** Where the current repository lists `path`, found the way clients search (shared/target-search.ts); null when not published. */
export async function findTarget(store: MetadataStore, path: string): Promise<PublishedTarget | null> {
  const state = await loadState(store);
  if (!state) return null;
  const found = await searchTarget(path, async (role) => {
    if (role === "targets") return state.targets.signed;
    const version = roleVersion(state, role);
    // Role names come from signed metadata; still, only names the read path would serve become keys.
    if (!parseMetadataName(`${version}.${role}.json`)) return null;
    const { head, targets } = await readBin(store, role, version);
    return { delegations: head.delegations, targets: { get: (p: string) => targets.file(p) } };
  });
  return found && { path, role: found.role, roleVersion: roleVersion(state, found.role), snapshotVersion: state.snapshot.signed.version, file: found.file };
}
