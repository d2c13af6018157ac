import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { TestWorker } from "../support/worker.js";
import { startWorker } from "../support/worker.js";
import {
  HOUR,
  type Reach,
  bootstrapNow,
  captureLogs,
  currentReach,
  deliver,
  lastCronRun,
  listKeys,
  metadataNames,
  prng,
  realNow,
  runCron,
  sendUpload,
  setClock,
} from "./cron-support.js";

/**
 * Retention: superseded versions go once they are older than RETENTION_SECONDS and a later timestamp
 * is current; nothing the current or the previous timestamp reaches is ever deleted; roots never are.
 *
 * The Worker's clock is moved here, and R2's with it: the fault-injecting entry stamps each upload by
 * the Worker's clock at the time of the write (test/support/faulty-worker.ts), so files are as old
 * to the orphan sweep as the simulated time says.
 */
const BITS = 4;
const MINUTE = 60_000;
const logs = captureLogs();
afterAll(() => logs.restore());

async function startRepo(vars: Record<string, string>) {
  const w = await startWorker({ entry: "faulty", queueConsumer: false, vars });
  await bootstrapNow(w, BITS);
  return w;
}

/** Publishes one upload now (its own commit). */
async function publish(w: TestWorker, path: string, at: number) {
  await deliver(w, [await sendUpload(w, path, path, Math.floor(at / 1000))]);
}

describe("with a retention of one second", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startRepo({ RETENTION_SECONDS: "1" });
  });
  afterAll(() => w?.close());

  test("nothing the current or the previous timestamp reaches is deleted; everything else goes", async () => {
    const bucket = await w.metadata();
    const random = prng(7);
    const reaches = new Map<number, Reach>();
    const remember = async () => {
      const r = await currentReach(bucket);
      reaches.set(r.timestampVersion, r);
      return r;
    };
    await remember();
    let t = realNow();
    for (let step = 0; step < 20; step++) {
      t += 20 * MINUTE;
      await setClock(w, t);
      for (let i = Math.floor(random() * 3); i > 0; i--) {
        await publish(w, `packages/ret/${step}/${i}/f.tar.gz`, t);
        await remember();
      }
      expect(await runCron(w)).toBe("ok");
      const current = await remember();
      const stored = await metadataNames(bucket);
      for (const name of [...current.files, ...(reaches.get(current.timestampVersion - 1)?.files ?? [])]) {
        expect(stored.has(name), `step ${step}: ${name} is reachable but was deleted`).toBe(true);
      }
    }
    // Two more runs later (the first renews, so the last commit's record is no longer the current one).
    t += 2 * HOUR;
    await setClock(w, t);
    expect(await runCron(w)).toBe("ok");
    await remember();
    t += HOUR;
    await setClock(w, t);
    expect(await runCron(w)).toBe("ok");
    const current = await remember();
    const previous = reaches.get(current.timestampVersion - 1)!;
    const stored = await metadataNames(bucket);
    const expected = new Set(["timestamp.json", "1.root.json", ...current.files, ...previous.files]);
    expect([...stored].sort()).toEqual([...expected].sort());
    // Only the records of the current commit and of one not yet due remain.
    expect((await listKeys(bucket, "state/gc/")).length).toBeLessThanOrEqual(2);
  });

  test("a record naming a root, the timestamp or current files deletes none of them", async () => {
    const bucket = await w.metadata();
    const current = await currentReach(bucket);
    const named = ["1.root.json", "timestamp.json", ...current.files];
    await bucket.put("state/gc/0000000000000001.json", JSON.stringify({ timestampVersion: 1, snapshotVersion: 1, committedAt: "2000-01-01T00:00:00.000Z", reason: "publish", bins: 0, files: named }));
    expect(await runCron(w)).toBe("ok");
    const run = await lastCronRun(bucket);
    expect(run.retention.kept).toBe(named.length);
    const stored = await metadataNames(bucket);
    for (const name of named) expect(stored.has(name)).toBe(true);
    expect(await bucket.head("state/gc/0000000000000001.json")).toBeNull();
  });
});

describe("with a retention of ten minutes", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startRepo({ RETENTION_SECONDS: "600" });
  });
  afterAll(() => w?.close());

  test("superseded versions stay readable for the retention, then go", async () => {
    const bucket = await w.metadata();
    const t = realNow();
    await setClock(w, t);
    await publish(w, "packages/keep/a.tar.gz", t);
    const a = await currentReach(bucket);
    await publish(w, "packages/keep/b.tar.gz", t);
    const b = await currentReach(bucket);
    await publish(w, "packages/keep/c.tar.gz", t);
    const gone = [...a.files].filter((f) => !b.files.has(f)); // superseded by b's commit
    expect(gone.length).toBeGreaterThan(0);

    // Five minutes on: b's commit is two behind the current one, but younger than the retention.
    await setClock(w, t + 5 * MINUTE);
    expect(await runCron(w)).toBe("ok");
    let stored = await metadataNames(bucket);
    for (const f of gone) expect(stored.has(f), `${f} was deleted within the retention`).toBe(true);

    // Eleven minutes on: older than the retention, and a later timestamp is current: deleted.
    await setClock(w, t + 11 * MINUTE);
    expect(await runCron(w)).toBe("ok");
    stored = await metadataNames(bucket);
    for (const f of gone) expect(stored.has(f), `${f} outlived the retention`).toBe(false);
    expect(await bucket.head(`state/gc/${String(b.timestampVersion).padStart(16, "0")}.json`)).toBeNull();
  });
});

