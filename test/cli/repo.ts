import {
  Delegations, type Key, MetaFile, Metadata, Role, Root, type Signer, Snapshot, SuccinctRoles, TargetFile, Targets, Timestamp,
  allBinNames, binFor, ed25519Signer, randomSeed, sha256Hex,
} from "../../shared/index.js";

type Expiring = "root" | "targets" | "timestamp" | "snapshot" | "bins";

export interface RepoOptions {
  /** 2^bits succinct bins (default 4). */
  readonly bits?: number;
  /** Publish root versions 1..n, each signed by the same root key (default 1). */
  readonly rootVersions?: number;
  /** How long from now each role stays valid, ms (negative: already expired). */
  readonly validFor?: Partial<Record<Expiring, number>>;
  /** Target paths to list in their bins, with the file bytes. */
  readonly targets?: Readonly<Record<string, string>>;
}

const DAY = 86_400_000;
const DEFAULT_VALID: Record<Expiring, number> = { root: 365 * DAY, targets: 365 * DAY, timestamp: DAY, snapshot: DAY, bins: DAY };

/**
 * A complete consistent-snapshot repository signed in the test with shared/ (not by the Worker):
 * N.root.json, 1.targets.json delegating to succinct bins, 1.bins-x.json for every bin,
 * 1.snapshot.json (version-only meta), timestamp.json (snapshot length and sha256).
 */
export async function buildRepo(o: RepoOptions = {}) {
  const bits = o.bits ?? 4;
  const now = Date.now();
  const expires = (role: Expiring) => Math.floor((now + (o.validFor?.[role] ?? DEFAULT_VALID[role])) / 1000) * 1000;
  const [root, targets, online] = await Promise.all([0, 1, 2].map(() => ed25519Signer(randomSeed()))) as [Signer, Signer, Signer];
  const files = new Map<string, Uint8Array>();
  const keys = (...signers: Signer[]): Record<string, Key> => Object.fromEntries(signers.map((s) => [s.key.keyid, s.key]));

  for (let v = 1; v <= (o.rootVersions ?? 1); v++) {
    const signed = new Root({
      version: v,
      expires: expires("root"),
      keys: keys(root, targets, online),
      roles: {
        root: new Role([root.key.keyid], 1),
        targets: new Role([targets.key.keyid], 1),
        snapshot: new Role([online.key.keyid], 1),
        timestamp: new Role([online.key.keyid], 1),
      },
    });
    files.set(`${v}.root.json`, (await new Metadata(signed).sign([root])).toBytes());
  }

  const delegations = new Delegations(keys(online), undefined, new SuccinctRoles([online.key.keyid], 1, bits, "bins"));
  files.set("1.targets.json", (await new Metadata(new Targets({ version: 1, expires: expires("targets"), delegations })).sign([targets])).toBytes());
  const meta = new Map([["targets.json", new MetaFile(1)]]);
  for (const name of allBinNames(bits)) {
    const listed = new Map<string, TargetFile>();
    for (const [path, content] of Object.entries(o.targets ?? {})) {
      if (binFor(path, bits) === name) listed.set(path, new TargetFile(content.length, { sha256: sha256Hex(content) }));
    }
    const bin = new Metadata(new Targets({ version: 1, expires: expires("bins"), targets: listed }));
    files.set(`1.${name}.json`, (await bin.sign([online])).toBytes());
    meta.set(`${name}.json`, new MetaFile(1));
  }
  const snapshot = (await new Metadata(new Snapshot({ version: 1, expires: expires("snapshot"), meta })).sign([online])).toBytes();
  files.set("1.snapshot.json", snapshot);
  const snapshotMeta = new MetaFile(1, snapshot.length, { sha256: sha256Hex(snapshot) });
  files.set("timestamp.json", (await new Metadata(new Timestamp({ version: 1, expires: expires("timestamp"), snapshotMeta })).sign([online])).toBytes());
  return { files, root1: files.get("1.root.json")! };
}
