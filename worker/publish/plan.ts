import { canonicalJson } from "../../shared/canonical.js";
import { type CanonicalTargets, type ScannedTargetsRole, canonicalTargetsRole } from "../../shared/canonical-targets.js";
import { sha256HexNative, toHex, utf8 } from "../../shared/encoding.js";
import type { Signer } from "../../shared/keys.js";
import { MetaFile, type TargetFile } from "../../shared/metadata/files.js";
import { Metadata, type Signature, type Signed } from "../../shared/metadata/metadata.js";
import { Snapshot } from "../../shared/metadata/snapshot.js";
import { Targets } from "../../shared/metadata/targets.js";
import { Timestamp } from "../../shared/metadata/timestamp.js";
import { type Removal, extraAfter } from "../../shared/mutable.js";

/**
 * The pure half of every writer (publish, bootstrap, renewal, re-sign, rotation): given what the
 * repository holds and what changes, the bytes of the files to write. No storage here; commit.ts
 * reads, writes create-if-absent and swaps the timestamp. Signing is the only effect, and Ed25519
 * is deterministic, so equal inputs give equal bytes.
 */

/** One change to a bin: the file now at `path`, or null to remove it (remembered as `removal`, shared/mutable.ts). */
export interface BinChange {
  readonly path: string;
  readonly file: TargetFile | null;
  readonly removal?: Removal;
}

/** Signs canonical `signed` text: the served envelope, in canonical order ("signatures" < "signed"), and the signatures. */
async function signed(body: string, signers: readonly Signer[]): Promise<{ bytes: Uint8Array; signatures: Signature[] }> {
  const bytes = utf8(body);
  const signatures = await Promise.all(signers.map(async (s) => ({ keyid: s.key.keyid, sig: toHex(await s.sign(bytes)) })));
  // The body is encoded once: the envelope is its bytes between a head and a closing brace.
  const head = utf8(`{"signatures":${canonicalJson(signatures)},"signed":`);
  const file = new Uint8Array(head.length + bytes.length + 1);
  file.set(head);
  file.set(bytes, head.length);
  file[file.length - 1] = 0x7d; // }
  return { bytes: file, signatures };
}

/** Signs canonical `signed` text and returns the served envelope. */
export const signBody = async (body: string, signers: readonly Signer[]): Promise<Uint8Array> => (await signed(body, signers)).bytes;

/** Signs `signed` and returns the served bytes, encoding the canonical JSON once. */
export const signFile = (role: Signed, signers: readonly Signer[]): Promise<Uint8Array> => signBody(canonicalJson(role.toJSON()), signers);

/** Signs `role` and returns the served bytes with the signed metadata they hold (for a cache of parsed files). */
export async function signMetadata<T extends Signed>(role: T, signers: readonly Signer[]): Promise<{ bytes: Uint8Array; metadata: Metadata<T> }> {
  const { bytes, signatures } = await signed(canonicalJson(role.toJSON()), signers);
  return { bytes, metadata: new Metadata(role, signatures) };
}

export interface PlannedBin {
  readonly bytes: Uint8Array;
  /** What the new version holds, for the cache (storage/repository.ts) so the next change to this bin splices again. */
  readonly role: ScannedTargetsRole;
}

/**
 * A bin's next version: its current entries with `changes` spliced in, signed. An empty list of
 * changes renews the bin (same targets, new version and expiry).
 */
export async function planBin(
  current: ScannedTargetsRole,
  changes: readonly BinChange[],
  version: number,
  expires: number,
  signers: readonly Signer[],
): Promise<PlannedBin> {
  const old = current.head;
  const extra = extraAfter(old.extra, changes);
  const head = new Targets({ version, expires, specVersion: old.specVersion, extra, delegations: old.delegations });
  const targets: CanonicalTargets = current.targets.with(changes);
  const bytes = await signBody(canonicalTargetsRole(head, targets), signers);
  return { bytes, role: { head, targets } };
}

export interface SnapshotFields {
  readonly version: number;
  readonly expires: number;
  /** New versions of targets roles, by role name (`targets`, `bins-0a3f`). */
  readonly roles: Iterable<readonly [string, number]>;
}

/**
 * The next snapshot (python-tuf's do_snapshot): the previous one's meta with the given roles at
 * their new versions. Version-only entries: clients need no length or hashes for targets roles, and
 * a role is never dropped (invariant 3). `previous` is null at bootstrap.
 */
export function buildSnapshot(previous: Snapshot | null, f: SnapshotFields): Snapshot {
  const meta = new Map(previous?.meta);
  for (const [role, version] of f.roles) meta.set(`${role}.json`, new MetaFile(version));
  return new Snapshot({ version: f.version, expires: f.expires, specVersion: previous?.specVersion, extra: previous?.extra, meta });
}

/** What timestamp.json says of a snapshot file: version, length and SHA-256 of its bytes. */
export const snapshotMetaOf = (version: number, bytes: Uint8Array): MetaFile =>
  new MetaFile(version, bytes.length, { sha256: sha256HexNative(bytes) });

/** The next timestamp (python-tuf's do_timestamp): it names exactly one snapshot. `previous` is null at bootstrap. */
export function buildTimestamp(previous: Timestamp | null, f: { version: number; expires: number; snapshotMeta: MetaFile }): Timestamp {
  return new Timestamp({ ...f, specVersion: previous?.specVersion, extra: previous?.extra });
}