describe("orphans and failed records", () => {
  let w: TestWorker;
  beforeAll(async () => {
    // Bins that do not fall due during these tests: the orphan sweep waits until the current version
    // of a role is older than the retention plus 15 minutes, and a renewal would write a new one.
    w = await startRepo({ RETENTION_SECONDS: "60", BINS_EXPIRY: "315360000" });
  });
  afterAll(() => w?.close());

  const arm = (fail: number[], keys: string) => fetch(`${w.url}/__test/faults`, { method: "POST", body: JSON.stringify({ fail, keys }) });

  test("files of an attempt that failed at the swap are found by the sweep and deleted", async () => {
    const bucket = await w.metadata();
    const t = realNow();
    await setClock(w, t);
    const before = await metadataNames(bucket);
    await arm([1], "^metadata/timestamp\\.json$");
    const id = await sendUpload(w, "packages/orphan/x.tar.gz", "x", Math.floor(t / 1000));
    const failed = await (await w.mf.getWorker()).queue("tuf-edge-uploads", [{ id: "orphan-1", timestamp: new Date(), attempts: 1, body: { kind: "upload", id } }]);
    expect(failed.retryMessages.length).toBe(1);
    const orphans = [...(await metadataNames(bucket))].filter((n) => !before.has(n));
    expect(orphans.length).toBe(2); // the bin and the snapshot it was about to publish
    await arm([], "^$");
    await deliver(w, [id]);
    const current = await currentReach(bucket);
    for (const o of orphans) expect(current.files.has(o)).toBe(false);

    // Within retention + 15 minutes nothing is touched; after it, the sweep removes them.
    await setClock(w, t + 5 * MINUTE);
    expect(await runCron(w)).toBe("ok");
    let stored = await metadataNames(bucket);
    for (const o of orphans) expect(stored.has(o)).toBe(true);
    await setClock(w, t + 30 * MINUTE);
    expect(await runCron(w)).toBe("ok");
    stored = await metadataNames(bucket);
    for (const o of orphans) expect(stored.has(o), `${o} is an orphan`).toBe(false);
    for (const f of (await currentReach(bucket)).files) expect(stored.has(f), `${f} is current`).toBe(true);
  });

  test("a commit whose record cannot be written still commits; the sweep cleans up after it", async () => {
    const bucket = await w.metadata();
    const t = realNow() + HOUR;
    await setClock(w, t);
    expect(await runCron(w)).toBe("ok"); // renews what is due now, so the next run at this time has nothing to do
    await arm([1], "^state/gc/");
    const id = await sendUpload(w, "packages/norecord/y.tar.gz", "y", Math.floor(t / 1000));
    const before = await currentReach(bucket);
    await deliver(w, [id]);
    const unrecorded = await currentReach(bucket);
    expect(unrecorded.timestampVersion).toBe(before.timestampVersion + 1);
    expect(((await (await fetch(`${w.url}/v1/uploads/${id}`)).json()) as any).state).toBe("published");
    expect(logs.events("gc-record-failed").map((e) => e.timestamp)).toContain(unrecorded.timestampVersion);
    await arm([], "^$");

    // While that commit is current, the orphan sweep cannot tell what the previous timestamp reaches: it waits.
    expect(await runCron(w)).toBe("ok");
    expect((await currentReach(bucket)).timestampVersion).toBe(unrecorded.timestampVersion);
    expect((await lastCronRun(bucket)).retention.orphans.skipped).toMatch(/no record/);
    const superseded = [...before.files].filter((f) => !unrecorded.files.has(f));
    expect(superseded.length).toBeGreaterThan(0);
    // A later commit is recorded; once the current files are older than the retention plus
    // 15 minutes, the files the unrecorded commit superseded go as orphans.
    await setClock(w, t + HOUR);
    await publish(w, "packages/norecord/z.tar.gz", t + HOUR);
    await setClock(w, t + HOUR + 20 * MINUTE);
    expect(await runCron(w)).toBe("ok");
    const stored = await metadataNames(bucket);
    for (const f of superseded) expect(stored.has(f), `${f} should have been swept`).toBe(false);
    for (const f of (await currentReach(bucket)).files) expect(stored.has(f), `${f} is current`).toBe(true);
  });
});
