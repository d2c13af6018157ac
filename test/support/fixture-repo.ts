import { allBinNames, binFor } from "../../shared/bins.js";
import { sha256Hex, sha512Hex } from "../../shared/encoding.js";
import type { JsonObject } from "../../shared/json.js";
import { type Signer, ed25519Signer, randomSeed } from "../../shared/keys.js";
import { MetaFile, TargetFile } from "../../shared/metadata/files.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import { Role, Root } from "../../shared/metadata/root.js";
import { Snapshot } from "../../shared/metadata/snapshot.js";
import { Delegations, SuccinctRoles, Targets } from "../../shared/metadata/targets.js";
import { Timestamp } from "../../shared/metadata/timestamp.js";
import { MetadataStore, metadataKey } from "../../worker/storage/metadata-store.js";

/**
 * A complete TUF repository signed in the test, independent of the Worker's own bootstrap: root
 * (optionally a chain of versions), targets delegating to succinct hashed bins, every bin, snapshot
 * (version-only meta) and timestamp (snapshot length and hashes), the layout of README's "How it works".
 *
 * The read path caches parsed versioned files by name (they are immutable), so write one repository
 * per Worker; a second one into the same buckets needs higher `versions`.
 */
export interface FixtureTarget {
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly custom?: JsonObject;
  /** Also list sha512 (after sha256, which stays the first listed hash clients prefix with). */
  readonly sha512?: boolean;
}

export interface RepositoryOptions {
  /** bit_length of the succinct delegation: 2^bits bins. Default 4. */
  readonly bits?: number;
  readonly targets?: readonly FixtureTarget[];
  /** Versions of the online roles and of targets (all 1 by default); every bin gets `bins`. */
  readonly versions?: Partial<Record<"targets" | "bins" | "snapshot" | "timestamp", number>>;
  /** Publish root versions 1..n (each signed by the same root key). Default 1. */
  readonly rootVersions?: number;
  /** Seeds of the keys; fresh random ones by default. `online` may be the Worker's ONLINE_KEY seed. */
  readonly seeds?: Partial<Record<"root" | "targets" | "online", Uint8Array>>;
  /** Clock for `expires`, ms. Default now. */
  readonly now?: number;
  /** name_prefix of the succinct delegation. Default "bins". */
  readonly binPrefix?: string;
}

export interface FixtureRepository {
  /** 1.root.json: what a client starts from. */
  readonly rootBytes: Uint8Array;
  readonly signers: { readonly root: Signer; readonly targets: Signer; readonly online: Signer };
  /** The seeds behind `signers`: pass them back (with the same `now`) to sign a later state of this repository. */
  readonly seeds: Readonly<Record<"root" | "targets" | "online", Uint8Array>>;
  /** Every file by its name under /metadata (`timestamp.json`, `1.bins-3.json`), uncompressed JSON as stored. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** The names in `files` of bins that list no target (all the same bytes). */
  readonly emptyBins: ReadonlySet<string>;
  readonly bits: number;
  readonly rootVersion: number;
  readonly targets: Metadata<Targets>;
  readonly snapshot: Metadata<Snapshot>;
  readonly timestamp: Metadata<Timestamp>;
  /** The bin a target path belongs to (`bins-3`). */
  binOf(path: string): string;
  /** The name under /metadata of the bin holding `path` (`1.bins-3.json`). */
  binFileOf(path: string): string;
}

const DAY = 86_400_000;
const wholeSeconds = (ms: number) => Math.floor(ms / 1000) * 1000;

