import { ed25519Signer } from "../../shared/keys.js";
import { bootstrapRepository, devCeremony, getJson } from "../lib/dev-repo.js";
import { postAdmin, postJson } from "../lib/http.js";
import { pollUntil } from "../lib/poll.js";
import { ROOT, bundleWorker, startLocalWorker, type LocalWorker } from "../lib/local-worker.js";

/**
 * What renewal costs at PyPI's 16,384 bins, measured on the local Worker (workerd + Miniflare's R2):
 * - a steady cron run (every 5 minutes: ~114 bins due, plus the retention sweep),
 * - a catch-up run after the cron was down for more than half the bins' lifetime (2,048 bins, the bound),
 * - the sweep that deletes what such a run superseded,
 * - re-signing every bin (POST /v1/admin/resign: what an online key rotation costs).
 * R2 calls are counted by the Worker itself (state/cron.json, lastRun.r2); the run's wall time is an
 * upper bound of its CPU time. The test entry's settable clock stands in for waiting.
 */

export interface RenewalBenchOptions {
  /** 2^bits bins (default 14). */
  bits?: number;
  /** Steady 5-minute runs to measure (default 5). */
  steadyRuns?: number;
  /** Also time POST /v1/admin/resign (default true). */
  resign?: boolean;
  log?: (line: string) => void;
}

export interface CronRunCost {
  readonly bins: number;
  readonly deleted: number;
  /** Wall time of the scheduled() call as the caller saw it, and as the Worker measured it. */
  readonly wallMs: number;
  readonly workerMs: number;
  readonly r2: Readonly<Record<string, number>>;
  readonly r2Total: number;
}

const CRON = "*/5 * * * *";
const MINUTE = 60_000;

async function setClock(w: LocalWorker, offsetMs: number) {
  await postJson(`${w.url}/__test/clock`, JSON.stringify({ offsetMs }));
}

/** One scheduled() call, and what the Worker recorded about it. */
async function cronRun(w: LocalWorker): Promise<CronRunCost> {
  const t0 = performance.now();
  const { outcome } = await (await w.mf.getWorker()).scheduled({ cron: CRON });
  const wallMs = performance.now() - t0;
  if (outcome !== "ok") throw new Error(`cron run: ${outcome}`);
  const bucket = await w.metadata();
  const run = ((await (await bucket.get("state/cron.json"))!.json()) as any).lastRun;
  // cron.json is written after the counts are taken: one more put.
  const r2 = { ...run.r2, put: (run.r2.put ?? 0) + 1 };
  return {
    bins: run.renewal.bins,
    deleted: run.retention.deleted + run.retention.orphans.deleted,
    wallMs,
    workerMs: run.durationMs,
    r2,
    r2Total: Object.values(r2 as Record<string, number>).reduce((a, b) => a + b, 0),
  };
}

const describe = (what: string, c: CronRunCost) =>
  `${what}: ${c.bins} bins re-signed, ${c.deleted} files deleted, ${c.wallMs.toFixed(0)} ms wall, ${c.r2Total} R2 calls ${JSON.stringify(c.r2)}`;

export interface ResignCost {
  /** Until every bin is re-signed (every step but the last, which waits for caches to drain). */
  readonly workSeconds: number;
  readonly totalSeconds: number;
  readonly steps: number;
}

/** POST /v1/admin/resign, timed until every bin is re-signed and until the job finished. */
export async function timeResign(w: LocalWorker, bits: number, log: (line: string) => void): Promise<ResignCost> {
  const t0 = performance.now();
  const res = await postAdmin(w.url, "/v1/admin/resign", {}, w.secrets.ADMIN_TOKEN);
  if (res.status !== 202) throw new Error(`resign answered ${res.status}: ${JSON.stringify(res.body)}`);
  const steps = (res.body as { steps: number }).steps;
  // Every bin is re-signed once the steps before the last are done; the last waits for caches to drain.
  const wait = { timeoutMs: 1_800_000, intervalMs: 100 };
  await pollUntil("the re-sign steps", async () => (await getJson(`${w.url}/v1/status`)).job?.done >= steps - 1 || undefined, wait);
  const workSeconds = (performance.now() - t0) / 1000;
  await pollUntil("the re-sign job", async () => (await getJson(`${w.url}/v1/status`)).job?.finished || undefined, wait);
  const resign = { workSeconds, totalSeconds: (performance.now() - t0) / 1000, steps };
  log(`re-sign of all ${2 ** bits} bins: ${workSeconds.toFixed(1)} s of signing, ${resign.totalSeconds.toFixed(1)} s until the job finished (incl. the cache-drain wait before the last step)`);
  return resign;
}

export async function benchRenewal(o: RenewalBenchOptions = {}) {
  const bits = o.bits ?? 14;
  const log = o.log ?? (() => {});
  await bundleWorker({ faulty: `${ROOT}test/support/faulty-worker.ts` });
  const w = await startLocalWorker({ entry: "faulty" });
  // Miniflare prints the Worker's log lines through console.log: keep them out of the report.
  const print = console.log;
  if (!process.env.BENCH_VERBOSE) console.log = () => {};
  try {
    const online = (await ed25519Signer(w.onlineSeed)).key;
    let t0 = performance.now();
    await bootstrapRepository(w.url, w.secrets.ADMIN_TOKEN, await devCeremony(online, bits));
    const bootstrapSeconds = (performance.now() - t0) / 1000;
    log(`bootstrap of ${2 ** bits} bins: ${bootstrapSeconds.toFixed(1)} s`);

    // Steady state: one run every 5 simulated minutes.
    let offset = 0;
    const steady: CronRunCost[] = [];
    for (let i = 0; i < (o.steadyRuns ?? 5); i++) {
      offset += 5 * MINUTE;
      await setClock(w, offset);
      steady.push(await cronRun(w));
      log(describe(`steady run ${i + 1}`, steady.at(-1)!));
    }

    // The cron was down for 13 h: the first run back renews the bound (2,048 bins), then catches up.
    offset += 13 * 60 * MINUTE;
    await setClock(w, offset);
    const catchUp = await cronRun(w);
    log(describe("catch-up run", catchUp));

    // Two hours on (past retention): the sweep deletes what those runs superseded.
    offset += 2 * 60 * MINUTE;
    await setClock(w, offset);
    const sweep = await cronRun(w);
    log(describe("sweep run", sweep));

    const resign = o.resign ?? true ? await timeResign(w, bits, log) : undefined;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return {
      bins: 2 ** bits,
      bootstrapSeconds,
      steady: { runs: steady, meanWallMs: mean(steady.map((r) => r.wallMs)), meanR2Calls: mean(steady.map((r) => r.r2Total)), meanBins: mean(steady.map((r) => r.bins)) },
      catchUp,
      sweep,
      resign,
    };
  } finally {
    console.log = print;
    await w.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes("--quick");
  const result = await benchRenewal({ bits: quick ? 12 : 14, steadyRuns: quick ? 3 : 5, log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`${JSON.stringify({ ...result, steady: { ...result.steady, runs: undefined } }, null, 2)}\n`);
}
