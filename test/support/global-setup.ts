import { ROOT, bundleWorker } from "../../scripts/lib/local-worker.js";

/** Bundles the Worker and the test entry that wraps it, once per test run. */
export default async function setup() {
  await bundleWorker({ index: `${ROOT}worker/index.ts`, faulty: `${ROOT}test/support/faulty-worker.ts`, "production-model": `${ROOT}scripts/bench/production-model-worker.ts` });
}
