// A small signed repository built with the shared/ API: root, targets delegating to succinct bins,
// every bin, snapshot and timestamp, plus helpers to re-sign any piece of it differently.
import { expect } from "vitest";
import {
  Delegations, FieldError, Metadata, MetaFile, Role, Root, Snapshot, SuccinctRoles, TargetFile, Targets, Timestamp,
  VerificationError, allBinNames, binFor, ed25519Signer, randomSeed, sha256Hex, utf8,
  type FetchMetadata, type Key, type Signed, type Signer,
} from "../../shared/index.js";

export const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
export const DAY = 86_400_000;
/** 16 bins: enough to have empty and non-empty ones, small enough to sign in a blink. */
export const BIT_LENGTH = 4;
export const PATHS = [
  "packages/ab/cd/0123/example-1.0-py3-none-any.whl",
  "packages/ab/cd/0123/example-1.0-py3-none-any.whl.metadata",
  "packages/ef/01/4567/example-1.0.tar.gz",
  "simple/example/index.html",
  "simple/ünïcødé/index.html",
];

export const newSigner = (): Promise<Signer> => ed25519Signer(randomSeed());
export const newSigners = (n: number): Promise<Signer[]> => Promise.all(Array.from({ length: n }, newSigner));
export const keyMap = (signers: readonly Signer[]): Record<string, Key> =>
  Object.fromEntries(signers.map((s) => [s.key.keyid, s.key]));
const ids = (signers: readonly Signer[]) => signers.map((s) => s.key.keyid);

export interface RepoKeys {
  root: Signer[];
  rootThreshold: number;
  targets: Signer;
  /** Signs timestamp, snapshot and every bin, as the Worker's ONLINE_KEY does. */
  online: Signer;
}

export const sign = <T extends Signed>(signed: T, ...signers: Signer[]): Promise<Metadata<T>> =>
  new Metadata(signed).sign(signers);

export function makeRoot(keys: RepoKeys, version = 1, expires = NOW + 365 * DAY): Root {
  const online = new Role(ids([keys.online]), 1);
  return new Root({
    version,
    expires,
    keys: keyMap([...keys.root, keys.targets, keys.online]),
    roles: {
      root: new Role(ids(keys.root), keys.rootThreshold),
      targets: new Role(ids([keys.targets]), 1),
      snapshot: online,
      timestamp: online,
    },
  });
}

export function makeTargets(binSigners: readonly Signer[], bitLength = BIT_LENGTH, version = 1): Targets {
  const succinct = new SuccinctRoles(ids(binSigners), 1, bitLength, "bins");
  return new Targets({ version, expires: NOW + 365 * DAY, delegations: new Delegations(keyMap(binSigners), undefined, succinct) });
}

export function targetFile(path: string): TargetFile {
  const content = utf8(`content of ${path}`);
  return new TargetFile(content.length, { sha256: sha256Hex(content) }, { project: path.split("/")[1]! });
}

export function makeBin(paths: readonly string[], version = 1, expires = NOW + DAY): Targets {
  return new Targets({ version, expires, targets: new Map(paths.map((p) => [p, targetFile(p)])) });
}

/** Version-only meta for each role (`targets` → `targets.json`), as the Worker publishes it. */
export function makeSnapshot(roles: Record<string, number>, version = 1, expires = NOW + DAY): Snapshot {
  const meta = new Map(Object.entries(roles).map(([name, v]) => [`${name}.json`, new MetaFile(v)]));
  return new Snapshot({ version, expires, meta });
}

export function makeTimestamp(snapshot: Metadata<Snapshot>, version = 1, expires = NOW + DAY): Timestamp {
  const bytes = snapshot.toBytes();
  const snapshotMeta = new MetaFile(snapshot.signed.version, bytes.length, { sha256: sha256Hex(bytes) });
  return new Timestamp({ version, expires, snapshotMeta });
}

export interface Repo {
  keys: RepoKeys;
  root: Metadata<Root>;
  targets: Metadata<Targets>;
  bins: Map<string, Metadata<Targets>>;
  snapshot: Metadata<Snapshot>;
  timestamp: Metadata<Timestamp>;
  /** The served files by name (`1.root.json`, `timestamp.json`, …). */
  files: Map<string, Uint8Array>;
  fetch: FetchMetadata;
}

/** Root keys: 3, threshold 2. Every bin exists, version 1. */
export async function makeRepo(): Promise<Repo> {
  const keys: RepoKeys = { root: await newSigners(3), rootThreshold: 2, targets: await newSigner(), online: await newSigner() };
  const root = await sign(makeRoot(keys), keys.root[0]!, keys.root[1]!);
  const targets = await sign(makeTargets([keys.online]), keys.targets);
  const bins = new Map<string, Metadata<Targets>>();
  for (const name of allBinNames(BIT_LENGTH)) {
    bins.set(name, await sign(makeBin(PATHS.filter((p) => binFor(p, BIT_LENGTH) === name)), keys.online));
  }
  const snapshot = await sign(makeSnapshot({ targets: 1, ...Object.fromEntries([...bins.keys()].map((b) => [b, 1])) }), keys.online);
  const timestamp = await sign(makeTimestamp(snapshot), keys.online);
  const files = new Map<string, Uint8Array>([
    ["1.root.json", root.toBytes()],
    ["1.targets.json", targets.toBytes()],
    ["1.snapshot.json", snapshot.toBytes()],
    ["timestamp.json", timestamp.toBytes()],
    ...[...bins].map(([name, md]) => [`1.${name}.json`, md.toBytes()] as [string, Uint8Array]),
  ]);
  return { keys, root, targets, bins, snapshot, timestamp, files, fetch: async (name) => files.get(name) ?? null };
}

/** The JSON a client would parse from the served bytes. */
export const served = (md: Metadata): any => JSON.parse(md.toString());

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error, none was thrown");
}

export function expectFieldError(fn: () => unknown, field: string | RegExp): FieldError {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(FieldError);
  const fe = e as FieldError;
  if (typeof field === "string") expect(fe.field).toBe(field);
  else expect(fe.field).toMatch(field);
  return fe;
}

export function expectVerificationError(fn: () => unknown, kind: VerificationError["kind"]): VerificationError {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(VerificationError);
  expect((e as VerificationError).kind).toBe(kind);
  return e as VerificationError;
}
