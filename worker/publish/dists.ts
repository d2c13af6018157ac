import { DistRefusal, inspectDist } from "../../shared/distribution/inspect.js";
import { sha256HexNative } from "../../shared/encoding.js";
import { metadataFileOf, projectOf, provenanceFileOf } from "../../shared/simple/index.js";
import type { UploadTarget } from "../../shared/upload.js";
import type { ContentStore } from "../storage/content.js";
import { PackageStore } from "../storage/packages.js";
import type { BinWork, DistCheck, DistFinding } from "./bin-work.js";
import { BIN_CONCURRENCY, mapBounded } from "./bounded.js";
import type { SourcedUpload } from "./decide.js";

/** PEP 740 provenance files are a few KB of attestations. */
export const MAX_PROVENANCE_BYTES = 1024 * 1024;

/**
 * A provenance file stored in the packages bucket, as a mutable target (it gains attestations
 * after upload): its bytes staged in the content store, ordered by the second the bucket stored
 * this version (R2 takes one write a second per key). A string is the reason it cannot be; null
 * when nothing is stored there.
 */
export async function bucketProvenance(stores: { packages: R2Bucket; content: ContentStore }, path: string): Promise<UploadTarget | string | null> {
  const object = await stores.packages.get(path);
  if (!object) return null;
  if (object.size > MAX_PROVENANCE_BYTES) {
    await object.body.cancel();
    return `is ${object.size} bytes, past the bound of ${MAX_PROVENANCE_BYTES} for a provenance file`;
  }
  const stored = await stores.content.put(new Uint8Array(await object.arrayBuffer()));
  return { path, length: stored.length, hashes: { sha256: stored.sha256 }, serial: Math.floor(object.uploaded.getTime() / 1000) };
}

/**
 * Checks one dist (or `.metadata`) of a release: the dist's archive, its METADATA stored beside it
 * and added as its `.metadata`, and its stored `.provenance` added. Runs in the consumer or in a
 * shard (bin-shards.ts), each with its own six subrequests in flight.
 */
export async function checkDist(stores: { packages: R2Bucket; content: ContentStore }, check: DistCheck): Promise<DistFinding> {
  const packages = new PackageStore(stores.packages);
  const t = check.target;
  const dist = metadataFileOf(t.path);
  const found = await metadataOf(packages, dist ?? t.path);
  if (found instanceof DistRefusal) return { refusal: `${dist ? "its distribution " : ""}is not a valid distribution: it ${found.message}` };
  if (dist) {
    if (!dist.endsWith(".whl")) return { added: [] };
    if (!found) return { refusal: "has no wheel stored beside it: tuf-edge extracts a wheel's .metadata itself" };
    if (sha256HexNative(found) !== t.hashes.sha256 || found.length !== t.length) return { refusal: "contradicts the METADATA inside its wheel" };
    return { added: [] };
  }
  const added: UploadTarget[] = [];
  // Provenance stored beside the dist is published with it.
  if (check.lookForProvenance) {
    const provenance = await bucketProvenance(stores, `${t.path}.provenance`);
    if (typeof provenance === "string") return { refusal: `its .provenance ${provenance}` };
    if (provenance) added.push(provenance);
  }
  if (!found) return { added };
  const path = `${t.path}.metadata`;
  const target = { path, length: found.length, hashes: { sha256: sha256HexNative(found) } };
  if (check.sentMetadata && check.sentMetadata !== target.hashes.sha256) return { refusal: "the .metadata sent with it contradicts the METADATA inside the wheel" };
  if (!(await packages.create(path, found))) {
    const stored = await packages.hash(path);
    if (stored && stored.sha256 !== target.hashes.sha256) return { refusal: `the packages bucket holds a ${path.slice(path.lastIndexOf("/") + 1)} that contradicts the METADATA inside the wheel` };
  }
  if (!check.sentMetadata) added.push(target);
  return { added };
}

/** A dist's METADATA (null: an sdist, or not stored), or why the archive is refused. */
async function metadataOf(packages: PackageStore, path: string): Promise<Uint8Array | DistRefusal | null> {
  const dist = await packages.dist(path);
  if (!dist) return null;
  try {
    return (await inspectDist(path, dist)).metadata;
  } catch (e) {
    if (e instanceof DistRefusal) return e;
    throw e;
  }
}

/**
 * Render mode: every distribution a release lists is checked as PyPI checks an upload before
 * anything is signed (shared/distribution/inspect.ts), and a wheel's METADATA is published as its PEP 658
 * `.metadata` in the same commit: stored beside the wheel in the packages bucket (where the file
 * host serves it) and added to the upload. A `.metadata` that contradicts its wheel is refused.
 */
export async function inspectReleases(ctx: { pagesMode: "render" | "index"; packages: R2Bucket; content: ContentStore; bins?: BinWork }, uploads: readonly SourcedUpload[], refuse: (u: SourcedUpload, path: string, reason: string) => void) {
  const checks: { u: SourcedUpload; check: DistCheck }[] = [];
  for (const u of uploads) {
    if (ctx.pagesMode !== "render" || u.source === "import") continue;
    for (const t of u.targets) {
      if (!projectOf(t.path) || provenanceFileOf(t.path)) continue;
      const sentMetadata = u.targets.find((o) => o.path === `${t.path}.metadata`)?.hashes.sha256;
      const lookForProvenance = !metadataFileOf(t.path) && !(u.source === "webhook" && u.targets.some((o) => o.path === `${t.path}.provenance`));
      checks.push({ u, check: { target: t, ...(sentMetadata && { sentMetadata }), lookForProvenance } });
    }
  }
  // Each check reads the archive by range and may store its METADATA: fanned out to the shards.
  const findings = ctx.bins?.checkDists
    ? await ctx.bins.checkDists(checks.map((c) => c.check))
    : await mapBounded(checks, BIN_CONCURRENCY, ({ check }) => checkDist(ctx, check));
  const added = new Map<SourcedUpload, UploadTarget[]>();
  checks.forEach(({ u, check }, i) => {
    const f = findings[i]!;
    if ("refusal" in f) return refuse(u, check.target.path, f.refusal);
    for (const t of f.added) {
      const list = added.get(u) ?? added.set(u, []).get(u)!;
      if (!u.targets.some((o) => o.path === t.path) && !list.some((o) => o.path === t.path)) list.push(t);
    }
  });
  return uploads.map((u) => (added.get(u)?.length ? { ...u, targets: [...u.targets, ...added.get(u)!] } : u));
}
