// Second security review, finding 11: render mode broke the bounded-work budget (one 2,000-target
// request of new projects made about 19,000 storage calls, against 10,000 subrequests a Worker
// has). Page bins and content calls now count: the door refuses a request over the budget, and the
// consumer fills a commit up to it, deferring the rest.
// Guards README invariant 14.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MAX_STORAGE_OPS_PER_COMMIT, uploadCost } from "../../shared/budget.js";
import { bootstrapByHand, deliver } from "../support/consumer.js";
import { upload } from "../support/repo.js";
import { buildWheel } from "../support/wheel.js";
import { type TestWorker, startWorker } from "../support/worker.js";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const release = (i: number, tag = "") => {
  const wheel = buildWheel(`proj${tag}${i}`, "1.0");
  return { path: `packages/p${i}/${wheel.filename}`, bytes: wheel.bytes };
};
const target = (r: ReturnType<typeof release>) => ({ path: r.path, length: r.bytes.length, hashes: { sha256: sha256(r.bytes) } });

describe("uploadCost", () => {
  test("a release of a new project costs its dist, .metadata, .provenance and two page paths, the page content calls and a bucket check", () => {
    expect(uploadCost({ targets: [target(release(1))], remove: [] }, true)).toBe(2 * 5 + 1 + 7 + 7);
    expect(uploadCost({ targets: [target(release(1))], remove: [] }, false)).toBe(2 + 1);
    const many = { targets: Array.from({ length: 2000 }, (_, i) => target(release(i))), remove: [] };
    expect(uploadCost(many, true)).toBeGreaterThan(MAX_STORAGE_OPS_PER_COMMIT);
    expect(uploadCost(many, false)).toBeLessThanOrEqual(MAX_STORAGE_OPS_PER_COMMIT);
  });
});

describe("in render mode", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker({ queueConsumer: false, vars: { WRITER_SHARDS: "0" } }); // the single-invocation budget (shards allow 4 ×)
    await bootstrapByHand(w, 4);
  });
  afterAll(() => w.close());

  test("a request over the budget is refused at the door, naming the field", async () => {
    const res = await upload(w, { targets: Array.from({ length: 2000 }, (_, i) => target(release(i))) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "targets", error: expect.stringMatching(/storage operations in one commit, past the bound of 7500/) });
  });

  test("two requests that fit one commit each, but not one together, are published in two commits, once each", async () => {
    const bucket = await w.packages();
    const ids: string[] = [];
    for (const tag of ["a", "b"]) {
      const releases = Array.from({ length: 250 }, (_, i) => release(i, tag));
      for (const r of releases) await bucket.put(r.path, r.bytes);
      const res = await upload(w, { targets: releases.map(target) });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const state = async (id: string) => ((await (await fetch(`${w.url}/v1/uploads/${id}`)).json()) as any).state;
    const timestamp = async () => ((await (await fetch(`${w.url}/metadata/timestamp.json`)).json()) as any).signed.version;
    const before = await timestamp();
    await deliver(w, ids.map((id) => ({ kind: "upload" as const, id })));
    expect([await state(ids[0]!), await state(ids[1]!)]).toEqual(["published", "queued"]);
    expect(await timestamp()).toBe(before + 1);
    // The deferred one was queued again (not retried): its next delivery publishes it; a duplicate changes nothing.
    await deliver(w, [{ kind: "upload", id: ids[1]! }, { kind: "upload", id: ids[0]! }]);
    expect([await state(ids[0]!), await state(ids[1]!)]).toEqual(["published", "published"]);
    expect(await timestamp()).toBe(before + 2);
  });
});
