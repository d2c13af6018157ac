import http from "node:http";
import { randomBytes } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { allBinNames } from "../../shared/bins.js";
import { decodeDcz, encodeDcz, sha256 } from "../../shared/delta/dcz.js";
import { formatAvailableDictionary } from "../../shared/delta/headers.js";
import type { Zstd } from "../../shared/delta/zstd.js";
import { sha256Hex } from "../../shared/encoding.js";
import { type Signer, ed25519Signer, randomSeed } from "../../shared/keys.js";
import { MetaFile, TargetFile } from "../../shared/metadata/files.js";
import { Snapshot } from "../../shared/metadata/snapshot.js";
import { Targets } from "../../shared/metadata/targets.js";
import { Timestamp } from "../../shared/metadata/timestamp.js";
import { signFile } from "../../worker/publish/commit.js";
import { MetadataStore } from "../../worker/storage/metadata-store.js";
import { loadZstd } from "../lib/delta.js";
import { startLocalWorker } from "../lib/local-worker.js";

/**
 * Delta updates (issue 15, docs/delta.md): the bytes a returning client downloads per refresh as
 * identity (python-tuf sends no Accept-Encoding), gzip (tuf-js, browsers) and dcz (RFC 9842, our
 * DeltaFetcher), the CPU cost of making and decoding a dcz body, and the Worker's requests per second
 * serving one. Metadata is synthesized and signed in memory (16,384 bins; a bin holds targets/16,384
 * entries), as scripts/bench/installer-bytes.ts does.
 *
 * The renewal schedule (README, "Renewal and retention") re-signs ~114 consecutive bins every 5
 * minutes, each bin once per 12 h; every run is a new snapshot. So a client behind by
 * - 1 minute sees the commit's changes only,
 * - 1 hour sees them plus 12 renewal runs (1,368 consecutive bins),
 * - 1 day sees every bin renewed twice: every entry of the snapshot differs.
 */
const BITS = 14;
const BINS = 2 ** BITS;
const RENEWED_PER_RUN = Math.round(BINS / 144);
const DAY = 86_400_000;

