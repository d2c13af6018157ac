// R2's one-write-a-second-per-key rule in workerd (the fault-injecting entry keeps it, see
// test/support/faulty-worker.ts): the writer's back-to-back commits (uploads, cron renewals), and an
// upload record decided right after it was queued, wait for their slot instead of being refused.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bootstrapByHand, deliver } from "../support/consumer.js";
import { upload } from "../support/repo.js";
import { runCron } from "./cron-support.js";
import { sha256Hex } from "../support/uploads.js";
import { type TestWorker, r2RuleViolations, startWorker } from "../support/worker.js";

describe("one write a second per key, in workerd", () => {
  let w: TestWorker;
  beforeAll(async () => {
    // A renewal margin longer than the timestamp's lifetime: every cron run renews the timestamp.
    w = await startWorker({ entry: "faulty", queueConsumer: false, vars: { SIMPLE_PAGES: "index", TIMESTAMP_RENEW_MARGIN: "172800" } });
    await bootstrapByHand(w, 3);
  });
  afterAll(() => w.close());

  const send = async (path: string) => {
    const res = await upload(w, { targets: [{ path, length: 1, hashes: { sha256: sha256Hex(path) } }] });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const timestampWritten = async () => (await (await w.metadata()).head("metadata/timestamp.json"))!.uploaded.getTime();

  test("back-to-back commits: each decided upload right after its webhook, each timestamp a second or more after the last", async () => {
    const times = [await timestampWritten()];
    const ids: string[] = [];
    for (const name of ["a", "b", "c"]) {
      const id = await send(`packages/slot/${name}-1.0.tar.gz`);
      ids.push(id);
      const result = await deliver(w, [{ kind: "upload", id }]);
      expect(result.retryMessages).toEqual([]);
      times.push(await timestampWritten());
    }
    for (const id of ids) expect(((await (await fetch(`${w.url}/v1/uploads/${id}`)).json()) as any).state).toBe("published");
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1000);
    expect(await r2RuleViolations(w)).toEqual([]);
  });

  test("cron runs back to back: each renews the timestamp, each swap waits for the slot", async () => {
    const times = [await timestampWritten()];
    for (let i = 0; i < 3; i++) {
      expect(await runCron(w)).toBe("ok");
      times.push(await timestampWritten());
    }
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1000);
    expect(await r2RuleViolations(w)).toEqual([]);
  });
});
