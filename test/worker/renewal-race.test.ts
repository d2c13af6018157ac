import { afterAll, beforeAll, expect, test } from "vitest";
import { bootstrap, status, waitForUpload } from "../support/repo.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { PersistentClient, captureLogs, currentReach, listKeys, runCron, sendUpload } from "./cron-support.js";

/**
 * Cron against the writer (invariant 4; the sequencer, as deployed): uploads arrive through the queue
 * while the cron renews.
 * Nothing is lost, every commit takes the next timestamp version exactly once, and clients never see
 * a version go back.
 *
 * Real time here, so that each commit waits for timestamp.json's one-write-per-second slot: while a
 * cron commit waits (bins and snapshot written, swap pending), the queue delivers a batch whose commit
 * waits for the same slot; one swap wins and the other writer must re-read and re-plan. (In workerd
 * locally, events interleave only while the busy one is idle; and Miniflare's getWorker() delivers
 * two scheduled() calls one after the other, so the race is with the queue's own consumer.)
 * Bins fall due every ~2 s (BINS_EXPIRY 60 s) and the cron renews the timestamp on every run.
 */
const BITS = 4;
let w: TestWorker;
let client: PersistentClient;
const logs = captureLogs();

beforeAll(async () => {
  w = await startWorker({
    entry: "faulty",
    // Ten days of retention keep every commit record for the checks below.
    vars: { BINS_EXPIRY: "60", TIMESTAMP_RENEW_MARGIN: "86400", RETENTION_SECONDS: "864000" },
  });
  client = new PersistentClient(w.url, (await bootstrap(w, BITS)).rootBytes);
});
afterAll(async () => {
  client?.close();
  await w?.close();
  logs.restore();
});

const faults = async (body?: unknown) =>
  (await (await fetch(`${w.url}/__test/faults`, body ? { method: "POST", body: JSON.stringify(body) } : {})).json()) as { writes: number };

test("cron racing the consumer: no update lost, versions strictly increase", async () => {
  const bucket = await w.metadata();
  const before = await currentReach(bucket);
  const cursorBefore = (await status(w)).roles.bins.renewCursor;
  // Count every write of timestamp.json, won or lost.
  await faults({ fail: [], keys: "^metadata/timestamp\\.json$" });

  // Watch timestamp.json the way clients do while everything runs.
  let watching = true;
  const seen: number[] = [];
  const clientErrors: unknown[] = [];
  const watcher = (async () => {
    while (watching) {
      const res = await fetch(`${w.url}/metadata/timestamp.json`);
      seen.push(((await res.json()) as any).signed.version);
      await client.refresh().catch((e: unknown) => clientErrors.push(e));
    }
  })();

  const paths: string[] = [];
  const ids: string[] = [];
  let crons = 0;
  for (let round = 0; round < 12; round++) {
    const batch = Array.from({ length: 3 }, (_, i) => `packages/race/${round}/${i}/example-${round}.${i}.bin`);
    ids.push(...(await Promise.all(batch.map((p) => sendUpload(w, p)))));
    paths.push(...batch);
    for (let i = 0; i < 2; i++, crons++) expect(await runCron(w)).toBe("ok");
    // Enough rounds to see a few lost races; usually the first rounds already have them.
    if (round >= 3 && (await faults()).writes - ((await currentReach(bucket)).timestampVersion - before.timestampVersion) >= 2) break;
  }
  for (const id of ids) expect((await waitForUpload(w, id)).state).toBe("published");
  watching = false;
  await watcher;
  expect(clientErrors).toEqual([]);

  // Every upload is visible to a client.
  const found = await client.refresh(paths);
  expect([...found.values()].every(Boolean)).toBe(true);

  // Clients saw versions only go up; every commit took the next version exactly once.
  for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
  const after = await currentReach(bucket);
  const records = await Promise.all((await listKeys(bucket, "state/gc/")).map(async (key) => (await (await bucket.get(key))!.json()) as any));
  const commits = after.timestampVersion - before.timestampVersion;
  expect(records.map((r) => r.timestampVersion)).toEqual(Array.from({ length: commits }, (_, i) => before.timestampVersion + i + 1));
  for (let i = 1; i < records.length; i++) {
    expect(records[i].snapshotVersion).toBeGreaterThanOrEqual(records[i - 1].snapshotVersion);
    expect(Date.parse(records[i].committedAt)).toBeGreaterThanOrEqual(Date.parse(records[i - 1].committedAt));
  }
  // The race did happen: more swaps of timestamp.json were tried than succeeded.
  expect((await faults()).writes).toBeGreaterThan(commits);
  // The cron committed too (a run may find the timestamp just renewed by the consumer's commit).
  expect(records.filter((r) => r.reason === "renewal").length).toBeGreaterThan(crons / 2);

  // Bin renewals were not lost or doubled either: what the cron re-signed is exactly the cursor's advance.
  const s = await status(w);
  const renewed = records.filter((r) => r.reason === "renewal").reduce((n, r) => n + r.bins, 0);
  expect(renewed).toBe(s.roles.bins.renewCursor - cursorBefore);
  expect(renewed).toBeGreaterThan(0);
  for (const [role, v] of before.versions) expect(after.versions.get(role)).toBeGreaterThanOrEqual(v);
  expect(s.oldestPendingUpload).toBeNull();
  expect(logs.events("renewal-failed")).toEqual([]);
  expect(logs.events("commit-failed")).toEqual([]);
});
