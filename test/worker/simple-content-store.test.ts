// ContentStore (worker/storage/content.ts) on Miniflare's R2: the adapter the publisher and the read path share.
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { utf8 } from "../../shared/encoding.js";
import { ContentMismatch, ContentStore, contentKey } from "../../worker/storage/content.js";
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

  test("put stores gzip under the bytes' own SHA-256, create-if-absent; head and get read it back", async () => {
    const bytes = utf8("a page ".repeat(1000));
    const sha256 = sha256Hex(bytes);
    expect(await store.put(bytes)).toEqual({ sha256, length: bytes.length, created: true });
    expect(await store.put(bytes)).toEqual({ sha256, length: bytes.length, created: false });
    expect(await store.head(sha256)).toEqual({ sha256, length: bytes.length });
    expect(await store.get(sha256)).toEqual(bytes);
    const raw = await bucket.get(contentKey(sha256));
    const stored = new Uint8Array(await raw!.arrayBuffer());
    expect(stored.length).toBeLessThan(bytes.length);
    expect(new Uint8Array(gunzipSync(stored))).toEqual(bytes);
    expect(raw!.httpMetadata?.contentEncoding).toBe("gzip");
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
    expect((await store.put(empty)).length).toBe(0);
    expect(await store.get(sha256Hex(empty))).toEqual(empty);
  });

  test("unknown and malformed names are absent, never an R2 key of another shape", async () => {
    for (const name of ["0".repeat(64), "A".repeat(64), "../metadata/timestamp.json", ""]) {
      expect(await store.head(name)).toBeNull();
      expect(await store.get(name)).toBeNull();
      expect(await store.stored(name, true)).toBeNull();
    }
  });

  test("delete removes the listed contents (in batches R2 accepts) and leaves the rest", async () => {
    const kept = utf8("kept");
    await store.put(kept);
    const doomed = await Promise.all(Array.from({ length: 5 }, (_, i) => store.put(utf8(`doomed ${i}`))));
    await store.delete([...doomed.map((d) => d.sha256), "not-a-hash"]);
    for (const d of doomed) expect(await store.head(d.sha256)).toBeNull();
    expect(await store.get(sha256Hex(kept))).toEqual(kept);
    await store.delete([]);
  });
});
