import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { admin, status } from "../support/repo.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import {
  HOUR,
  PersistentClient,
  type Reach,
  bootstrapNow,
  captureLogs,
  lastCronRun,
  nextRoot,
  runJob,
  currentReach,
  deliver,
  metadataNames,
  probePaths,
  prng,
  realNow,
  runCron,
  sendUpload,
  setClock,
  uploadState,
} from "./cron-support.js";

/**
 * 30 simulated days of cron runs (every 1.5–3 h) with uploads in between, against the Worker with a
 * clock the test sets. Before every run — when the metadata is oldest — a tuf-js client whose clock is
 * the simulated time refreshes and verifies every bin. Defaults: everything expires after a day,
 * retention one hour; 16 bins.
 */
const BITS = 4;
const DAYS = 30;

describe("renewal over 30 simulated days", () => {
  let w: TestWorker;
  let repo: Awaited<ReturnType<typeof bootstrapNow>>;
  const logs = captureLogs();
  beforeAll(async () => {
    w = await startWorker({ entry: "faulty", queueConsumer: false });
    repo = await bootstrapNow(w, BITS);
  });
  afterAll(async () => {
    vi.useRealTimers();
    await w?.close();
    logs.restore();
  });

  test("no role ever expires, work per run stays bounded, old versions go, roots stay", async () => {
    const bucket = await w.metadata();
    const random = prng(458);
    const client = new PersistentClient(w.url, repo.rootBytes);
    const roots = ["1.root.json"];
    const probes = probePaths(BITS);
    const published: string[] = [];
    const start = realNow();
    let t = start;
    let previous: Reach = await currentReach(bucket);
    const reaches = new Map<number, Reach>([[previous.timestampVersion, previous]]);
    const maxObjects: number[] = [];
    let runs = 0, deletedTotal = 0;

    /** After each action: versions only go up; remember what each timestamp reaches. */
    const observe = async () => {
      const now = await currentReach(bucket);
      expect(now.timestampVersion).toBeGreaterThanOrEqual(previous.timestampVersion);
      expect(now.timestampVersion - previous.timestampVersion).toBeLessThanOrEqual(1); // we saw every commit
      for (const [role, v] of previous.versions) expect(now.versions.get(role)).toBeGreaterThanOrEqual(v);
      if (now.timestampVersion !== previous.timestampVersion) {
        reaches.set(now.timestampVersion, now);
        previous = now;
      }
      return now;
    };
    /** After each cron run (the only deleter): what the current and the previous timestamp reach is all stored. */
    const check = async () => {
      const now = await observe();
      const stored = await metadataNames(bucket);
      const prior = reaches.get(now.timestampVersion - 1);
      for (const name of [...now.files, ...(prior?.files ?? [])]) expect(stored.has(name), `${name} is reachable but was deleted`).toBe(true);
      for (const root of roots) expect(stored.has(root), `${root} is kept forever`).toBe(true);
      maxObjects.push(stored.size);
    };

    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      while (t < start + DAYS * 24 * HOUR) {
        t += 1.5 * HOUR + Math.floor(random() * 1.5 * HOUR);
        vi.setSystemTime(t);
        await setClock(w, t);

        // The oldest the metadata gets: right before the run. Every role, every bin, must verify.
        const found = await client.refresh([...probes, ...published]);
        for (const path of published) expect(found.get(path), `${path} is published`).toBe(true);

        expect(await runCron(w)).toBe("ok");
        runs++;
        const cron = await lastCronRun(bucket);
        // 16 bins every 12 h, at most 3 h apart: 4 due per run, plus one for rounding.
        expect(cron.renewal.bins).toBeLessThanOrEqual(5);
        expect(cron.renewal.behind).toBe(0);
        deletedTotal += cron.retention.deleted + cron.retention.orphans.deleted;
        await check();

        // Ten days in, a new root version (same keys): clients follow the chain; both roots stay.
        if (roots.length === 1 && t > start + 10 * 24 * HOUR) {
          const root = await nextRoot(repo.root, repo.keys, t + 365 * 24 * HOUR);
          await runJob(w, await admin(w, "/v1/admin/root", { root: root.toJSON() }));
          await observe();
          roots.push("2.root.json");
        }

        if (random() < 0.3) {
          const path = `packages/sim/${runs}/example-${runs}.bin`;
          const id = await sendUpload(w, path, `content ${runs}`, Math.floor(t / 1000));
          await deliver(w, [id]);
          expect((await uploadState(w, id)).state).toBe("published");
          published.push(path);
          await observe();
        }
      }
      const s = await status(w);
      expect(s.warnings).toEqual([]);
      expect(s.roles.bins.behind).toBe(0);
      expect(client.trustedRootVersion()).toBe(2);
    } finally {
      vi.useRealTimers();
      client.close();
    }

    expect(runs).toBeGreaterThanOrEqual(DAYS * 8);
    expect(published.length).toBeGreaterThan(20);
    expect(deletedTotal).toBeGreaterThan(runs);
    // Storage stays flat: 16 bins, snapshot, targets, timestamp, 2 roots, and what two commits superseded.
    expect(Math.max(...maxObjects)).toBeLessThanOrEqual(16 + 4 + 2 * (16 + 1));
    expect(Math.max(...maxObjects.slice(-20))).toBeLessThanOrEqual(Math.max(...maxObjects.slice(0, 20)) + 5);

    // Every run logged one line per part, and no line carries a secret.
    expect(logs.events("cron")).toHaveLength(runs);
    expect(logs.events("renewal").length).toBeGreaterThan(runs / 2);
    expect(logs.events("retention")).toHaveLength(runs);
    for (const secret of Object.values(w.secrets)) expect(logs.lines.join("\n")).not.toContain(secret);
  }, 240_000);
});
