// ContentStore (worker/storage/content.ts) on Miniflare's R2: the adapter the publisher and the read path share.
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { utf8 } from "../../shared/encoding.js";
import { ContentMismatch, ContentStore, STAGED_GRACE, contentKey } from "../../worker/storage/content.js";
import { sha256Hex } from "../support/uploads.js";
import { type TestWorker, startWorker } from "../support/worker.js";

describe("ContentStore", () => {
  let w: TestWorker;
  let bucket: R2Bucket;
  let store: ContentStore;
  beforeAll(async () => {
    w = await startWorker({ queueConsumer: false });
    bucket = await w.metadata();
    store = new ContentStore(bucket);
  });
  afterAll(async () => {
    await w.close();
  });

  test("put stages gzip under the bytes' own SHA-256, create-if-absent; publishAt copies it to the path's own place", async () => {
    const bytes = utf8("a page ".repeat(1000));
    const sha256 = sha256Hex(bytes);
    expect(await store.put(bytes)).toEqual({ sha256, length: bytes.length, created: true });
    expect(await store.put(bytes)).toEqual({ sha256, length: bytes.length, created: false });
    expect(await store.head(sha256)).toEqual({ sha256, length: bytes.length });
    const raw = await bucket.get(contentKey(sha256));
    const stored = new Uint8Array(await raw!.arrayBuffer());
    expect(stored.length).toBeLessThan(bytes.length);
    expect(new Uint8Array(gunzipSync(stored))).toEqual(bytes);
    expect(raw!.httpMetadata?.contentEncoding).toBe("gzip");
    // Staged bytes are no path's: nothing serves them until a commit publishes them at a path.
    expect(await store.getAt("config/a.json", sha256)).toBeNull();
    expect(await store.publishAt("config/a.json", sha256)).toBe(true);
    expect(await store.getAt("config/a.json", sha256)).toEqual(bytes);
    expect(await store.headAt("config/a.json", sha256)).toEqual({ sha256, length: bytes.length });
    expect(await store.headAt("config/b.json", sha256)).toBeNull();
    expect(await store.publishAt("config/b.json", "1".repeat(64))).toBe(false);
  });

  test("put with an expected hash refuses other bytes and stores nothing", async () => {
    const bytes = utf8("not what was named");
    const error = await store.put(bytes, "0".repeat(64)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContentMismatch);
    expect((error as ContentMismatch).actual).toBe(sha256Hex(bytes));
    expect(await store.head(sha256Hex(bytes))).toBeNull();
    expect((await store.put(bytes, sha256Hex(bytes))).created).toBe(true);
  });

  test("the empty content is content too", async () => {
    const empty = new Uint8Array();
    expect((await store.putAt("p", empty)).length).toBe(0);
    expect(await store.getAt("p", sha256Hex(empty))).toEqual(empty);
  });

  test("unknown and malformed names are absent, never an R2 key of another shape", async () => {
    for (const name of ["0".repeat(64), "A".repeat(64), "../metadata/timestamp.json", ""]) {
      expect(await store.head(name)).toBeNull();
      expect(await store.getAt("p", name)).toBeNull();
      expect(await store.storedAt("p", name, true, true)).toBeNull();
    }
  });

  test("two paths with the same bytes hold a copy each: deleting one path's leaves the other's (review 2, finding 2)", async () => {
    const same = utf8("identical bytes");
    const sha256 = sha256Hex(same);
    await store.putAt("config/one.json", same);
    await store.putAt("config/two.json", same);
    await store.deleteAt([{ path: "config/one.json", sha256 }, { path: "x", sha256: "not-a-hash" }]);
    expect(await store.getAt("config/one.json", sha256)).toBeNull();
    expect(await store.getAt("config/two.json", sha256)).toEqual(same);
    const many = Array.from({ length: 1001 }, (_, i) => ({ path: `p/${i}`, sha256 }));
    await store.deleteAt(many); // more than one R2 delete call takes
    await store.deleteAt([]);
  });

  test("bytes stored before per-path content serve only where allowed; staged bytes never do", async () => {
    const legacy = utf8("stored before per-path content");
    const sha256 = sha256Hex(legacy);
    await bucket.put(contentKey(sha256), new Uint8Array(gzipSync(legacy)), { customMetadata: { sha256, length: String(legacy.length) } });
    expect(await store.getAt("simple/a/vnd.pypi.simple.v1.json", sha256)).toEqual(legacy);
    expect(await store.getAt("simple/a/vnd.pypi.simple.v1.json", sha256, false)).toBeNull();
    const staged = utf8("staged, never published");
    await store.put(staged);
    expect(await store.getAt("simple/a/vnd.pypi.simple.v1.json", sha256Hex(staged))).toBeNull();
  });

  test("the sweep deletes staged bytes no commit published within the grace, and nothing else", async () => {
    const staged = utf8("staged for the sweep");
    const sha256 = sha256Hex(staged);
    await store.put(staged);
    await store.putAt("config/kept.json", staged);
    let deleted = 0;
    for (let cursor = "", first = true; first || cursor; first = false) ({ cursor, deleted } = await store.sweepStaged(Date.now(), cursor));
    expect(await store.head(sha256)).not.toBeNull();
    for (let cursor = "", first = true; first || cursor; first = false) {
      const r = await store.sweepStaged(Date.now() + STAGED_GRACE + 1000, cursor);
      cursor = r.cursor;
      deleted += r.deleted;
    }
    expect(deleted).toBeGreaterThan(0);
    expect(await store.head(sha256)).toBeNull();
    expect(await store.getAt("config/kept.json", sha256)).toEqual(staged);
  });
});
