import { VerificationError } from "./errors.js";
import { sha256Hex, sha512Hex } from "./encoding.js";
import type { MetaFile } from "./metadata/files.js";
import { Metadata } from "./metadata/metadata.js";
import type { Root } from "./metadata/root.js";
import type { Snapshot } from "./metadata/snapshot.js";
import type { Targets } from "./metadata/targets.js";
import type { Timestamp } from "./metadata/timestamp.js";
import { CLAIMED, RECENTLY_CLAIMED, UNCLAIMED, isProjectLayout } from "./projects/layout.js";
import { searchTarget } from "./target-search.js";
import { formatExpires, isExpired } from "./time.js";

/** Checks length and every listed hash of `bytes` against what the referring metadata states. */
export function verifyFileAgainst(name: string, bytes: Uint8Array, meta: { length?: number; hashes?: Readonly<Record<string, string>> }) {
  if (meta.length !== undefined && bytes.length !== meta.length) {
    throw new VerificationError("length", `${name}: ${bytes.length} bytes, expected ${meta.length}`);
  }
  for (const [alg, expected] of Object.entries(meta.hashes ?? {})) {
    const actual = alg === "sha256" ? sha256Hex(bytes) : alg === "sha512" ? sha512Hex(bytes) : null;
    if (actual !== expected) throw new VerificationError("hash", `${name}: ${alg} does not match`);
  }
}

/** Spec §5.3.10 and after: metadata is refused once expired. */
export function checkNotExpired(name: string, expires: number, now: number) {
  if (isExpired(expires, now)) throw new VerificationError("expired", `${name} expired at ${formatExpires(expires)}`);
}

/**
 * Spec §5.3.4–§5.3.5: root N+1 is signed by a threshold of root N's root keys and of its own, and
 * is version N+1. The client follows the chain with it; the Worker checks a new root with it
 * (shared/offline.ts) before it publishes one.
 */
export function checkNextRoot(next: Metadata<Root>, trusted: Root): void {
  const v = next.signed.version;
  next.verifyDelegate(`root ${v} (by root ${trusted.version}'s keys)`, trusted.roles.root, trusted.keys);
  next.verifyDelegate(`root ${v} (by its own keys)`, next.signed.roles.root, next.signed.keys);
  if (v !== trusted.version + 1) throw new VerificationError("version", `expected root version ${trusted.version + 1}, got ${v}`);
}

/**
 * What a TUF client trusts, updated one file at a time in the order of spec §5 (the shape of
 * python-tuf's TrustedMetadataSet). Pure: the caller fetches, this decides.
 */
export class TrustedMetadata {
  root: Metadata<Root>;
  timestamp?: Metadata<Timestamp>;
  snapshot?: Metadata<Snapshot>;
  readonly targets = new Map<string, Metadata<Targets>>();

  constructor(rootBytes: Uint8Array | string, readonly now: number) {
    this.root = Metadata.parse(rootBytes, "root");
    this.root.verifyDelegate("root", this.root.signed.roles.root, this.root.signed.keys);
  }

  /** §5.3: N+1 must be signed by a threshold of root N and of itself. */
  updateRoot(bytes: Uint8Array | string): Metadata<Root> {
    if (this.timestamp) throw new VerificationError("invalid", "root cannot change after timestamp was loaded");
    const next = Metadata.parse(bytes, "root");
    checkNextRoot(next, this.root.signed);
    this.root = next;
    return next;
  }

  /** §5.4. Returns false when the version equals the trusted one (the spec ignores it). */
  updateTimestamp(bytes: Uint8Array | string): boolean {
    checkNotExpired("root", this.root.signed.expires, this.now);
    const next = Metadata.parse(bytes, "timestamp");
    next.verifyDelegate("timestamp", this.root.signed.roles.timestamp, this.root.signed.keys);
    const old = this.timestamp?.signed;
    if (old) {
      if (next.signed.version < old.version) {
        throw new VerificationError("rollback", `timestamp version ${next.signed.version} < trusted ${old.version}`);
      }
      if (next.signed.version === old.version) return false;
      if (next.signed.snapshotMeta.version < old.snapshotMeta.version) {
        throw new VerificationError("rollback", `snapshot version ${next.signed.snapshotMeta.version} < trusted ${old.snapshotMeta.version}`);
      }
    }
    checkNotExpired("timestamp", next.signed.expires, this.now);
    this.timestamp = next;
    return true;
  }

  /** §5.5: hashes from timestamp, signatures, version, no role dropped or rolled back, not expired. */
  updateSnapshot(bytes: Uint8Array): Metadata<Snapshot> {
    if (!this.timestamp) throw new VerificationError("invalid", "load timestamp before snapshot");
    const meta = this.timestamp.signed.snapshotMeta;
    verifyFileAgainst("snapshot", bytes, meta);
    const next = Metadata.parse(bytes, "snapshot");
    next.verifyDelegate("snapshot", this.root.signed.roles.snapshot, this.root.signed.keys);
    if (next.signed.version !== meta.version) {
      throw new VerificationError("version", `snapshot version ${next.signed.version}, timestamp says ${meta.version}`);
    }
    for (const [name, old] of this.snapshot?.signed.meta ?? []) {
      const now = next.signed.meta.get(name);
      if (!now) throw new VerificationError("missing", `snapshot dropped ${name}`);
      if (now.version < old.version) throw new VerificationError("rollback", `${name} version ${now.version} < trusted ${old.version}`);
    }
    checkNotExpired("snapshot", next.signed.expires, this.now);
    this.snapshot = next;
    this.targets.clear();
    return next;
  }

