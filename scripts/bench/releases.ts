import { createHash } from "node:crypto";
import type { Signer } from "../../shared/keys.js";
import { type PageFile, fileUrl, parseJsonPage, renderPages, withFiles } from "../../shared/simple/index.js";
import type { Config } from "../../worker/env.js";
import { type SourcedUpload, type UploadContext, publishUploads } from "../../worker/publish/uploads.js";
import { ContentStore } from "../../worker/storage/content.js";
import type { MetadataStore } from "../../worker/storage/metadata-store.js";
import { MemoryBucket } from "../../test/support/memory-bucket.js";
import { buildWheel } from "../../test/support/wheel.js";

/**
 * Releases in render mode (issue 11, §5), on the repository the core bench seeded: each release is a
 * wheel and its PEP 658 .metadata, and the commit re-renders and signs the project's two pages (four
 * bins a release). Then the cost of one release of a project that already lists 1,000 files.
 */

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const sha256b = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

const packages = new MemoryBucket();
const storing: Promise<unknown>[] = [];

/** A release: a real wheel stored in the packages bucket; tuf-edge checks it and publishes its METADATA as its .metadata. */
function release(project: string, version: string, salt: string): SourcedUpload {
  const wheel = buildWheel(project, version, { extra: salt });
  const path = `packages/${sha256(project).slice(0, 2)}/${project}/${wheel.filename}`;
  storing.push(packages.asR2().put(path, wheel.bytes));
  return { id: `${salt}${project}-${version}`, targets: [{ path, length: wheel.bytes.length, hashes: { sha256: sha256b(wheel.bytes) } }], remove: [], source: "webhook" };
}

export async function benchReleases(
  o: { store: MetadataStore; bucket: R2Bucket; online: Signer; config: Config; projects?: number; batches?: number; log: (line: string) => void },
) {
  const projects = o.projects ?? 500;
  const ctx: UploadContext = {
    store: o.store, signers: [o.online], config: o.config, clock: () => Date.now(),
    packages: packages.asR2(), content: new ContentStore(o.bucket), pagesMode: "render",
  };
  const names = Array.from({ length: projects }, (_, i) => `proj${i}`);
  const publish = async (uploads: SourcedUpload[]) => {
    await Promise.all(storing.splice(0));
    const t = performance.now();
    const { results, committed } = await publishUploads(ctx, uploads);
    const refused = [...results.values()].find((r) => r.state !== "published");
    if (refused) throw new Error(`a release was rejected: ${JSON.stringify(refused.rejected[0])}`);
    return { ms: performance.now() - t, bins: committed?.bins.size ?? 0 };
  };
  // Every project gets its first release (and so its pages) before anything is timed.
  await publish(names.map((p) => release(p, "1.0", "seed-")));

  const runs = [];
  for (let b = 0; b < (o.batches ?? 3); b++) {
    const { ms, bins } = await publish(names.map((p) => release(p, `2.${b}`, `r${b}-`)));
    runs.push({ releases: projects, bins, ms: round(ms), releasesPerSecond: Math.round(projects / (ms / 1000)) });
    o.log(`releases ${b + 1}: ${projects} releases (${bins} bins) in ${ms.toFixed(0)} ms: ${runs.at(-1)!.releasesPerSecond} releases/s`);
  }

  // A project with 1,000 files: 999 in one commit, then one more release, timed; and the page alone.
  const first = release("big", "0.0", "big-");
  await publish([{ ...first, targets: [first.targets[0]!, ...Array.from({ length: 998 }, (_, i) => release("big", `0.${i + 1}`, "big-").targets[0]!)] }]);
  const big = await publish([release("big", "1.0", "big1-")]);
  const files: PageFile[] = Array.from({ length: 1000 }, (_, i) => ({
    filename: `big-0.${i}-py3-none-any.whl`, url: fileUrl(`packages/x/big/big-0.${i}-py3-none-any.whl`),
    hashes: { sha256: sha256(String(i)) }, size: 1000, uploadTime: "2026-11-29T00:00:00Z",
  }));
  const page = renderPages(withFiles(null, "big", files, [])!);
  const renders: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const next = withFiles(parseJsonPage(page.json), "big", [{ ...files[0]!, filename: "big-9.0-py3-none-any.whl" }], []);
    renderPages(next!);
    renders.push(performance.now() - t);
  }
  const renderMs = round([...renders].sort((a, b) => a - b)[2]!);
  o.log(`a release of a project with 1,000 files: ${big.ms.toFixed(0)} ms for the commit (${big.bins} bins); its page parsed, edited and rendered in ${renderMs} ms`);
  const releasesPerSecond = [...runs.map((r) => r.releasesPerSecond)].sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
  return { projects, runs, releasesPerSecond, bigProject: { files: 1000, commitMs: round(big.ms), pageRenderMs: renderMs, pageBytes: { html: page.html.length, json: page.json.length } } };
}
