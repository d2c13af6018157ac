// Issue 12, finding 3: a failed admin job must not block admin work for ever. A step the dead-letter
// queue gives up on fails its job (with the error, a critical status warning); an operator can abort
// a job; a job whose step message is lost is resumed by the cron. And finding 8 at the door: a
// bootstrap naming a "constructor" keyid is a 400, not a 500. The consumer runs only when the test
// delivers messages (queueConsumer: false), so each step happens exactly when the test says.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { admin, signedInit, offlineKeys, status } from "../support/repo.js";
import { TufClient } from "../support/tuf-client.js";
import { bucketSnapshot } from "../support/uploads.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { bootstrapNow, captureLogs, deliverMessages, realNow, runCron, runJob, setClock } from "./cron-support.js";

const BITS = 4;
let messageNumber = 0;

/** Delivers messages to a queue as it would, returning the consumer's verdict (retries included). */
async function deliverRaw(w: TestWorker, queue: string, bodies: unknown[], attempts = 1) {
  const messages = bodies.map((body) => ({ id: `jobs-${++messageNumber}`, timestamp: new Date(realNow()), attempts, body }));
  return (await w.mf.getWorker()).queue(queue, messages);
}

const faults = (w: TestWorker, body: Record<string, unknown>) => fetch(`${w.url}/__test/faults`, { method: "POST", body: JSON.stringify(body) });
const abort = (w: TestWorker, body: unknown = {}, token = w.secrets.ADMIN_TOKEN) => admin(w, "/v1/admin/abort", body, token);
const startResign = async (w: TestWorker) => {
  const res = await admin(w, "/v1/admin/resign", {});
  expect(res.status).toBe(202);
  return (await res.json()) as { job: string; steps: number };
};
const published = async (w: TestWorker) => bucketSnapshot(await w.metadata(), "metadata/");

describe("admin jobs that fail, stall or are aborted", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker({ entry: "faulty", queueConsumer: false });
    await bootstrapNow(w, BITS);
  });
  afterAll(() => w.close());

  test("a step dead-lettered after its retries fails the job with its error; status says so (critical); the next job starts", async () => {
    const { job } = await startResign(w);
    await faults(w, { fail: Array.from({ length: 1000 }, (_, i) => i + 1), keys: "bins-" });
    const first = await deliverRaw(w, "tuf-edge-uploads", [{ kind: "job", job, step: 0 }]);
    expect(first.retryMessages).toHaveLength(1);
    expect((await admin(w, "/v1/admin/resign", {})).status).toBe(409);

    await deliverRaw(w, "tuf-edge-uploads-dlq", [{ kind: "job", job, step: 0 }], 11);
    const s = await status(w);
    expect(s.job).toMatchObject({ id: job, finished: expect.any(String), error: expect.stringMatching(/^step 1 of 2 failed every retry \(dead-lettered\): injected R2 write failure/) });
    expect(s.warnings).toContainEqual({ level: "critical", kind: "job", message: expect.stringContaining("injected R2 write failure") });

    await faults(w, { fail: [] });
    const before = await published(w);
    // Its step, delivered late, finds the job ended and changes nothing.
    await deliverMessages(w, [{ kind: "job", job, step: 0 }]);
    expect(await published(w)).toEqual(before);
    const next = await admin(w, "/v1/admin/resign", {});
    await runJob(w, next);
    const after = await status(w);
    expect(after.job).toMatchObject({ finished: expect.any(String) });
    expect(after.job.error).toBeUndefined();
    expect(after.warnings.filter((x: { kind: string }) => x.kind === "job")).toEqual([]);
  });

  test("an operator aborts the job under way (token required); its queued steps do nothing; a new job starts", async () => {
    const { job } = await startResign(w);
    expect((await abort(w, {}, "wrong")).status).toBe(401);
    expect((await abort(w, { job: "another-job" })).status).toBe(409);
    expect((await abort(w, { job: 5 })).status).toBe(400);
    const res = await abort(w, { job });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ job, kind: "publish", done: 0, steps: 2, aborted: true });
    expect((await status(w)).job).toMatchObject({ id: job, error: expect.stringContaining("aborted by an operator") });

    const before = await published(w);
    await deliverMessages(w, [{ kind: "job", job, step: 0 }]);
    expect(await published(w)).toEqual(before);
    expect((await abort(w)).status).toBe(409);
    await runJob(w, await admin(w, "/v1/admin/resign", {}));
    expect((await status(w)).job.error).toBeUndefined();
  });

  test("a job whose first step cannot be queued is not started: 503, and the next one may start", async () => {
    await faults(w, { fail: [], queueDown: true });
    const res = await admin(w, "/v1/admin/resign", {});
    await faults(w, { fail: [] });
    expect(res.status).toBe(503);
    expect((await status(w)).job.error).toContain("could not be queued");
    await runJob(w, await admin(w, "/v1/admin/resign", {}));
  });

  test("a job that stops moving (its step message lost) is queued again by the cron, once", async () => {
    const { job, steps } = await startResign(w);
    const logs = captureLogs();
    try {
      expect(await runCron(w)).toBe("ok");
      expect(logs.events("job-resumed")).toEqual([]);
      await setClock(w, realNow() + 11 * 60_000);
      expect(await runCron(w)).toBe("ok");
      expect(await runCron(w)).toBe("ok");
      expect(logs.events("job-resumed")).toEqual([{ event: "job-resumed", job, step: 0 }]);
    } finally {
      logs.restore();
      await setClock(w, realNow());
    }
    // The resumed step and the original one both run: the second finds it done.
    for (let step = 0; step < steps; step++) {
      await deliverMessages(w, [{ kind: "job", job, step }]);
      await deliverMessages(w, [{ kind: "job", job, step }]);
    }
    expect((await status(w)).job).toMatchObject({ id: job, done: steps, finished: expect.any(String) });
  });
});

