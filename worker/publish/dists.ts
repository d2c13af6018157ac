import { DistRefusal, inspectDist } from "../../shared/distribution/inspect.js";
import { sha256HexNative } from "../../shared/encoding.js";
import { metadataFileOf, projectOf, provenanceFileOf } from "../../shared/simple/index.js";
import type { UploadTarget } from "../../shared/upload.js";
import { PackageStore } from "../storage/packages.js";
import { BIN_CONCURRENCY, mapBounded } from "./commit.js";
import type { SourcedUpload, UploadContext } from "./uploads.js";

/** PEP 740 provenance files are a few KB of attestations. */
export const MAX_PROVENANCE_BYTES = 1024 * 1024;

/**
 * A provenance file stored in the packages bucket, as a mutable target (it gains attestations
 * after upload): its bytes staged in the content store, ordered by the second the bucket stored
 * this version (R2 takes one write a second per key). A string is the reason it cannot be; null
 * when nothing is stored there.
 */
export async function bucketProvenance(ctx: UploadContext, path: string): Promise<UploadTarget | string | null> {
  const object = await ctx.packages.get(path);
  if (!object) return null;
  if (object.size > MAX_PROVENANCE_BYTES) {
    await object.body.cancel();
    return `is ${object.size} bytes, past the bound of ${MAX_PROVENANCE_BYTES} for a provenance file`;
  }
  const stored = await ctx.content.put(new Uint8Array(await object.arrayBuffer()));
  return { path, length: stored.length, hashes: { sha256: stored.sha256 }, serial: Math.floor(object.uploaded.getTime() / 1000) };
}

/**
 * Render mode: every distribution a release lists is checked as PyPI checks an upload before
 * anything is signed (shared/distribution/inspect.ts), and a wheel's METADATA is published as its PEP 658
 * `.metadata` in the same commit: stored beside the wheel in the packages bucket (where the file
 * host serves it) and added to the upload. A `.metadata` that contradicts its wheel is refused.
 */
export async function inspectReleases(ctx: UploadContext, uploads: readonly SourcedUpload[], refuse: (u: SourcedUpload, path: string, reason: string) => void) {
  const packages = new PackageStore(ctx.packages);
  const extracted = new Map<string, Promise<Uint8Array | DistRefusal | null>>();
  /** A dist's METADATA (null: an sdist, or not stored), read once per batch. */
  const metadataOf = (path: string) => {
    if (!extracted.has(path)) {
      extracted.set(path, (async () => {
        const dist = await packages.dist(path);
        if (!dist) return null;
        try {
          return (await inspectDist(path, dist)).metadata;
        } catch (e) {
          if (e instanceof DistRefusal) return e;
          throw e;
        }
      })());
    }
    return extracted.get(path)!;
  };
  const out: SourcedUpload[] = [];
  for (const u of uploads) {
    if (ctx.pagesMode !== "render" || u.source === "import") {
      out.push(u);
      continue;
    }
    const added: UploadTarget[] = [];
    await mapBounded([...u.targets], BIN_CONCURRENCY, async (t) => {
      if (!projectOf(t.path) || provenanceFileOf(t.path)) return;
      const dist = metadataFileOf(t.path);
      const found = await metadataOf(dist ?? t.path);
      if (found instanceof DistRefusal) return refuse(u, t.path, `${dist ? "its distribution " : ""}is not a valid distribution: it ${found.message}`);
      if (dist) {
        if (!dist.endsWith(".whl")) return;
        if (!found) return refuse(u, t.path, "has no wheel stored beside it: tuf-edge extracts a wheel's .metadata itself");
        if (sha256HexNative(found) !== t.hashes.sha256 || found.length !== t.length) refuse(u, t.path, "contradicts the METADATA inside its wheel");
        return;
      }
      // Provenance stored beside the dist is published with it.
      if (u.source !== "webhook" || !u.targets.some((o) => o.path === `${t.path}.provenance`)) {
        const provenance = await bucketProvenance(ctx, `${t.path}.provenance`);
        if (typeof provenance === "string") return refuse(u, t.path, `its .provenance ${provenance}`);
        if (provenance && !u.targets.some((o) => o.path === provenance.path)) added.push(provenance);
      }
      if (!found) return;
      const path = `${t.path}.metadata`;
      const target = { path, length: found.length, hashes: { sha256: sha256HexNative(found) } };
      const sent = u.targets.find((o) => o.path === path);
      if (sent && sent.hashes.sha256 !== target.hashes.sha256) return refuse(u, t.path, "the .metadata sent with it contradicts the METADATA inside the wheel");
      if (!(await packages.create(path, found))) {
        const stored = await packages.hash(path);
        if (stored && stored.sha256 !== target.hashes.sha256) return refuse(u, t.path, `the packages bucket holds a ${path.slice(path.lastIndexOf("/") + 1)} that contradicts the METADATA inside the wheel`);
      }
      if (!sent) added.push(target);
    });
    out.push(added.length ? { ...u, targets: [...u.targets, ...added] } : u);
  }
  return out;
}
