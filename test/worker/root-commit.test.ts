// Second security review, finding 7: a root job committed `rootVersion = N+1` before it wrote
// `N+1.root.json`; one failed write and an abort later, every admin root or targets request
// answered 500 for good. The root file is now written first, and the trusted root is the highest
// one stored.
// Guards README invariant 1.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Root } from "../../shared/metadata/root.js";
import type { Metadata } from "../../shared/metadata/metadata.js";
import type { OfflineKeys } from "../support/repo.js";
import { DAY, admin, status } from "../support/repo.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { bootstrapNow, nextRoot, realNow, runJob } from "./cron-support.js";

const faults = (w: TestWorker, body: Record<string, unknown>) => fetch(`${w.url}/__test/faults`, { method: "POST", body: JSON.stringify(body) });
let seq = 0;
const deliverRaw = async (w: TestWorker, queue: string, body: unknown, attempts = 1) =>
  (await w.mf.getWorker()).queue(queue, [{ id: `root-${++seq}`, timestamp: new Date(realNow()), attempts, body }]);

/** Starts a root job whose last step fails every write to keys containing `failing`, and lets it dead-letter. */
async function failedRootJob(w: TestWorker, root: Metadata<Root>, failing: string) {
  const res = await admin(w, "/v1/admin/root", { root: root.toJSON() });
  expect(res.status).toBe(202);
  const { job, steps } = (await res.json()) as { job: string; steps: number };
  for (let step = 0; step < steps - 1; step++) expect((await deliverRaw(w, "tuf-edge-uploads", { kind: "job", job, step })).retryMessages).toEqual([]);
  await faults(w, { fail: Array.from({ length: 100 }, (_, i) => i + 1), keys: failing });
  expect((await deliverRaw(w, "tuf-edge-uploads", { kind: "job", job, step: steps - 1 })).retryMessages).toHaveLength(1);
  await deliverRaw(w, "tuf-edge-uploads-dlq", { kind: "job", job, step: steps - 1 }, 11);
  await faults(w, { fail: [] });
  expect((await status(w)).job.error).toContain("injected R2 write failure");
}

describe("a root job that fails at its last step", () => {
  let w: TestWorker;
  let keys: OfflineKeys;
  let root1: Metadata<Root>;
  beforeAll(async () => {
    w = await startWorker({ entry: "faulty", queueConsumer: false });
    ({ keys, root: root1 } = await bootstrapNow(w, 3));
  });
  afterAll(() => w.close());

  test("the root file cannot be written: nothing names it, and the next root job works", async () => {
    const root2 = await nextRoot(root1, keys, Date.now() + 365 * DAY);
    await failedRootJob(w, root2, "2.root.json");
    expect((await fetch(`${w.url}/metadata/2.root.json`)).status).toBe(404);
    // Admin work still answers: the same root 2 again, now without faults.
    await runJob(w, await admin(w, "/v1/admin/root", { root: root2.toJSON() }));
    expect((await fetch(`${w.url}/metadata/2.root.json`)).status).toBe(200);
    expect((await status(w)).roles.root.version).toBe(2);
  });

  test("the commit fails after the root file: the stored root is the trusted one, and the chain goes on from it", async () => {
    const root2 = await nextRoot(root1, keys, Date.now() + 365 * DAY);
    const root3 = await nextRoot(root2, keys, Date.now() + 365 * DAY);
    await failedRootJob(w, root3, "timestamp");
    expect((await fetch(`${w.url}/metadata/3.root.json`)).status).toBe(200);
    // Root 4 must chain from root 3, which clients can already fetch; a targets request works too.
    const root4 = await nextRoot(root3, keys, Date.now() + 365 * DAY);
    await runJob(w, await admin(w, "/v1/admin/root", { root: root4.toJSON() }));
    expect((await fetch(`${w.url}/metadata/4.root.json`)).status).toBe(200);
    const resign = await admin(w, "/v1/admin/resign", {});
    expect(resign.status).toBe(202);
    await runJob(w, resign);
  });
});