  /** §5.6 and §5.7: `targets` is delegated by root; any other role by an already trusted targets role. */
  updateTargets(name: string, bytes: Uint8Array, delegator = "targets"): Metadata<Targets> {
    if (!this.snapshot) throw new VerificationError("invalid", "load snapshot before targets");
    const meta: MetaFile | undefined = this.snapshot.signed.meta.get(`${name}.json`);
    if (!meta) throw new VerificationError("missing", `snapshot does not list ${name}.json`);
    verifyFileAgainst(name, bytes, meta);
    const next = Metadata.parse(bytes, "targets");
    if (name === "targets") {
      next.verifyDelegate(name, this.root.signed.roles.targets, this.root.signed.keys);
    } else {
      const parent = this.targets.get(delegator)?.signed.delegations;
      if (!parent) throw new VerificationError("invalid", `${delegator} is not trusted or delegates nothing`);
      const role = parent.succinctRoles?.isBin(name) ? parent.succinctRoles : parent.roles?.find((r) => r.name === name);
      if (!role) throw new VerificationError("missing", `${delegator} does not delegate to ${name}`);
      next.verifyDelegate(name, role, parent.keys);
    }
    if (next.signed.version !== meta.version) {
      throw new VerificationError("version", `${name} version ${next.signed.version}, snapshot says ${meta.version}`);
    }
    checkNotExpired(name, next.signed.expires, this.now);
    this.targets.set(name, next);
    return next;
  }
}

/**
 * Fetches one metadata file by name (`timestamp.json`, `3.root.json`); null when it does not exist.
 * `maxLength` is the most it may download (a server must not make a client buffer without end): the
 * fetcher refuses a longer answer.
 */
export type FetchMetadata = (name: string, maxLength: number) => Promise<Uint8Array | null>;

/**
 * python-tuf's ngclient bounds (`UpdaterConfig`): the most a client downloads of a role whose
 * length nothing it trusts states, and how many new roots one refresh follows.
 */
export const MAX_LENGTH = { root: 512_000, timestamp: 16_384, snapshot: 2_000_000, targets: 5_000_000 } as const;
export const MAX_ROOT_ROTATIONS = 256;

/** The download bound of a targets role (targets, a bin): its signed length in snapshot, else MAX_LENGTH.targets. */
export function targetsMaxLength(trusted: TrustedMetadata, role: string): number {
  return trusted.snapshot?.signed.meta.get(`${role}.json`)?.length ?? MAX_LENGTH.targets;
}

/** A whole refresh (§5.3–§5.6): roots (at most MAX_ROOT_ROTATIONS), timestamp, snapshot, targets, then the named bins. */
export async function refresh(trustedRoot: Uint8Array | string, fetchMetadata: FetchMetadata, now: number, bins: readonly string[] = []) {
  const trusted = new TrustedMetadata(trustedRoot, now);
  const last = trusted.root.signed.version + MAX_ROOT_ROTATIONS;
  for (let n = trusted.root.signed.version + 1; n <= last; n++) {
    const bytes = await fetchMetadata(`${n}.root.json`, MAX_LENGTH.root);
    if (!bytes) break;
    trusted.updateRoot(bytes);
  }
  const ts = await fetchMetadata("timestamp.json", MAX_LENGTH.timestamp);
  if (!ts) throw new VerificationError("missing", "timestamp.json not found");
  trusted.updateTimestamp(ts);
  const get = async (name: string, maxLength: number) => {
    const bytes = await fetchMetadata(name, maxLength);
    if (!bytes) throw new VerificationError("missing", `${name} not found`);
    return bytes;
  };
  const snapshotMeta = trusted.timestamp!.signed.snapshotMeta;
  trusted.updateSnapshot(await get(`${snapshotMeta.version}.snapshot.json`, snapshotMeta.length ?? MAX_LENGTH.snapshot));
  const version = (role: string) => trusted.snapshot!.signed.meta.get(`${role}.json`)?.version;
  const load = async (role: string, delegator: string) => {
    const v = version(role);
    if (v === undefined) throw new VerificationError("missing", `snapshot does not list ${role}.json`);
    return trusted.updateTargets(role, await get(`${v}.${role}.json`, targetsMaxLength(trusted, role)), delegator);
  };
  const targets = await load("targets", "root");
  // PEP 480's layout: the three roles targets delegates to, then the bins through unclaimed.
  if (isProjectLayout(targets.signed)) for (const role of [CLAIMED, RECENTLY_CLAIMED, UNCLAIMED]) await load(role, "targets");
  for (const bin of bins) await load(bin, binsDelegator(trusted));
  return trusted;
}

/** The role that delegates to the hashed bins: targets, or unclaimed in PEP 480's layout (loaded by refresh). */
export const binsDelegator = (trusted: TrustedMetadata): string => (trusted.targets.has(UNCLAIMED) ? UNCLAIMED : "targets");

/**
 * The trusted entry of `path` and the role that lists it (spec §5.6.7, shared/target-search.ts),
 * fetching and verifying each role the search visits that is not trusted yet; null when no role
 * lists it. Needs a trusted snapshot (after `refresh`).
 */
export async function findTargetInfo(trusted: TrustedMetadata, fetchMetadata: FetchMetadata, path: string) {
  return searchTarget(path, async (role, delegator) => {
    const known = trusted.targets.get(role);
    if (known) return known.signed;
    const version = trusted.snapshot?.signed.meta.get(`${role}.json`)?.version;
    if (version === undefined) throw new VerificationError("missing", `snapshot does not list ${role}.json`);
    const bytes = await fetchMetadata(`${version}.${role}.json`, targetsMaxLength(trusted, role));
    if (!bytes) throw new VerificationError("missing", `${version}.${role}.json not found`);
    return trusted.updateTargets(role, bytes, delegator).signed;
  });
}