/** Signs a repository in memory (no I/O). */
export async function generateRepository(options: RepositoryOptions = {}): Promise<FixtureRepository> {
  const bits = options.bits ?? 4;
  const prefix = options.binPrefix ?? "bins";
  const now = options.now ?? Date.now();
  const v = { targets: 1, bins: 1, snapshot: 1, timestamp: 1, ...options.versions };
  const seeds = {
    root: options.seeds?.root ?? randomSeed(),
    targets: options.seeds?.targets ?? randomSeed(),
    online: options.seeds?.online ?? randomSeed(),
  };
  const signers = {
    root: await ed25519Signer(seeds.root),
    targets: await ed25519Signer(seeds.targets),
    online: await ed25519Signer(seeds.online),
  };
  const files = new Map<string, Uint8Array>();
  const year = wholeSeconds(now + 365 * DAY);
  const day = wholeSeconds(now + DAY);

  const keys = Object.fromEntries(Object.values(signers).map((s) => [s.key.keyid, s.key]));
  const role = (s: Signer) => new Role([s.key.keyid], 1);
  const rootVersions = options.rootVersions ?? 1;
  let rootBytes: Uint8Array | undefined;
  for (let version = 1; version <= rootVersions; version++) {
    const root = new Root({
      version,
      expires: year,
      consistentSnapshot: true,
      keys,
      roles: { root: role(signers.root), targets: role(signers.targets), snapshot: role(signers.online), timestamp: role(signers.online) },
    });
    const bytes = (await new Metadata(root).sign([signers.root])).toBytes();
    files.set(`${version}.root.json`, bytes);
    rootBytes ??= bytes;
  }

  const succinct = new SuccinctRoles([signers.online.key.keyid], 1, bits, prefix);
  const targets = await new Metadata(
    new Targets({
      version: v.targets,
      expires: year,
      delegations: new Delegations({ [signers.online.key.keyid]: signers.online.key }, undefined, succinct),
    }),
  ).sign([signers.targets]);
  files.set(`${v.targets}.targets.json`, targets.toBytes());

  const byBin = new Map<string, Map<string, TargetFile>>();
  for (const t of options.targets ?? []) {
    const bin = succinct.binFor(t.path);
    const hashes: Record<string, string> = { sha256: sha256Hex(t.bytes) };
    if (t.sha512) hashes.sha512 = sha512Hex(t.bytes);
    if (!byBin.has(bin)) byBin.set(bin, new Map());
    byBin.get(bin)!.set(t.path, new TargetFile(t.bytes.length, hashes, t.custom));
  }
  // A bin's JSON does not name the bin, so every empty bin is the same file: sign it once.
  const emptyBin = (await new Metadata(new Targets({ version: v.bins, expires: day })).sign([signers.online])).toBytes();
  const meta = new Map<string, MetaFile>([["targets.json", new MetaFile(v.targets)]]);
  const emptyBins = new Set<string>();
  for (const bin of allBinNames(bits, prefix)) {
    const listed = byBin.get(bin);
    const bytes = listed
      ? (await new Metadata(new Targets({ version: v.bins, expires: day, targets: listed })).sign([signers.online])).toBytes()
      : emptyBin;
    files.set(`${v.bins}.${bin}.json`, bytes);
    if (!listed) emptyBins.add(`${v.bins}.${bin}.json`);
    meta.set(`${bin}.json`, new MetaFile(v.bins));
  }

  const snapshot = await new Metadata(new Snapshot({ version: v.snapshot, expires: day, meta })).sign([signers.online]);
  const snapshotBytes = snapshot.toBytes();
  files.set(`${v.snapshot}.snapshot.json`, snapshotBytes);
  const timestamp = await new Metadata(
    new Timestamp({
      version: v.timestamp,
      expires: day,
      snapshotMeta: new MetaFile(v.snapshot, snapshotBytes.length, { sha256: sha256Hex(snapshotBytes) }),
    }),
  ).sign([signers.online]);
  files.set("timestamp.json", timestamp.toBytes());

  return {
    rootBytes: rootBytes!,
    signers,
    seeds,
    files,
    emptyBins,
    bits,
    rootVersion: rootVersions,
    targets,
    snapshot,
    timestamp,
    binOf: (path) => binFor(path, bits, prefix),
    binFileOf: (path) => `${v.bins}.${binFor(path, bits, prefix)}.json`,
  };
}

export interface StoreOptions {
  /** Parallel R2 writes (through Miniflare's proxy a write costs about 1.5 ms). Default 64. */
  readonly concurrency?: number;
  /** Names not to store (e.g. `emptyBins` of a 16,384-bin repository: clients fetch only the bins they need). */
  readonly skip?: ReadonlySet<string>;
}

/**
 * Stores files the way the publisher does (MetadataStore: gzip once, length and sha256 alongside),
 * timestamp.json last. A versioned file that exists already must have the same bytes (immutable).
 */
export async function storeRepository(bucket: R2Bucket, files: ReadonlyMap<string, Uint8Array>, options: StoreOptions = {}): Promise<void> {
  const store = new MetadataStore(bucket);
  const names = [...files.keys()].filter((n) => n !== "timestamp.json" && !options.skip?.has(n));
  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency ?? 64 }, async () => {
      while (next < names.length) {
        const name = names[next++]!;
        const bytes = files.get(name)!;
        if (await store.create(name, bytes)) continue;
        const stored = await bucket.head(metadataKey(name));
        if (stored?.customMetadata?.sha256 !== sha256Hex(bytes)) throw new Error(`${name} exists with other bytes`);
      }
    }),
  );
  const timestamp = files.get("timestamp.json");
  if (timestamp) {
    const current = await store.read("timestamp.json");
    if (!(await store.swapTimestamp(timestamp, current?.etag ?? null))) throw new Error("timestamp.json changed meanwhile");
  }
}

/** Signs a repository, stores it in `metadata` and the targets' bytes in `packages` (key = target path). */
export async function buildRepository(
  options: RepositoryOptions & { readonly metadata: R2Bucket; readonly packages?: R2Bucket; readonly storeEmptyBins?: boolean },
): Promise<FixtureRepository> {
  const repository = await generateRepository(options);
  if (options.packages) {
    for (const t of options.targets ?? []) await options.packages.put(t.path, t.bytes);
  }
  await storeRepository(options.metadata, repository.files, { skip: options.storeEmptyBins === false ? repository.emptyBins : undefined });
  return repository;
}
