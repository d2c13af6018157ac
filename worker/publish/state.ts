import { type ScannedTargetsRole, scanTargetsRole } from "../../shared/canonical-targets.js";
import { fromUtf8 } from "../../shared/encoding.js";
import { VerificationError } from "../../shared/errors.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import type { Snapshot } from "../../shared/metadata/snapshot.js";
import type { SuccinctRoles, Targets } from "../../shared/metadata/targets.js";
import type { Timestamp } from "../../shared/metadata/timestamp.js";
import type { MetadataStore } from "../storage/metadata-store.js";

/** The writer's bookkeeping, kept in timestamp.json's R2 custom metadata so it commits atomically. */
export interface TimestampNotes {
  /** The newest root version published. */
  rootVersion: number;
  /** Bin renewal position: a counter that only grows; bin = cursor mod 2^bits (see renew.ts). */
  renewCursor: number;
}

export function readNotes(custom: Record<string, string>): TimestampNotes {
  return { rootVersion: Number(custom.rootVersion ?? 1), renewCursor: Number(custom.renewCursor ?? 0) };
}

export const notesToCustom = (n: TimestampNotes): Record<string, string> => ({
  rootVersion: String(n.rootVersion),
  renewCursor: String(n.renewCursor),
});

/** The published repository as the single writer sees it: everything the current timestamp reaches. */
export interface RepoState {
  readonly timestamp: Metadata<Timestamp>;
  readonly etag: string;
  /** When timestamp.json was last written (R2 allows one write per second per key). */
  readonly uploaded: Date;
  readonly notes: TimestampNotes;
  readonly snapshot: Metadata<Snapshot>;
  readonly targets: Metadata<Targets>;
  readonly bins: SuccinctRoles;
}

/**
 * Versioned files never change (invariant 2), so parsed copies are cached by name for the life of the
 * isolate, least recently used first out. The bound is on the stored JSON's bytes, so memory stays
 * flat whatever the size of a bin (a parsed bin takes a few times its JSON).
 */
class ParsedCache<T> {
  private readonly entries = new Map<string, { value: T; bytes: number }>();
  private bytes = 0;
  constructor(private readonly limitBytes: number) {}
  get(key: string): T | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit.value;
  }
  set(key: string, value: T, bytes: number): void {
    if (this.entries.has(key)) return;
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.limitBytes || this.entries.size === 1) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
  }
}

const MB = 1024 * 1024;
const snapshots = new ParsedCache<Metadata<Snapshot>>(4 * MB);
const targetsRoles = new ParsedCache<Metadata<Targets>>(4 * MB);
/**
 * Bins as canonical entries (shared/canonical-targets.ts), so a re-sign splices instead of
 * re-encoding. Enough for every bin one commit touches at PyPI's size today (about 2,500 bins of
 * ~13 KB); a bin this writer signed goes in at once, so the next change to it reads nothing.
 */
const bins = new ParsedCache<ScannedTargetsRole>(32 * MB);

async function readVersioned<T>(store: MetadataStore, cache: ParsedCache<T>, name: string, parse: (b: Uint8Array) => T): Promise<T> {
  const hit = cache.get(name);
  if (hit) return hit;
  const file = await store.read(name);
  if (!file) throw new VerificationError("missing", `${name} is referenced but not stored`);
  const parsed = parse(file.bytes);
  cache.set(name, parsed, file.bytes.length);
  return parsed;
}

export const readTargetsRole = (store: MetadataStore, name: string, version: number) =>
  readVersioned(store, targetsRoles, `${version}.${name}.json`, (b) => Metadata.parse(b, "targets"));

/** A delegated targets role (a bin) as canonical entries: what planBin splices into. */
export const readBin = (store: MetadataStore, name: string, version: number): Promise<ScannedTargetsRole> =>
  readVersioned(store, bins, `${version}.${name}.json`, (b) => scanTargetsRole(fromUtf8(b)));

/** Keeps a bin version this writer just stored, so the next commit that touches it splices without a read. */
export const rememberBin = (name: string, version: number, role: ScannedTargetsRole, bytes: number): void =>
  bins.set(`${version}.${name}.json`, role, bytes);

/** Keeps a snapshot version this writer just stored: the next commit plans on it without reading and parsing it. */
export const rememberSnapshot = (snapshot: Metadata<Snapshot>, bytes: number): void =>
  snapshots.set(`${snapshot.signed.version}.snapshot.json`, snapshot, bytes);

/** Null when nothing is published yet. */
export async function loadState(store: MetadataStore): Promise<RepoState | null> {
  const file = await store.read("timestamp.json");
  if (!file) return null;
  const timestamp = Metadata.parse(file.bytes, "timestamp");
  const snapshot = await readVersioned(store, snapshots, `${timestamp.signed.snapshotMeta.version}.snapshot.json`, (b) =>
    Metadata.parse(b, "snapshot"),
  );
  const targetsVersion = snapshot.signed.meta.get("targets.json")!.version;
  const targets = await readTargetsRole(store, "targets", targetsVersion);
  const succinct = targets.signed.delegations?.succinctRoles;
  if (!succinct) throw new VerificationError("invalid", "targets does not delegate to succinct hashed bins");
  return {
    timestamp,
    etag: file.etag,
    uploaded: file.uploaded,
    notes: readNotes(file.custom),
    snapshot,
    targets,
    bins: succinct,
  };
}

/** The version of a targets role (`targets`, `bins-0a3f`) in the current snapshot. */
export function roleVersion(state: RepoState, role: string): number {
  const meta = state.snapshot.signed.meta.get(`${role}.json`);
  if (!meta) throw new VerificationError("missing", `snapshot does not list ${role}.json`);
  return meta.version;
}
