import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519Signer, seedFromHex } from "../../shared/keys.js";
import { createNodeDeltaFetch, fileDictionaries } from "../lib/delta.js";
import { bootstrapRepository, devCeremony, postUpload } from "../lib/dev-repo.js";
import { type Fetch, httpGet } from "../lib/http-transport.js";
import { bundleWorker, startLocalWorker } from "../lib/local-worker.js";
import { useNativeEd25519 } from "../lib/native-ed25519.js";
import { pollUntil } from "../lib/poll.js";
import { verifyRepository } from "../lib/verify.js";
import { MAX_LENGTH } from "../../shared/index.js";

export interface VerifyRun {
  readonly seconds: number;
  readonly cpuSeconds: number;
  /** Body bytes on the wire (gzip, dcz or identity, as answered). */
  readonly wireBytes: number;
  /** How many answers came as dcz deltas. */
  readonly deltas: number;
  /** Requests made (with --cache, a file kept from an `immutable` answer is not asked for again). */
  readonly requests: number;
}

export interface VerifyWorkerResult {
  readonly bins: number;
  /** The first run after bootstrap, without a cache: the Worker's Cache API is empty (every file read from R2). */
  readonly noCacheCold: VerifyRun;
  /** `tuf-edge verify` without a cache, then with `--cache`: first run (empty cache), second run (deltas). */
  readonly noCache: VerifyRun;
  readonly cacheFirst: VerifyRun;
  readonly cacheSecond: VerifyRun;
  /** What changed between the two cached runs: one cron run and a few published uploads. */
  readonly between: string;
}

/** verify's --cache transport (node:http), counting what crosses the wire: each answer's Content-Length as sent. */
function counting() {
  let wireBytes = 0;
  let deltas = 0;
  let requests = 0;
  const fetch_: Fetch = async (url, init) => {
    const answer = await httpGet(url, init?.signal, MAX_LENGTH.targets, Object.fromEntries(new Headers(init?.headers)));
    requests++;
    wireBytes += answer.wireLength;
    if (answer.headers["content-encoding"] === "dcz") deltas++;
    const empty = answer.status === 204 || answer.status === 304;
    return new Response(empty ? null : answer.body, { status: answer.status, headers: answer.headers });
  };
  return { fetch: fetch_, totals: () => ({ wireBytes, deltas, requests }) };
}

/**
 * `tuf-edge verify` against the Worker in workerd, as `npm start` runs it (DEV_MODE, local R2, the
 * Cache API), at 2^bits bins: without a cache, then twice with `--cache` (the second run after a cron
 * run and a few commits, as a monitor that runs every few minutes finds it).
 */
export async function benchVerifyWorker(o: { bits?: number; log?: (line: string) => void } = {}): Promise<VerifyWorkerResult> {
  const bits = o.bits ?? 14;
  const log = o.log ?? (() => {});
  await bundleWorker();
  const w = await startLocalWorker({ onOutput: () => {} });
  const dir = await mkdtemp(join(tmpdir(), "tuf-edge-bench-verify-worker-"));
  try {
    const online = (await ed25519Signer(seedFromHex(w.secrets.ONLINE_KEY))).key;
    const ceremony = await devCeremony(online, bits);
    const started = performance.now();
    await bootstrapRepository(w.url, w.secrets.ADMIN_TOKEN, ceremony);
    log(`bootstrap of ${2 ** bits} bins: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    useNativeEd25519();
    const trustedRoot = ceremony.root.toBytes();

    const run = async (label: string, cache: boolean): Promise<VerifyRun> => {
      const transport = counting();
      const dictionaries = cache ? fileDictionaries(join(dir, "cache")) : undefined;
      const fetch_ = dictionaries ? createNodeDeltaFetch({ fetch: transport.fetch, dictionaries, maxLength: MAX_LENGTH.targets }) : undefined;
      const t = performance.now();
      const cpu = process.cpuUsage();
      const report = await verifyRepository({ url: w.url, trustedRoot, bins: "all", ...(fetch_ ? { fetch: fetch_ } : {}) });
      await dictionaries?.close(); // within the run: a monitor's process ends with it
      const used = process.cpuUsage(cpu);
      const seconds = Number(((performance.now() - t) / 1000).toFixed(2));
      const totals = cache ? transport.totals() : { wireBytes: report.wireBytes, deltas: 0, requests: report.bins.length + 4 };
      const result = { seconds, cpuSeconds: Number(((used.user + used.system) / 1e6).toFixed(2)), ...totals };
      log(`verify ${label}, all ${report.bins.length} bins: ${seconds} s wall, ${result.cpuSeconds} s CPU, ${result.wireBytes} bytes on the wire, ${result.requests} requests, ${result.deltas} deltas`);
      return result;
    };

    const noCacheCold = await run("without a cache, cold Worker", false);
    const noCache = await run("without a cache", false);
    const cacheFirst = await run("--cache, first run", true);
    // Between two monitor runs: the cron renews the bins that fell due, and uploads commit.
    await (await w.mf.getWorker()).scheduled({ cron: "*/5 * * * *" });
    for (let i = 0; i < 5; i++) {
      const { body } = await postUpload(w.url, w.secrets.WEBHOOK_SECRET, {
        // Plain targets (not dists: in render mode a dist must be in the packages bucket).
        targets: [{ path: `packages/bench/verify-${i}.bin`, length: 10, hashes: { sha256: "0".repeat(63) + i } }],
      });
      await pollUntil("the upload", async () => {
        const state = ((await (await fetch(`${w.url}/v1/uploads/${body.id}`)).json()) as { state: string }).state;
        return state === "queued" ? undefined : state;
      }, { timeoutMs: 60_000, intervalMs: 100 });
    }
    const cacheSecond = await run("--cache, second run", true);
    return { bins: 2 ** bits, noCacheCold, noCache, cacheFirst, cacheSecond, between: "one cron run (the bins due since bootstrap) and 5 commits of one target" };
  } finally {
    await w.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatVerifyWorker(r: VerifyWorkerResult): string {
  const row = (label: string, v: VerifyRun) =>
    `| ${label} | ${v.seconds} s | ${v.cpuSeconds} s | ${(v.wireBytes / 1e6).toFixed(3)} MB | ${v.requests} | ${v.deltas} |`;
  return [
    `## \`tuf-edge verify\` against a local Worker (as \`npm start\` runs it), ${r.bins.toLocaleString("en-US")} bins`,
    "",
    "| run | wall | client CPU | body bytes on the wire | requests | dcz answers |",
    "| --- | --- | --- | --- | --- | --- |",
    row("without a cache, first run after bootstrap (the Worker's Cache API empty)", r.noCacheCold),
    row("without a cache", r.noCache),
    row("`--cache`, first run (empty cache)", r.cacheFirst),
    row("`--cache`, second run (deltas)", r.cacheSecond),
    "",
    `Between the cached runs: ${r.between}. Second run's bytes: ${((100 * r.cacheSecond.wireBytes) / r.cacheFirst.wireBytes).toFixed(1)}% of the first's.`,
    "",
  ].join("\n");
}
