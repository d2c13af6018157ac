import { createHash } from "node:crypto";
import { ed25519Signer } from "../../shared/keys.js";
import { bundleWorker, startLocalWorker, type LocalWorker } from "../lib/local-worker.js";
export { bundleWorker };
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootstrapRepository, devCeremony, getJson, postUpload } from "../lib/dev-repo.js";
import { pollUntil } from "../lib/poll.js";
import { runImport } from "../lib/import.js";
import { buildWheel } from "../../test/support/wheel.js";
import { timeResign } from "./renewal.js";

const hex = (s: string) => createHash("sha256").update(s).digest("hex");
const hex2 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** A synthetic PyPI-like target: the path layout of files.pythonhosted.org. */
export function syntheticTarget(i: number, salt = "") {
  const h = hex(`${salt}${i}`);
  return { path: `packages/${h.slice(0, 2)}/${h.slice(2, 4)}/${h.slice(4, 60)}/pkg${i}-1.0-py3-none-any.whl`, length: 1000 + i, hashes: { sha256: hex(`file ${salt}${i}`) } };
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
export const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

export interface PublishBenchOptions {
  bits: number;
  /** Targets published before measuring (through the import API). */
  seed: number;
  /** Sustained-throughput phase: requests × targets per request, sent with this concurrency. */
  requests: number;
  targetsPerRequest: number;
  concurrency: number;
  /** Latency phase: targets per second offered, for this many seconds. */
  paceTargetsPerSecond: number;
  paceSeconds: number;
  /** Sustained-throughput runs (fresh targets each); the median is reported. */
  repeats?: number;
  /**
   * Then, on the same repository with SIMPLE_PAGES=render, this many requests of new projects'
   * wheels: each target is a release (its dist and both re-rendered pages). 0 or absent: none.
   */
  renderRequests?: number;
  /** Also time a full re-sign of every bin (POST /v1/admin/resign), after the latency phase. */
  resign?: boolean;
  /** Worker bundle to run: "index", or "production-model" (MODEL_LATENCY_MS in vars). */
  entry?: string;
  /** Called as each phase ends, before the next begins: to collect what the Worker recorded about it. */
  onPhase?: (phase: "start" | "bootstrap" | "import" | "sustained" | "latency" | "resign" | "render", w: LocalWorker) => Promise<void>;
  vars?: Record<string, string>;
  log?: (line: string) => void;
}

/** Seeds the repository with `tuf-edge import` (the CLI's own code) over a generated listing. */
async function importTargets(w: LocalWorker, targets: ReturnType<typeof syntheticTarget>[]) {
  const dir = mkdtempSync(join(tmpdir(), "tuf-edge-bench-import-"));
  try {
    const listing = join(dir, "listing.jsonl");
    writeFileSync(listing, targets.map((t) => JSON.stringify(t)).join("\n") + "\n");
    const quiet = { env: {}, out: () => {}, err: () => {}, progress: () => {}, readSecret: async () => "" };
    const summary = await runImport({ listing, url: w.url, token: w.secrets.ADMIN_TOKEN }, quiet);
    if (!summary.complete || summary.rejected > 0) throw new Error(`import incomplete or rejected ${summary.rejected} targets`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sustained publish throughput (webhook → queue → commit) and latency from 202 to visible. */
export async function benchPublish(o: PublishBenchOptions) {
  const log = o.log ?? (() => {});
  const w = await startLocalWorker({ entry: o.entry, vars: o.vars });
  try {
    await o.onPhase?.("start", w);
    const online = (await ed25519Signer(w.onlineSeed)).key;
    let t0 = performance.now();
    await bootstrapRepository(w.url, w.secrets.ADMIN_TOKEN, await devCeremony(online, o.bits));
    const bootstrapSeconds = (performance.now() - t0) / 1000;
    log(`bootstrap of ${2 ** o.bits} bins: ${bootstrapSeconds.toFixed(1)} s`);
    await o.onPhase?.("bootstrap", w);

    t0 = performance.now();
    await importTargets(w, Array.from({ length: o.seed }, (_, i) => syntheticTarget(i, "seed")));
    const importSeconds = (performance.now() - t0) / 1000;
    log(`import of ${o.seed} targets: ${importSeconds.toFixed(1)} s (${Math.round(o.seed / importSeconds)} targets/s)`);
    await o.onPhase?.("import", w);

    // Sustained throughput: every request sent with bounded concurrency; done when all are published.
    const sustained = async (requests: number, salt: string, target: (i: number, salt: string) => { path: string } = syntheticTarget) => {
      let next = 0;
      const ids: string[] = [];
      const t = performance.now();
      await Promise.all(Array.from({ length: o.concurrency }, async () => {
        while (next < requests) {
          const r = next++;
          const targets = Array.from({ length: o.targetsPerRequest }, (_, j) => target(r * o.targetsPerRequest + j, salt));
          const res = await postUpload(w.url, w.secrets.WEBHOOK_SECRET, { targets });
          if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body)}`);
          ids.push(res.body.id);
        }
      }));
      for (const id of ids) {
        const state = await pollUntil(`upload ${id}`, async () => {
          const record = await getJson(`${w.url}/v1/uploads/${id}`);
          return record.state === "queued" ? undefined : String(record.state);
        }, { timeoutMs: 900_000, intervalMs: 20 });
        if (state !== "published") throw new Error(`upload ${id} was ${state}`);
      }
      return (requests * o.targetsPerRequest) / ((performance.now() - t) / 1000);
    };
    const runs: number[] = [];
    for (let run = 0; run < (o.repeats ?? 1); run++) {
      runs.push(await sustained(o.requests, `bench${run}`));
      log(`sustained run ${run + 1}: ${o.requests * o.targetsPerRequest} targets at ${Math.round(runs.at(-1)!)} targets/s`);
    }
    await o.onPhase?.("sustained", w);

    // Latency at a steady offered load: one request of 5 targets every 5/pace seconds.
    const latencies: number[] = [];
    const per = 5;
    const interval = (1000 * per) / o.paceTargetsPerSecond;
    const waits: Promise<void>[] = [];
    const start = performance.now();
    for (let r = 0; performance.now() - start < o.paceSeconds * 1000; r++) {
      const targets = Array.from({ length: per }, (_, j) => syntheticTarget(r * per + j, "pace"));
      const res = await postUpload(w.url, w.secrets.WEBHOOK_SECRET, { targets });
      const accepted = performance.now();
      const visible = async () => (await getJson(`${w.url}/v1/uploads/${res.body.id}`)).state === "published" || undefined;
      waits.push(pollUntil("visible", visible, { timeoutMs: 60_000, intervalMs: 10 }).then(() => {
        latencies.push(performance.now() - accepted);
      }));
      const due = start + (r + 1) * interval;
      if (due > performance.now()) await new Promise((res) => setTimeout(res, due - performance.now()));
    }
    await Promise.all(waits);
    latencies.sort((a, b) => a - b);
    const latency = { p50: percentile(latencies, 50), p99: percentile(latencies, 99), samples: latencies.length };
    log(`latency at ${o.paceTargetsPerSecond} targets/s: p50 ${latency.p50.toFixed(0)} ms, p99 ${latency.p99.toFixed(0)} ms (${latencies.length} uploads)`);
    await o.onPhase?.("latency", w);

    let resign;
    if (o.resign) {
      resign = await timeResign(w, o.bits, log);
      await o.onPhase?.("resign", w);
    }

    let render;
    if (o.renderRequests) {
      // A bucket kept in the Worker's memory would not survive a restart: the model changes the var in place.
      if (o.vars?.MODEL_METADATA === "memory") await fetch(`${w.url}/__model/vars`, { method: "POST", body: JSON.stringify({ SIMPLE_PAGES: "render" }) });
      else await w.reconfigure({ SIMPLE_PAGES: "render" });
      // Each release a real wheel in the packages bucket (render mode checks it and extracts its METADATA).
      const releases = new Map<number, { path: string; length: number; hashes: { sha256: string } }>();
      const packages = await w.packages();
      for (let i = 0; i < o.renderRequests * o.targetsPerRequest; i++) {
        const wheel = buildWheel(`pkg${i}`, "1.0");
        const path = `packages/${hex(`render${i}`).slice(0, 2)}/${hex(`render${i}`).slice(2, 60)}/${wheel.filename}`;
        await packages.put(path, wheel.bytes);
        releases.set(i, { path, length: wheel.bytes.length, hashes: { sha256: hex2(wheel.bytes) } });
      }
      const releasesPerSecond = await sustained(o.renderRequests, "render", (i) => releases.get(i)!);
      render = { releases: o.renderRequests * o.targetsPerRequest, perRequest: o.targetsPerRequest, concurrency: o.concurrency, releasesPerSecond };
      log(`render mode: ${render.releases} releases of new projects (dist + 2 pages each) at ${Math.round(releasesPerSecond)} releases/s`);
      await o.onPhase?.("render", w);
    }
    return {
      bins: 2 ** o.bits,
      bootstrapSeconds,
      seed: o.seed,
      importSeconds,
      importTargetsPerSecond: o.seed / importSeconds,
      sustained: { targets: o.requests * o.targetsPerRequest, perRequest: o.targetsPerRequest, concurrency: o.concurrency, runs, medianTargetsPerSecond: median(runs) },
      latency: { offeredTargetsPerSecond: o.paceTargetsPerSecond, seconds: o.paceSeconds, ...latency },
      ...(resign && { resign }),
      ...(render && { render }),
    };
  } finally {
    await w.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes("--quick");
  await bundleWorker();
  await benchPublish({
    bits: 14, seed: quick ? 20_000 : 100_000, requests: quick ? 50 : 200, targetsPerRequest: 100, concurrency: 8,
    paceTargetsPerSecond: 50, paceSeconds: quick ? 5 : 20, log: console.log,
  });
}
