/**
 * The two writers locally (workerd, Miniflare's R2 and Queues, no production model), alternately on
 * the same sizes: WRITER="consumer" (the queue consumer commits, the writer before issue 20's
 * sequencer) and WRITER="sequencer" (the default), both with the 64 shards. An A/B that shares
 * whatever load the machine has: issue 20 asks that nothing get slower locally.
 * `npx tsx scripts/bench/writer-ab.ts [runs] [seed]` prints one JSON line per run.
 */
import { loadavg } from "node:os";
import { bundleWorker } from "../lib/local-worker.js";
import { benchPublish } from "./publish.js";

const runs = Number(process.argv[2] ?? 1);
const seed = Number(process.argv[3] ?? 100_000);
await bundleWorker();
for (let i = 0; i < runs; i++) {
  for (const writer of ["consumer", "sequencer"] as const) {
    const before = loadavg()[0]!;
    const r = await benchPublish({
      bits: 14, seed, requests: 100, targetsPerRequest: 100, concurrency: 8, repeats: 1,
      paceTargetsPerSecond: 50, paceSeconds: 20, renderRequests: 5, resign: true,
      vars: { SIMPLE_PAGES: "index", WRITER: writer },
    });
    const row = {
      writer,
      bootstrapSeconds: r.bootstrapSeconds,
      importTargetsPerSecond: Math.round(r.importTargetsPerSecond),
      sustainedTargetsPerSecond: Math.round(r.sustained.medianTargetsPerSecond),
      latencyP50Ms: Math.round(r.latency.p50!), latencyP99Ms: Math.round(r.latency.p99!),
      resignSeconds: r.resign?.workSeconds,
      releasesPerSecond: r.render && Math.round(r.render.releasesPerSecond),
      load: [before, loadavg()[0]],
    };
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
}
