// Upload records (contract.md, "Uploads"): every write answers an id that GET /v1/uploads/{id}
// follows; rejections are listed newest first, page by page; records go after UPLOAD_RETENTION_SECONDS.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { r2UploadId } from "../support/uploads.js";
import { buildWheel } from "../support/wheel.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { HOUR, bootstrapNow, captureLogs, deliver, deliverMessages, lastCronRun, listKeys, realNow, runCron, sendUpload, setClock } from "./cron-support.js";

const DAY = 24 * HOUR;
let w: TestWorker;
const logs = captureLogs();
const t0 = realNow();
const get = async (path: string) => {
  const res = await fetch(`${w.url}${path}`);
  return { status: res.status, body: (await res.json()) as any };
};

beforeAll(async () => {
  w = await startWorker({ entry: "faulty", queueConsumer: false });
  await bootstrapNow(w, 4);
});
afterAll(async () => {
  await w?.close();
  logs.restore();
});

describe("upload ids and the rejection list", () => {
  test("PUT /v1/admin/files answers the id of the upload its R2 event becomes; GET follows it from queued to published", async () => {
    const key = "packages/rec/demo-0.1-py3-none-any.whl";
    const res = await fetch(`${w.url}/v1/admin/files/${key}`, { method: "PUT", headers: { authorization: `Bearer ${w.secrets.ADMIN_TOKEN}` }, body: buildWheel("demo", "0.1").bytes });
    expect(res.status).toBe(202);
    const stored = (await res.json()) as { id: string; key: string; size: number; etag: string };
    expect(stored.id).toBe(r2UploadId(key, stored.etag));
    const queued = (await get(`/v1/uploads/${stored.id}`)).body;
    expect(queued).toMatchObject({ id: stored.id, state: "queued" });
    // The notification the PUT sent (the Worker's consumer is not running in this test: deliver it).
    const event = { account: "local", action: "PutObject", bucket: "tuf-edge-packages", object: { key, size: stored.size, eTag: stored.etag }, eventTime: queued.received };
    await deliverMessages(w, [event]);
    const done = (await get(`/v1/uploads/${stored.id}`)).body;
    expect(done).toMatchObject({ id: stored.id, state: "published", snapshotVersion: expect.any(Number), targets: 1 });
    // The wheel, and its METADATA extracted as its .metadata in the same commit.
    expect(done.results.map((r: any) => r.path)).toEqual([key, `${key}.metadata`]);
  });

  test("rejections are listed newest first with their reason, `limit` at a time with a cursor", async () => {
    const path = "packages/rec/taken-1.0.bin";
    await deliver(w, [await sendUpload(w, path, "first")]);
    const rejected: string[] = [];
    for (const content of ["second", "third", "fourth"]) {
      const id = await sendUpload(w, path, content);
      await deliver(w, [id]);
      rejected.push(id);
      await new Promise((r) => setTimeout(r, 5)); // distinct received times
    }
    const page1 = await get("/v1/uploads?state=rejected&limit=2");
    expect(page1.status).toBe(200);
    expect(page1.body.uploads.map((u: any) => u.id)).toEqual([rejected[2], rejected[1]]);
    expect(page1.body.uploads[0]).toMatchObject({ path, count: 1, partial: false, reason: expect.stringContaining("already published with a different length or hashes") });
    expect(page1.body.cursor).toEqual(expect.any(String));
    const page2 = await get(`/v1/uploads?state=rejected&limit=2&cursor=${encodeURIComponent(page1.body.cursor)}`);
    expect(page2.body.uploads.map((u: any) => u.id)).toEqual([rejected[0]]);
    expect(page2.body.cursor).toBeUndefined();
    expect((await get("/v1/uploads?state=rejected&limit=201")).body).toMatchObject({ field: "limit" });
    expect((await get("/v1/uploads?state=rejected&cursor=%00")).body).toMatchObject({ field: "cursor" });
  });
});

describe("retention of upload records", () => {
  test("the cron deletes records older than UPLOAD_RETENTION_SECONDS (7 days), with their index entries", async () => {
    const bucket = await w.metadata();
    const before = await listKeys(bucket, "uploads/");
    expect(before).toHaveLength(5); // the admin file, the first upload, three rejected
    await setClock(w, t0 + 6 * DAY);
    expect(await runCron(w)).toBe("ok");
    expect((await lastCronRun(bucket)).uploadRecords).toEqual({ deleted: 0, more: false });
    expect(await listKeys(bucket, "uploads/")).toEqual(before);

    await setClock(w, t0 + 8 * DAY);
    expect(await runCron(w)).toBe("ok");
    expect((await lastCronRun(bucket)).uploadRecords).toEqual({ deleted: before.length, more: false });
    expect(await listKeys(bucket, "uploads/")).toEqual([]);
    expect(await listKeys(bucket, "upload-index/"), "index entries left").toEqual([]);
    expect((await get("/v1/uploads?state=rejected")).body.uploads).toEqual([]);
    const id = before[0]!.slice("uploads/".length, -".json".length);
    expect((await get(`/v1/uploads/${id}`)).status).toBe(404);
  });
});
