import { sha256Hex } from "../../shared/encoding.js";
import type { TargetFile } from "../../shared/metadata/files.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import type { Snapshot } from "../../shared/metadata/snapshot.js";
import type { Targets } from "../../shared/metadata/targets.js";
import type { Timestamp } from "../../shared/metadata/timestamp.js";
import { gunzip } from "../storage/gzip.js";
import { metadataKey } from "../storage/metadata-store.js";
import { parseMetadataName } from "./metadata-name.js";
import { WeightedLru } from "./weighted-lru.js";

/** A target as the current timestamp publishes it: the role that lists it, and the versions on the way. */
export interface PublishedTarget {
  readonly path: string;
  readonly role: string;
  readonly roleVersion: number;
  readonly snapshotVersion: number;
  readonly file: TargetFile;
}

/** Metadata that refers to a file that is not stored, or a role that snapshot does not list. */
export class InconsistentRepository extends Error {
  override readonly name = "InconsistentRepository";
}

/** Clients visit at most 32 roles per look-up (python-tuf, tuf-js `maxDelegations`). */
const MAX_DELEGATIONS = 32;
/** A parsed file holds a few times the bytes of its JSON. */
const PARSED_BYTES_PER_JSON_BYTE = 4;

// Module memory, per isolate. Versioned files are immutable (architecture.md, invariant 2), so a
// name stands for one content for good; only timestamp.json changes, and it is re-read every time.
const parsed = new WeightedLru<Snapshot | Targets>(32 * 1024 * 1024);
const loading = new Map<string, Promise<Snapshot | Targets>>();
let lastTimestamp: { readonly etag: string; readonly timestamp: Timestamp } | null = null;

/**
 * The current timestamp, or null before bootstrap. One R2 read; when timestamp.json has not changed
 * since the last call, a conditional one that transfers and parses nothing.
 */
export async function currentTimestamp(bucket: R2Bucket): Promise<Timestamp | null> {
  const memo = lastTimestamp;
  const object = await bucket.get(metadataKey("timestamp.json"), memo ? { onlyIf: { etagDoesNotMatch: memo.etag } } : {});
  if (!object) return null;
  if (!("body" in object)) return memo!.timestamp;
  const bytes = await gunzip(new Uint8Array(await object.arrayBuffer()));
  const timestamp = Metadata.parse(bytes, "timestamp").signed;
  lastTimestamp = { etag: object.etag, timestamp };
  return timestamp;
}

async function readVersioned(bucket: R2Bucket, name: string, type: "snapshot" | "targets"): Promise<Snapshot | Targets> {
  const hit = parsed.get(name) ?? loading.get(name);
  if (hit) return hit;
  const load = (async () => {
    const object = await bucket.get(metadataKey(name));
    if (!object) throw new InconsistentRepository(`${name} is referred to but not stored`);
    const bytes = await gunzip(new Uint8Array(await object.arrayBuffer()));
    const signed = Metadata.parse(bytes, type).signed;
    parsed.set(name, signed, bytes.length * PARSED_BYTES_PER_JSON_BYTE);
    return signed;
  })().finally(() => loading.delete(name));
  loading.set(name, load);
  return load;
}

export const readSnapshot = async (bucket: R2Bucket, version: number) =>
  (await readVersioned(bucket, `${version}.snapshot.json`, "snapshot")) as Snapshot;

export const readTargets = async (bucket: R2Bucket, role: string, version: number) =>
  (await readVersioned(bucket, `${version}.${role}.json`, "targets")) as Targets;

/**
 * Where the current repository lists `path`, found the way clients search (spec §5.6.7: pre-order
 * depth-first through the delegations, terminating roles ending the search, at most 32 roles). With
 * succinct hashed bins that is targets, then the one bin `binFor(path)`. Null when not published.
 */
export async function findTarget(bucket: R2Bucket, path: string): Promise<PublishedTarget | null> {
  const timestamp = await currentTimestamp(bucket);
  if (!timestamp) return null;
  const snapshotVersion = timestamp.snapshotMeta.version;
  const snapshot = await readSnapshot(bucket, snapshotVersion);
  let pathHash: string | undefined;
  const hashOfPath = () => (pathHash ??= sha256Hex(path));

  const toVisit = ["targets"];
  const visited = new Set<string>();
  while (toVisit.length > 0 && visited.size < MAX_DELEGATIONS) {
    const role = toVisit.pop()!;
    if (visited.has(role)) continue;
    visited.add(role);
    const meta = snapshot.meta.get(`${role}.json`);
    if (!meta) throw new InconsistentRepository(`snapshot ${snapshotVersion} does not list ${role}.json`);
    // Role names come from signed metadata; still, only names the read path would serve become keys.
    if (!parseMetadataName(`${meta.version}.${role}.json`)) continue;
    const targets = await readTargets(bucket, role, meta.version);
    const file = targets.targets.get(path);
    if (file) return { path, role, roleVersion: meta.version, snapshotVersion, file };

    const delegations = targets.delegations;
    if (!delegations) continue;
    const children: string[] = [];
    if (delegations.succinctRoles) {
      children.push(delegations.succinctRoles.binFor(path));
    } else {
      for (const delegated of delegations.roles ?? []) {
        if (!delegated.isDelegatedPath(path, hashOfPath)) continue;
        children.push(delegated.name);
        if (delegated.terminating) {
          toVisit.length = 0;
          break;
        }
      }
    }
    toVisit.push(...children.reverse());
  }
  return null;
}
