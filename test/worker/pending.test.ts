// worker/storage/pending.ts: the markers of undecided uploads, read back whatever dashes an id has
// (an R2 upload's id is `r2-…`; the received time has dashes of its own).
import { describe, expect, it } from "vitest";
import { markPending, oldestPending, parseMarker, sweepPending } from "../../worker/storage/pending.js";
import { UploadStore } from "../../worker/storage/uploads.js";
import { MemoryBucket } from "../support/memory-bucket.js";

const RECEIVED = "2026-12-04T20:19:07.123Z";

describe("pending markers", () => {
  it.each([
    ["a webhook id", "0123456789abcdef0123456789abcdef"],
    ["an R2 upload's id", "r2-0123456789abcdef0123456789abcdef"],
    ["an id of several dashes", "a-b-c-d"],
  ])("%s is read back whole, with its time", async (_, id) => {
    const bucket = new MemoryBucket();
    await markPending(bucket.asR2(), { id, received: RECEIVED });
    const [key] = [...bucket.objects.keys()];
    expect(parseMarker(key!)).toEqual({ id, received: RECEIVED });
  });

  it("the oldest queued upload with a dashed id is found, and its marker is not swept as stale", async () => {
    const bucket = new MemoryBucket();
    const uploads = new UploadStore(bucket.asR2());
    const id = "r2-0123456789abcdef0123456789abcdef";
    await uploads.put({ id, state: "queued", received: RECEIVED, request: { targets: [], remove: [] } });
    await markPending(bucket.asR2(), { id, received: RECEIVED });
    expect(await oldestPending(bucket.asR2(), uploads)).toEqual({ id, received: RECEIVED });
    expect(await sweepPending(bucket.asR2(), uploads)).toEqual({ cleared: 0 });
    expect(await oldestPending(bucket.asR2(), uploads)).toEqual({ id, received: RECEIVED });
  });

  it("keys that are not markers parse to nothing", () => {
    for (const key of ["pending/", "pending/abc", "pending/2026-12-04T20:19:07.123Z", "pending/2026-12-04T20:19:07.123Z-", "other/2026-12-04T20:19:07.123Z-abc"]) {
      expect(parseMarker(key)).toBeNull();
    }
  });
});