export interface Sizes {
  readonly identity: number;
  readonly gzip: number;
  readonly dcz: number;
  /** What the Worker sends a dcz client: dcz when smaller than gzip, else gzip. */
  readonly served: number;
}
export interface Costs {
  /** Server: zstd level 3 against the dictionary, plus the dcz frame (median, ms). */
  readonly encodeMs: number;
  /** Client: decode, check the content hash (median, ms). */
  readonly decodeMs: number;
  /** Client, for comparison: gunzip (median, ms). */
  readonly gunzipMs: number;
}
export interface SnapshotCase extends Sizes, Costs {
  readonly changedBins: number;
  readonly behind: string;
  readonly entriesChanged: number;
}
export interface BinCase extends Sizes, Costs {
  readonly targets: number;
  readonly targetsPerBin: number;
}
export interface Refresh {
  readonly targets: number;
  readonly identity: number;
  readonly gzip: number;
  readonly dcz: number;
}
export interface Throughput {
  readonly file: string;
  readonly encoding: string;
  readonly bodyBytes: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
}
export interface DeltaResult {
  readonly timestampGzip: number;
  readonly snapshots: readonly SnapshotCase[];
  readonly bins: readonly BinCase[];
  readonly refresh: readonly Refresh[];
  /** The first dcz request of a pair computes it: the snapshot's (first in the isolate), the bin's. */
  readonly firstDczRequestMs: { readonly snapshot: number; readonly bin: number };
  readonly readPath: readonly Throughput[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function timeMs(runs: number, f: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    times.push(performance.now() - t);
  }
  return median(times);
}
async function timeMsAsync(runs: number, f: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  return median(times);
}

async function measure(zstd: Zstd, old: Uint8Array, next: Uint8Array, runs: number): Promise<Sizes & Costs> {
  const hashes = { dictionary: await sha256(old), content: await sha256(next) };
  const gzip = gzipSync(next, { level: 6 });
  const dcz = encodeDcz(zstd, next, old, hashes);
  const decoded = await decodeDcz(zstd, dcz, old, hashes.dictionary, 1 << 26);
  if (sha256Hex(decoded) !== sha256Hex(next)) throw new Error("dcz round trip failed");
  return {
    identity: next.length,
    gzip: gzip.length,
    dcz: dcz.length,
    served: Math.min(dcz.length, gzip.length),
    encodeMs: timeMs(runs, () => encodeDcz(zstd, next, old, hashes)),
    decodeMs: await timeMsAsync(runs, () => decodeDcz(zstd, dcz, old, hashes.dictionary, 1 << 26)),
    gunzipMs: timeMs(runs, () => gunzipSync(gzip)),
  };
}

/** A PyPI-like target entry, as in installer-bytes.ts. */
function target(i: number): [string, TargetFile] {
  const h = randomBytes(32).toString("hex");
  const path = `packages/${h.slice(0, 2)}/${h.slice(2, 4)}/${h.slice(4, 60)}/project${i}-${1 + (i % 40)}.${i % 10}.0-py3-none-any.whl`;
  return [path, new TargetFile(1000 + Math.floor(Math.random() * 5_000_000), { sha256: randomBytes(32).toString("hex") })];
}

const snapshotFile = (signer: Signer, version: number, expires: number, versions: readonly number[]) =>
  signFile(
    new Snapshot({
      version,
      expires,
      meta: new Map([["targets.json", new MetaFile(3)], ...allBinNames(BITS).map((b, i): [string, MetaFile] => [`${b}.json`, new MetaFile(versions[i]!)])]),
    }),
    [signer],
  );

/** The bin versions a client `behind` ms late has not seen: the commit's bins plus the renewal runs since. */
function advance(versions: readonly number[], changedBins: number, behind: string): number[] {
  const next = [...versions];
  const runs = behind === "1 minute" ? 0 : behind === "1 hour" ? 12 : 2 * 144;
  const start = Math.floor(Math.random() * BINS);
  for (let r = 0; r < runs * RENEWED_PER_RUN; r++) next[(start + r) % BINS]! += 1;
  for (const i of new Set(Array.from({ length: changedBins }, () => Math.floor(Math.random() * BINS)))) next[i]! += 1;
  return next;
}

const request = (agent: http.Agent, url: string, headers: Record<string, string>) =>
  new Promise<{ status: number; bytes: number }>((resolve, reject) => {
    http.get(url, { agent, headers }, (res) => {
      let bytes = 0;
      res.on("data", (c: Buffer) => (bytes += c.length));
      res.on("end", () => resolve({ status: res.statusCode!, bytes }));
      res.on("error", reject);
    }).on("error", reject);
  });

/** Keep-alive GET loop (as in read-path.ts) with fixed headers; returns req/s, p50 and body size. */
async function load(url: string, headers: Record<string, string>, seconds: number, concurrency = 16) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const get = () => request(agent, url, headers);
  try {
    for (let i = 0; i < 100; i++) await get();
    const latencies: number[] = [];
    let bodyBytes = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() - start < seconds * 1000) {
          const t = performance.now();
          const res = await get();
          if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
          bodyBytes = res.bytes;
          latencies.push(performance.now() - t);
        }
      }),
    );
    const elapsed = (performance.now() - start) / 1000;
    return { bodyBytes, requestsPerSecond: latencies.length / elapsed, p50Ms: median(latencies) };
  } finally {
    agent.destroy();
  }
}

export interface DeltaOptions {
  readonly sizes?: readonly number[];
  /** Seconds per read-path row. Default 3. */
  readonly seconds?: number;
  /** Repetitions per CPU timing. Default 5. */
  readonly runs?: number;
  readonly log?: (line: string) => void;
}

