/**
 * The publish core in Node and inside workerd, alternately, on the same sizes (1,000,000 targets in
 * 16,384 bins, 10 batches of 2,000, then a full re-sign): an A/B that shares whatever load the
 * machine has. `npx tsx scripts/bench/core-ab.ts [runs]` prints one JSON line per run.
 */
import { loadavg } from "node:os";
import { benchCore } from "./core.js";
import { benchCoreInWorkerd } from "./core-workerd.js";

const runs = Number(process.argv[2] ?? 3);
for (let i = 0; i < runs; i++) {
  for (const runtime of ["node", "workerd"] as const) {
    const before = loadavg()[0]!;
    const options = { releases: false, resign: true, steps: false };
    const r = runtime === "node" ? await benchCore(options) : await benchCoreInWorkerd(options);
    const row = { runtime, targetsPerSecond: r.targetsPerSecond, msPerBin: r.msPerBin, resignSeconds: r.resign!.seconds, resignMsPerBin: r.resign!.msPerBin, load: [before, loadavg()[0]] };
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
}
