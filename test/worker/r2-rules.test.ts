// R2's production rules, which the local simulator does not enforce (test/support/r2-rules.ts): at
// most 1,000 keys a delete, one write a second per key. The in-memory bucket keeps them; this file
// checks that it does, then runs the writer's bulk deletions (2,501 keys and more) and its repeated
// writes of one key against it. The fault-injecting Worker entry keeps them too, and fails any test
// file whose Worker broke one (test/support/worker.ts); r2-rules-workerd.test.ts drives it.
import { describe, expect, it } from "vitest";
import { allBinNames } from "../../shared/bins.js";
import { refresh } from "../../shared/client.js";
import type { Config } from "../../worker/env.js";
import { commit } from "../../worker/publish/commit.js";
import { sweep } from "../../worker/publish/retention.js";
import { deleteCommits, recordedCommits } from "../../worker/storage/commits.js";
import { ContentStore } from "../../worker/storage/content.js";
import { MetadataStore } from "../../worker/storage/metadata-store.js";
import { UploadStore } from "../../worker/storage/uploads.js";
import { generateRepository, storeRepository } from "../support/fixture-repo.js";
import { MemoryBucket } from "../support/memory-bucket.js";
import { R2RuleError } from "../support/r2-rules.js";

const DAY = 86_400_000;
const names = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(5, "0")}`);

describe("the in-memory bucket keeps R2's rules", () => {
  it("refuses a delete of more than 1,000 keys, and takes 1,000", async () => {
    const bucket = new MemoryBucket();
    for (const key of names(1001, "k")) await bucket.put(key, "");
    await expect(bucket.delete(names(1001, "k"))).rejects.toThrow(/1001 keys in one call; R2 takes at most 1000/);
    expect(bucket.objects.size).toBe(1001);
    await bucket.delete(names(1000, "k"));
    expect(bucket.objects.size).toBe(1);
  });

  it("refuses a second write to one key within a second (429, 10058), on its clock; a put whose condition fails writes nothing and is not refused", async () => {
    let now = 1_000_000;
    const bucket = new MemoryBucket({ clock: () => now });
    const first = await bucket.put("key", "1");
    now += 999;
    await expect(bucket.put("key", "2")).rejects.toThrow(R2RuleError);
    await expect(bucket.put("key", "2")).rejects.toThrow(/\(10058\)/);
    expect(await bucket.put("key", "2", { onlyIf: { etagDoesNotMatch: "*" } })).toBeNull();
    expect(await bucket.put("other", "1")).not.toBeNull();
    now += 1;
    expect(await bucket.put("key", "2", { onlyIf: { etagMatches: first!.etag } })).not.toBeNull();
    expect(bucket.rules!.violations).toHaveLength(2);
  });
});

describe("bulk deletions of 2,501 keys", () => {
  it("metadata files, page bytes and commit records go in calls of at most 1,000 keys", async () => {
    const bucket = new MemoryBucket();
    const store = new MetadataStore(bucket.asR2());
    const content = new ContentStore(bucket.asR2());
    const files = names(2501, "f").map((n) => `1.${n}.json`);
    for (const name of files) await store.create(name, new Uint8Array([1]));
    const published = await Promise.all(names(2501, "c").map(async (n) => ({ path: `p/${n}`, sha256: (await content.putAt(`p/${n}`, new TextEncoder().encode(n))).sha256 })));
    const commits = Array.from({ length: 2501 }, (_, i) => i + 1);
    for (const v of commits) await bucket.put(`state/gc/${String(v).padStart(16, "0")}.json`, "{}");

    await store.delete(files);
    await content.deleteAt(published);
    await deleteCommits(store, commits);
    expect(bucket.objects.size).toBe(0);
    expect(bucket.calls.delete).toBe(9);
    expect((await recordedCommits(store, null, 10)).versions).toEqual([]);
  });

  it("retention deletes what one commit of 2,501 bins superseded (2,502 files), then the repository still verifies", { timeout: 60_000 }, async () => {
    const bits = 12;
    const now = Date.now();
    const fixture = await generateRepository({ bits, now });
    let r2Now = now;
    const bucket = new MemoryBucket({ clock: () => r2Now });
    await storeRepository(bucket.asR2(), fixture.files);
    const store = new MetadataStore(bucket.asR2());
    const config: Config = {
      binsBitLength: bits, timestampExpiry: DAY, snapshotExpiry: DAY, binsExpiry: DAY, retention: 60_000,
      timestampMaxAgeSeconds: 30, timestampRenewMargin: DAY / 2, snapshotRenewMargin: DAY / 2, uploadRetention: 7 * DAY, pagesMode: "index", writerShards: 0,
    };
    let clock = now;
    const ctx = {
      store, signers: [fixture.signers.online], config, clock: () => clock,
      waitForSlot: async (lastWrite: Date) => void (r2Now = Math.max(r2Now, lastWrite.getTime() + 1100)),
    };
    const renewed = allBinNames(bits).slice(0, 2501);
    // One commit over the 2,500-bin bound (commit itself does not check it): the worst record retention meets.
    await commit(ctx, async () => ({ plan: { bins: new Map(renewed.map((n) => [n, []])), reason: "test" }, decision: null }));
    // A later commit, so that the first one's files are superseded by more than the current timestamp.
    await commit(ctx, async () => ({ plan: { bins: new Map(), renewTimestamp: true }, decision: null }));
    clock = r2Now = now + 3_600_000;
    const before = bucket.objects.size;
    const report = await sweep(store, config, clock, "");
    expect(report.records).toBe(1);
    expect(report.deleted).toBe(2502);
    expect(before - bucket.objects.size).toBe(2502 + 1);
    expect(bucket.rules!.violations).toEqual([]);
    const trusted = await refresh(fixture.rootBytes, async (name) => (await store.read(name))?.bytes ?? null, clock, allBinNames(bits));
    expect(allBinNames(bits).filter((bin) => !trusted.targets.has(bin))).toEqual([]);
  });

  it("the upload records' retention sweeps 250 records (1,000 keys) and more, without a refused call", async () => {
    const bucket = new MemoryBucket();
    const uploads = new UploadStore(bucket.asR2());
    const received = "2026-01-01T00:00:00.000Z";
    for (let i = 0; i < 300; i++) {
      await uploads.put({ id: i.toString(16).padStart(32, "0"), state: "queued", received, request: { targets: [], remove: [] } });
    }
    expect(await uploads.sweep("2026-02-01T00:00:00.000Z")).toEqual({ deleted: 250, more: true });
    expect(await uploads.sweep("2026-02-01T00:00:00.000Z")).toEqual({ deleted: 50, more: false });
    expect([...bucket.objects.keys()]).toEqual([]);
    expect(bucket.rules!.violations).toEqual([]);
  });
});

describe("one write a second per key", () => {
  it("an upload record decided right after it was queued waits for its slot instead of being refused", async () => {
    const bucket = new MemoryBucket();
    const received = new Date().toISOString();
    const id = "ab".repeat(16);
    // The webhook's store queues it; the consumer's reads it and decides it a moment later.
    await new UploadStore(bucket.asR2()).put({ id, state: "queued", received, request: { targets: [], remove: [] } });
    const consumer = new UploadStore(bucket.asR2());
    const record = (await consumer.get(id))!;
    await consumer.put({ ...record, state: "published", snapshotVersion: 2, published: new Date().toISOString() });
    await consumer.put({ ...record, state: "published", snapshotVersion: 2, published: new Date().toISOString(), lastError: "again" });
    expect(bucket.rules!.violations).toEqual([]);
    expect((await consumer.get(id))?.lastError).toBe("again");
  });
});
