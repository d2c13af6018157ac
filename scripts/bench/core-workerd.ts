import { ROOT, bundleWorker, startLocalWorker } from "../lib/local-worker.js";
import type { CoreBenchOptions, benchCore } from "./core.js";

export type CoreInWorkerd = { runtime: "workerd" } & Omit<Awaited<ReturnType<typeof benchCore>>, "store" | "online">;

/**
 * The publish core in workerd (core-worker.ts): the same repository and batches as `--core`, timed
 * inside the isolate with its clock (whole milliseconds; a batch takes about a second). No R2, no
 * latency: this is the CPU bound of one writer invocation, as the production runtime runs it.
 */
export async function benchCoreInWorkerd(o: Omit<CoreBenchOptions, "log" | "onPart">): Promise<CoreInWorkerd> {
  await bundleWorker({ "core-worker": `${ROOT}scripts/bench/core-worker.ts` });
  const w = await startLocalWorker({ entry: "core-worker", queueConsumer: false, onOutput: () => {} });
  try {
    const res = await w.mf.dispatchFetch("http://core.local/", { method: "POST", body: JSON.stringify(o) });
    if (!res.ok) throw new Error(`core bench in workerd answered ${res.status}: ${await res.text()}`);
    return { runtime: "workerd", ...((await res.json()) as Omit<CoreInWorkerd, "runtime">) };
  } finally {
    await w.close();
  }
}
