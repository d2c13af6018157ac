import type { QueueMessage } from "../../worker/storage/messages.js";
import { admin, signedInit, offlineKeys, type OfflineKeys } from "./repo.js";
import type { TestWorker } from "./worker.js";

let seq = 0;

/** Runs the queue consumer on these messages now (as the queue would), and returns its verdict. */
export async function deliver(w: TestWorker, bodies: QueueMessage[], attempts = 1) {
  const worker = await w.mf.getWorker();
  return worker.queue(
    "tuf-edge-uploads",
    bodies.map((body) => ({ id: `m${++seq}`, timestamp: new Date(), attempts, body })),
  );
}

/** Sets what the faulty entry's METADATA bucket does: fail the listed writes (1-based, counted from now). */
export async function faults(w: TestWorker, fail: number[] = [], opts: { landed?: boolean; keys?: string; queueDown?: boolean } = {}) {
  const res = await fetch(`${w.url}/__test/faults`, { method: "POST", body: JSON.stringify({ fail, ...opts }) });
  return (await res.json()) as { writes: number; failures: number; log: string[] };
}
export const writesSoFar = async (w: TestWorker) => (await (await fetch(`${w.url}/__test/faults`)).json()) as { writes: number; failures: number; log: string[] };

/**
 * Bootstrap with the consumer driven by the test (startWorker({queueConsumer: false})): submits the
 * ceremony, then runs each job step by hand.
 */
export async function bootstrapByHand(w: TestWorker, bits = 4, keys?: OfflineKeys) {
  const offline = keys ?? (await offlineKeys());
  const { root, targets } = await signedInit(w, bits, offline);
  const res = await admin(w, "/v1/admin/bootstrap", { root: root.toJSON(), targets: targets.toJSON() });
  const job = (await res.json()) as { job: string; steps: number };
  if (res.status !== 202) throw new Error(`bootstrap answered ${res.status}: ${JSON.stringify(job)}`);
  await runJob(w, job);
  return { keys: offline, root, targets, rootBytes: root.toBytes() };
}

export async function runJob(w: TestWorker, job: { job: string; steps: number }) {
  for (let step = 0; step < job.steps; step++) {
    const result = await deliver(w, [{ kind: "job", job: job.job, step }]);
    if (result.retryMessages.length) throw new Error(`job step ${step} asked for a retry`);
  }
}