describe("a bootstrap that fails at its commit, then another", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker({ entry: "faulty", queueConsumer: false });
  });
  afterAll(() => w.close());

  test("the second, with other keys, publishes its own files: none of the first's are kept", async () => {
    const first = await signedInit(w, BITS, await offlineKeys());
    const res = await admin(w, "/v1/admin/bootstrap", { root: first.root.toJSON(), targets: first.targets.toJSON() });
    const { job, steps } = (await res.json()) as { job: string; steps: number };
    await deliverMessages(w, [{ kind: "job", job, step: 0 }]);
    // The last step writes root, targets and snapshot, then fails at the commit (timestamp.json), every time.
    await faults(w, { fail: Array.from({ length: 100 }, (_, i) => i + 1), keys: "timestamp" });
    expect((await deliverRaw(w, "tuf-edge-uploads", [{ kind: "job", job, step: steps - 1 }])).retryMessages).toHaveLength(1);
    await deliverRaw(w, "tuf-edge-uploads-dlq", [{ kind: "job", job, step: steps - 1 }], 11);
    await faults(w, { fail: [] });
    expect((await status(w)).job.error).toContain("injected R2 write failure");
    expect(Object.keys(await published(w))).toContain("metadata/1.root.json");

    const second = await signedInit(w, BITS, await offlineKeys());
    await runJob(w, await admin(w, "/v1/admin/bootstrap", { root: second.root.toJSON(), targets: second.targets.toJSON() }));
    expect((await status(w)).published).toBe(true);
    const served = await (await fetch(`${w.url}/metadata/1.root.json`)).text();
    expect(served).toBe(new TextDecoder().decode(second.root.toBytes()));
    // A client that trusts the second root refreshes everything.
    const client = new TufClient(w.url, second.root.toBytes());
    try {
      expect(await client.targetInfo("packages/none/example-1.0.tar.gz")).toBeNull();
    } finally {
      client.close();
    }
  });
});

describe("a bootstrap naming prototype keyids", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker({ queueConsumer: false });
  });
  afterAll(() => w.close());

  test.each(["constructor", "__proto__", "toString", "hasOwnProperty"])("keyid %j in root's root role: 400 naming the field, nothing stored", async (keyid) => {
    const { root, targets } = await signedInit(w, BITS, await offlineKeys());
    const json = JSON.parse(JSON.stringify(root.toJSON()));
    json.signed.roles.root.keyids.push(keyid);
    json.signatures.push({ keyid, sig: "00".repeat(64) });
    const res = await admin(w, "/v1/admin/bootstrap", { root: json, targets: targets.toJSON() });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "root.signed.roles.root.keyids" });
    expect(await bucketSnapshot(await w.metadata())).toEqual({});
  });
});