/** Needs the Worker bundle (bundleWorker()) for the read-path rows. */
export async function benchDelta(options: DeltaOptions = {}): Promise<DeltaResult> {
  const sizes = options.sizes ?? [100_000, 1_000_000, 10_000_000];
  const runs = options.runs ?? 5;
  const log = options.log ?? (() => {});
  const zstd = await loadZstd();
  const signer = await ed25519Signer(randomSeed());
  const now = Date.now();

  const timestamp = await signFile(
    new Timestamp({ version: 1_000_100, expires: now + DAY, snapshotMeta: new MetaFile(1_000_001, 570_000, { sha256: "ab".repeat(32) }) }),
    [signer],
  );
  const timestampGzip = gzipSync(timestamp).length;

  // Bins re-signed for a year: versions in the hundreds to thousands (installer-bytes.ts).
  const base = Array.from({ length: BINS }, () => 730 + Math.floor(Math.random() * 1500));
  const old = await snapshotFile(signer, 1_000_000, now + DAY, base);
  const snapshots: SnapshotCase[] = [];
  const stored: Record<string, Uint8Array> = { "1000000.snapshot.json": old };
  for (const behind of ["1 minute", "1 hour", "1 day"]) {
    for (const changedBins of [1, 100, 2000]) {
      const versions = advance(base, changedBins, behind);
      const next = await snapshotFile(signer, 1_000_001, now + DAY + 60_000, versions);
      if (behind === "1 minute" && changedBins === 1) stored["1000001.snapshot.json"] = next;
      const entriesChanged = versions.filter((v, i) => v !== base[i]).length;
      snapshots.push({ behind, changedBins, entriesChanged, ...(await measure(zstd, old, next, runs)) });
      const s = snapshots.at(-1)!;
      log(`snapshot, ${behind} behind, commit of ${changedBins} bins (${entriesChanged} entries differ): gzip ${s.gzip} B, dcz ${s.dcz} B, encode ${s.encodeMs.toFixed(1)} ms, decode ${s.decodeMs.toFixed(1)} ms`);
    }
  }

  const bins: BinCase[] = [];
  const refresh: Refresh[] = [];
  const snapshot1 = snapshots.find((s) => s.behind === "1 minute" && s.changedBins === 1)!;
  for (const targets of sizes) {
    const perBin = Math.max(1, Math.round(targets / BINS));
    const entries = Array.from({ length: perBin }, (_, i) => target(i));
    const oldBin = await signFile(new Targets({ version: 731, expires: now + DAY, targets: new Map(entries) }), [signer]);
    const nextBin = await signFile(new Targets({ version: 732, expires: now + DAY + 60_000, targets: new Map([...entries, target(perBin)]) }), [signer]);
    if (targets === 1_000_000 || sizes.length === 1) Object.assign(stored, { "731.bins-0abc.json": oldBin, "732.bins-0abc.json": nextBin });
    const b = { targets, targetsPerBin: perBin, ...(await measure(zstd, oldBin, nextBin, runs)) };
    bins.push(b);
    log(`bin of ${perBin} targets (${targets} in all), one target added: gzip ${b.gzip} B, dcz ${b.dcz} B, encode ${b.encodeMs.toFixed(2)} ms`);
    refresh.push({
      targets,
      identity: timestamp.length + snapshot1.identity + b.identity,
      gzip: timestampGzip + snapshot1.gzip + b.gzip,
      dcz: timestampGzip + snapshot1.served + b.served,
    });
  }

  // The read path: the Worker in workerd answering dcz (after the first request, from the Cache API).
  const w = await startLocalWorker({ queueConsumer: false });
  const readPath: Throughput[] = [];
  const firstDczRequestMs = { snapshot: 0, bin: 0 };
  try {
    const store = new MetadataStore(await w.metadata());
    for (const [name, bytes] of Object.entries(stored)) await store.create(name, bytes);
    const rows: [string, string, string][] = [["snapshot", "1000000.snapshot.json", "1000001.snapshot.json"], ["bin", "731.bins-0abc.json", "732.bins-0abc.json"]];
    for (const [label, oldName, name] of rows) {
      const url = `${w.url}/metadata/${name}`;
      const dcz = {
        "Accept-Encoding": "dcz, gzip",
        "Available-Dictionary": formatAvailableDictionary(await sha256(stored[oldName]!)),
        "Dictionary-ID": `"${oldName}"`,
      };
      const t = performance.now();
      await request(new http.Agent(), url, dcz);
      firstDczRequestMs[label as "snapshot" | "bin"] = performance.now() - t;
      for (const [encoding, headers] of [["gzip", { "Accept-Encoding": "gzip" }], ["dcz", dcz]] as const) {
        const m = await load(url, headers, options.seconds ?? 3);
        readPath.push({ file: label, encoding, ...m });
        log(`read path ${label} ${encoding}: ${Math.round(m.requestsPerSecond)} req/s, p50 ${m.p50Ms.toFixed(2)} ms, ${m.bodyBytes} B`);
      }
    }
  } finally {
    await w.close();
  }
  return { timestampGzip, snapshots, bins, refresh, firstDczRequestMs, readPath };
}

