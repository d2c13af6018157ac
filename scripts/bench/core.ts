import { allBinNames } from "../../shared/bins.js";
import { canonicalTargetsRole, scanTargetsRole } from "../../shared/canonical-targets.js";
import { fromUtf8, sha256HexNative } from "../../shared/encoding.js";
import type { Signer } from "../../shared/keys.js";
import { TargetFile } from "../../shared/metadata/files.js";
import { Targets } from "../../shared/metadata/targets.js";
import type { Config } from "../../worker/env.js";
import { type PublishContext, commit } from "../../worker/publish/commit.js";
import { signBody } from "../../worker/publish/plan.js";
import { loadState, roleVersion } from "../../worker/storage/repository.js";
import { type SourcedUpload, type UploadContext, publishUploads } from "../../worker/publish/uploads.js";
import { ContentStore } from "../../worker/storage/content.js";
import { gunzip, gzip } from "../../worker/storage/gzip.js";
import { MetadataStore, metadataKey } from "../../worker/storage/metadata-store.js";
import { MemoryBucket } from "../../test/support/memory-bucket.js";
import { seedRepository, syntheticTargets } from "./core-seed.js";
import { benchReleases } from "./releases.js";

/**
 * The publish core at the CPU limit: the real publishUploads() in Node over an in-memory bucket, no
 * R2 latency, no workerd. The same work as the python-tuf figure of issue 13: 1,000,000 targets in
 * 16,384 bins, then 20,000 more in batches of 2,000 (one upload per target). Also a full re-sign of
 * every bin the way the rotation job does it (commits of 2,048 bins), and a serial breakdown of
 * one bin rewrite into its steps.
 */
export interface CoreBenchOptions {
  bits?: number;
  seed?: number;
  batches?: number;
  batchSize?: number;
  resign?: boolean;
  /** Render-mode releases (dist + .metadata + both pages) and a 1,000-file project's release. */
  releases?: boolean;
  /** Time each step of a bin rewrite serially (default true; off in workerd, whose clock ticks in whole ms). */
  steps?: boolean;
  /** Projects released per batch in the render-mode part (default 500). */
  releaseProjects?: number;
  log?: (line: string) => void;
  /** Called as each part begins ("publish", "resign") and once at the end ("done"): to start and stop a profiler. */
  onPart?: (part: "publish" | "releases" | "resign" | "done") => Promise<void>;
}

const DAY_MS = 86_400_000;
const config: Config = {
  binsBitLength: 14, timestampExpiry: DAY_MS, snapshotExpiry: DAY_MS, binsExpiry: DAY_MS, retention: 3_600_000,
  timestampMaxAgeSeconds: 30, timestampRenewMargin: DAY_MS / 2, snapshotRenewMargin: DAY_MS / 2, uploadRetention: 7 * DAY_MS, pagesMode: "index", writerShards: 0,
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Serial timing of each step of a bin rewrite, on `names` (µs per bin, medians over the sample). */
async function binSteps(bucket: MemoryBucket, store: MetadataStore, signers: readonly Signer[], names: string[], version: (n: string) => number) {
  const steps: Record<string, number[]> = { get: [], gunzip: [], scan: [], spliceAndEncode: [], sign: [], gzip: [], sha256: [] };
  const now = Date.now();
  for (const name of names) {
    const target = syntheticTargets(1, `steps-${name}-`)[0]!;
    const change = { path: target.path, file: new TargetFile(target.length, target.hashes) };
    let t = performance.now();
    const lap = (step: string) => {
      const t2 = performance.now();
      steps[step]!.push((t2 - t) * 1000);
      t = t2;
    };
    const object = await bucket.get(metadataKey(`${version(name)}.${name}.json`));
    const gz = new Uint8Array(await object!.arrayBuffer());
    lap("get");
    const stored = gunzip(gz);
    lap("gunzip");
    const role = scanTargetsRole(fromUtf8(stored));
    lap("scan");
    const head = new Targets({ version: version(name) + 1, expires: now + DAY_MS, specVersion: role.head.specVersion, extra: role.head.extra });
    const body = canonicalTargetsRole(head, role.targets.with([{ path: change.path, file: change.file }]));
    lap("spliceAndEncode");
    const bytes = await signBody(body, signers);
    lap("sign");
    gzip(bytes, 1);
    lap("gzip");
    sha256HexNative(bytes);
    lap("sha256");
  }
  return Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, round(median(v), 1)]));
}

