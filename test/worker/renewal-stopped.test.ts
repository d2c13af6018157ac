import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { status } from "../support/repo.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { HOUR, PersistentClient, bootstrapNow, captureLogs, probePaths, realNow, runCron, setClock } from "./cron-support.js";

/**
 * The freeze defence working: a repository whose cron stops expires, clients refuse it, and status
 * says so; the next run brings it back (timestamp, snapshot, and every bin in one catch-up).
 */
const BITS = 4;
let w: TestWorker;
let client: PersistentClient;
const logs = captureLogs();

beforeAll(async () => {
  w = await startWorker({ entry: "faulty", queueConsumer: false });
  client = new PersistentClient(w.url, (await bootstrapNow(w, BITS)).rootBytes);
});
afterAll(async () => {
  vi.useRealTimers();
  client?.close();
  await w?.close();
  logs.restore();
});

/** Moves the Worker's clock and the client's (tuf-js checks expiry against new Date()). */
async function at(ms: number) {
  vi.setSystemTime(ms);
  await setClock(w, ms);
}

test("cron stopped for longer than the timestamp lifetime: tuf-js fails on expiry; one run recovers", async () => {
  const t0 = realNow();
  vi.useFakeTimers({ toFake: ["Date"] });
  await at(t0 + HOUR);
  expect(await runCron(w)).toBe("ok");
  await client.refresh(probePaths(BITS));
  const renewedAt = (await status(w)).roles.timestamp;

  // A day and two hours without a run: past the timestamp's 24 h.
  await at(t0 + 27 * HOUR);
  const frozen = await status(w);
  expect(frozen.roles.timestamp.expiresInSeconds).toBeLessThan(0);
  expect(frozen.roles.timestamp.version).toBe(renewedAt.version);
  expect(frozen.earliestExpiry.expiresInSeconds).toBeLessThan(0);
  const kinds = frozen.warnings.map((x: any) => `${x.level}:${x.kind}:${x.role ?? ""}`);
  expect(kinds).toEqual(expect.arrayContaining(["critical:expired:timestamp", "critical:expired:snapshot", "critical:expired:bins", "warning:cron:"]));
  // tuf-js raises ExpiredMetadataError and wraps it while loading the snapshot.
  await expect(client.refresh()).rejects.toThrow(/Final timestamp\.json is expired/);

  // The cron comes back: everything is renewed in one run (16 bins fit one run's bound).
  expect(await runCron(w)).toBe("ok");
  const renewal = logs.events("renewal").at(-1);
  expect(renewal.bins).toBe(2 ** BITS);
  expect(renewal.catchUp).toBeDefined();
  expect(renewal.renewedTimestamp && renewal.renewedSnapshot).toBe(true);
  const recovered = await status(w);
  expect(recovered.warnings).toEqual([]);
  expect(recovered.roles.bins.catchingUp).toBe(false);
  expect(recovered.roles.bins.versions.min).toBeGreaterThan(1);
  const found = await client.refresh(probePaths(BITS));
  expect(found.size).toBe(2 ** BITS);
});

test("before bootstrap a cron run does nothing and does not fail", async () => {
  const fresh = await startWorker({ entry: "faulty", queueConsumer: false });
  try {
    expect(await runCron(fresh)).toBe("ok");
    expect(logs.events("cron").at(-1)).toMatchObject({ idle: expect.stringMatching(/no repository/) });
    expect((await status(fresh)).published).toBe(false);
  } finally {
    await fresh.close();
  }
});