const n = (x: number, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

/** The markdown section of the report. */
export function formatDelta(r: DeltaResult): string {
  const ms = (x: number) => n(x, 2);
  return [
    "## Delta updates (RFC 9842 dcz)",
    "",
    "Body bytes a returning client downloads. identity: python-tuf (no Accept-Encoding); gzip: tuf-js's default fetcher; dcz: a client holding its previous version (DeltaFetcher). " +
      "The Worker sends dcz only when it is smaller than gzip. CPU: Node 20, the same zstd wasm the Worker runs; medians.",
    "",
    `### Whole refresh after a 1-target commit, 1 minute behind (timestamp ${r.timestampGzip} B gzip + snapshot + the changed bin)`,
    "",
    table(["targets", "identity", "gzip", "dcz"], r.refresh.map((x) => [n(x.targets), n(x.identity), n(x.gzip), n(x.dcz)])),
    "",
    "### Snapshot (16,384 bins)",
    "",
    table(
      ["behind", "commit (bins)", "entries differing", "identity", "gzip", "dcz", "served to dcz client", "encode ms", "decode ms", "gunzip ms"],
      r.snapshots.map((s) => [s.behind, n(s.changedBins), n(s.entriesChanged), n(s.identity), n(s.gzip), n(s.dcz), s.dcz < s.gzip ? "dcz" : "gzip", ms(s.encodeMs), ms(s.decodeMs), ms(s.gunzipMs)]),
    ),
    "",
    "### The bin a client needs, one target added",
    "",
    table(
      ["targets", "targets/bin", "identity", "gzip", "dcz", "encode ms", "decode ms", "gunzip ms"],
      r.bins.map((b) => [n(b.targets), n(b.targetsPerBin), n(b.identity), n(b.gzip), n(b.dcz), ms(b.encodeMs), ms(b.decodeMs), ms(b.gunzipMs)]),
    ),
    "",
    `### Read path with dcz (Worker in workerd, concurrency 16, after the pair is cached)`,
    "",
    `The first dcz request of a pair computes and caches it: ${ms(r.firstDczRequestMs.snapshot)} ms for the snapshot (the isolate's first delta), ` +
      `${ms(r.firstDczRequestMs.bin)} ms for the bin (one sample each, on a shared machine).`,
    "",
    table(["file", "encoding", "body bytes", "req/s", "p50 ms"], r.readPath.map((t) => [t.file, t.encoding, n(t.bodyBytes), n(t.requestsPerSecond), ms(t.p50Ms)])),
    "",
  ].join("\n");
}