export async function benchCore(o: CoreBenchOptions = {}) {
  const bits = o.bits ?? 14;
  const seedCount = o.seed ?? 1_000_000;
  const batches = o.batches ?? 10;
  const batchSize = o.batchSize ?? 2_000;
  const log = o.log ?? (() => {});
  // The core alone, as fast as the CPU goes: more commits a second than R2 would take (its rules off).
  const bucket = new MemoryBucket({ rules: false });
  const store = new MetadataStore(bucket.asR2());

  let t = performance.now();
  const repo = await seedRepository(store, bits, seedCount, Date.now());
  const seedSeconds = (performance.now() - t) / 1000;
  log(`seeded ${seedCount} targets in ${2 ** bits} bins in ${seedSeconds.toFixed(1)} s`);

  // Where a commit's time goes, from the store's side: load and decide (reads every touched bin), bin
  // files (splice, sign, gzip, write), snapshot and timestamp (build, sign, write), then the swap.
  const marks = { firstBinWrite: 0, lastBinWrite: 0, swapStart: 0 };
  const create = store.create.bind(store);
  store.create = async (name, bytes) => {
    if (!name.includes(".snapshot.") && !marks.firstBinWrite) marks.firstBinWrite = performance.now();
    const ok = await create(name, bytes);
    if (!name.includes(".snapshot.")) marks.lastBinWrite = performance.now();
    return ok;
  };
  const swap = store.swapTimestamp.bind(store);
  store.swapTimestamp = async (...args) => {
    marks.swapStart = performance.now();
    return swap(...args);
  };

  // Index mode: plain dist uploads, as the python-tuf figure publishes (no pages rendered).
  const ctx: UploadContext = {
    store, signers: [repo.online], config: { ...config, binsBitLength: bits }, clock: () => Date.now(),
    packages: new MemoryBucket() as unknown as R2Bucket, content: new ContentStore(bucket as unknown as R2Bucket), pagesMode: "index",
  };
  const runs = [];
  await o.onPart?.("publish");
  for (let b = 0; b < batches; b++) {
    const uploads: SourcedUpload[] = syntheticTargets(batchSize, `b${b}-`).map((target, i) => ({ id: `b${b}-${i}`, targets: [target], remove: [], source: "webhook" }));
    Object.assign(marks, { firstBinWrite: 0, lastBinWrite: 0, swapStart: 0 });
    t = performance.now();
    const { results, committed } = await publishUploads(ctx, uploads);
    const end = performance.now();
    const ms = end - t;
    if ([...results.values()].some((r) => r.state !== "published")) throw new Error("an upload was rejected");
    const bins = committed!.bins.size;
    runs.push({
      targets: batchSize, bins, ms: round(ms, 1), targetsPerSecond: Math.round(batchSize / (ms / 1000)), msPerBin: round(ms / bins),
      phasesMs: {
        readAndDecide: round(marks.firstBinWrite - t, 1),
        bins: round(marks.lastBinWrite - marks.firstBinWrite, 1),
        snapshotAndTimestamp: round(marks.swapStart - marks.lastBinWrite, 1),
        swapAndRecord: round(end - marks.swapStart, 1),
      },
    });
    log(`batch ${b + 1}/${batches}: ${bins} bins in ${ms.toFixed(0)} ms (${runs.at(-1)!.targetsPerSecond} targets/s, ${runs.at(-1)!.msPerBin} ms per bin)`);
  }

  const state = (await loadState(store))!;
  const names = allBinNames(bits);
  const sample = names.filter((_, i) => i % Math.max(1, Math.floor(names.length / 200)) === 0);
  const perBinSteps = o.steps === false ? undefined : await binSteps(bucket, store, [repo.online], sample, (n) => roleVersion(state, n));

  let releases;
  if (o.releases !== false) {
    await o.onPart?.("releases");
    releases = await benchReleases({ store, bucket: bucket.asR2(), online: repo.online, config: { ...config, binsBitLength: bits }, projects: o.releaseProjects, log });
  }

  let resign;
  if (o.resign !== false) {
    await o.onPart?.("resign");
    t = performance.now();
    for (let i = 0; i < names.length; i += 2048) {
      await commit(ctx, async () => ({ plan: { bins: new Map(names.slice(i, i + 2048).map((n) => [n, []])) }, decision: null }));
    }
    const seconds = (performance.now() - t) / 1000;
    resign = { bins: names.length, seconds: round(seconds, 2), msPerBin: round((seconds * 1000) / names.length) };
    log(`re-signed all ${names.length} bins in ${seconds.toFixed(1)} s (${resign.msPerBin} ms per bin)`);
  }

  await o.onPart?.("done");
  const targetsPerSecond = median(runs.map((r) => r.targetsPerSecond));
  const msPerBin = median(runs.map((r) => r.msPerBin));
  return { store, online: repo.online, bits, seed: seedCount, batchSize, batches, seedSeconds: round(seedSeconds, 1), targetsPerSecond, msPerBin, runs, perBinStepsMicros: perBinSteps, releases, resign, r2Calls: bucket.calls };
}
