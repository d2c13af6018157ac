// Bounded work (invariant 9): one commit touches at most MAX_BINS_PER_COMMIT (2,500) bins, to stay
// within a Worker's subrequests. The import endpoint refuses a chunk over it at the door; the queue
// consumer takes uploads into a commit only while their cost fits, and queues the rest again (an
// ack and a new message, not a retry that would count toward the dead-letter queue). At 12 bits
// (4,096 bins), two webhook uploads of 2,000 targets would together touch 2,571 bins.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MAX_BINS_PER_COMMIT, allBinNames, binFor } from "../../shared/bins.js";
import { refresh } from "../../shared/client.js";
import type { QueueMessage } from "../../worker/storage/messages.js";
import { bootstrapByHand, deliver } from "../support/consumer.js";
import { upload } from "../support/repo.js";
import { sha256Hex } from "../support/uploads.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { listKeys } from "./cron-support.js";

const BITS = 12;
const BINS = allBinNames(BITS);

describe(`at most ${MAX_BINS_PER_COMMIT} bins a commit`, () => {
  let w: TestWorker;
  let rootBytes: Uint8Array;
  const output: string[] = [];

  /** The messages the Worker queued since the last call (the faulty entry records them; nothing consumes them). */
  const queued = async () => ((await (await fetch(`${w.url}/__test/queue`)).json()) as { sent: QueueMessage[] }).sent;
  const record = async (id: string) => (await (await fetch(`${w.url}/v1/uploads/${id}`)).json()) as any;
  /** Each commit's record: how many bins it re-signed. */
  const commitBins = async () => {
    const bucket = await w.metadata();
    return Promise.all((await listKeys(bucket, "state/gc/")).map(async (key) => ((await (await bucket.get(key))!.json()) as { bins: number }).bins));
  };
  const commitEvents = () =>
    output.join("").split("\n").filter((l) => l.includes('"event":"commit"')).map((l) => JSON.parse(l.slice(l.indexOf("{"))) as { uploads: number; bins: number });
  const targetsOf = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => `packages/${prefix}/${i}/example-${i}.tar.gz`).map((path) => ({ path, length: 1, hashes: { sha256: sha256Hex(path) } }));

  /** Every bin verifies (spec §5); the targets each path is listed with. */
  async function verifiedTargets() {
    const get = async (name: string) => {
      const res = await fetch(`${w.url}/metadata/${name}`);
      return res.status === 404 ? null : new Uint8Array(await res.arrayBuffer());
    };
    const trusted = await refresh(rootBytes, get, Date.now(), BINS);
    return (path: string) => trusted.targets.get(binFor(path, BITS))!.signed.targets.get(path);
  }

  beforeAll(async () => {
    w = await startWorker({ entry: "faulty", queueConsumer: false, vars: { SIMPLE_PAGES: "index", WRITER_SHARDS: "0" }, onOutput: (text) => output.push(text) });
    rootBytes = (await bootstrapByHand(w, BITS)).rootBytes;
    await queued();
  }, 180_000);
  afterAll(() => w.close());

  test("an import chunk over the bound is refused at the door (400); one of exactly 2,500 bins is one commit", { timeout: 120_000 }, async () => {
    // One path in each of 2,501 bins.
    const byBin = new Map<string, string>();
    for (let i = 0; byBin.size < MAX_BINS_PER_COMMIT + 1; i++) {
      const path = `packages/import/${i}.tar.gz`;
      if (!byBin.has(binFor(path, BITS))) byBin.set(binFor(path, BITS), path);
    }
    const targets = [...byBin.values()].map((path) => ({ path, length: 1, hashes: { sha256: sha256Hex(path) } }));
    const post = (body: unknown) =>
      fetch(`${w.url}/v1/admin/import`, { method: "POST", headers: { authorization: `Bearer ${w.secrets.ADMIN_TOKEN}` }, body: JSON.stringify(body) });
    const over = await post({ targets });
    expect(over.status).toBe(400);
    expect(await over.json()).toMatchObject({ field: "targets", error: expect.stringMatching(/touches 2501 bins; at most 2500/) });
    expect(await queued()).toEqual([]);

    const at = await post({ targets: targets.slice(0, MAX_BINS_PER_COMMIT) });
    expect(at.status).toBe(202);
    const { id } = (await at.json()) as { id: string };
    expect(await queued()).toEqual([{ kind: "upload", id }]);
    const before = (await commitBins()).length;
    await deliver(w, [{ kind: "upload", id }]);
    expect(await record(id)).toMatchObject({ state: "published" });
    expect((await commitBins()).slice(before)).toEqual([MAX_BINS_PER_COMMIT]);
  });

  test("a batch over the bound is split: what does not fit is queued again, and every upload is published exactly once", { timeout: 180_000 }, async () => {
    const uploads = ["a", "b"].map((prefix) => targetsOf(prefix, 2000));
    const together = new Set(uploads.flat().map((t) => binFor(t.path, BITS))).size;
    expect(together).toBeGreaterThan(MAX_BINS_PER_COMMIT);
    const ids: string[] = [];
    for (const targets of uploads) {
      const res = await upload(w, { targets });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const messages = await queued();
    expect(messages).toEqual(ids.map((id) => ({ kind: "upload", id })));
    const commitsBefore = commitEvents().length;
    const recordsBefore = (await commitBins()).length;

    // One batch of both: the first fits (2,000 entries), the second waits for the next commit.
    const first = await deliver(w, messages);
    expect(first.retryMessages).toEqual([]);
    expect(first.retryBatch.retry).toBe(false);
    expect(first.explicitAcks).toHaveLength(2);
    expect((await Promise.all(ids.map(record))).map((r) => r.state)).toEqual(["published", "queued"]);
    const requeued = await queued();
    expect(requeued).toEqual([{ kind: "upload", id: ids[1] }]);

    // The queue delivers it again.
    const second = await deliver(w, requeued);
    expect(second.retryMessages).toEqual([]);
    expect(await queued()).toEqual([]);
    // At-least-once: the first batch delivered again changes nothing.
    await deliver(w, messages);
    expect(await queued()).toEqual([]);

    const records = await Promise.all(ids.map(record));
    expect(records.map((r) => r.state)).toEqual(["published", "published"]);
    expect(new Set(records.map((r) => r.snapshotVersion)).size).toBe(2);
    // Two commits, one upload each, none over the bound: each upload was published once.
    const commits = commitEvents().slice(commitsBefore);
    expect(commits.map((c) => c.uploads)).toEqual([1, 1]);
    const bins = (await commitBins()).slice(recordsBefore);
    expect(bins).toHaveLength(2);
    for (const n of bins) expect(n).toBeLessThanOrEqual(MAX_BINS_PER_COMMIT);
    const signed = await verifiedTargets();
    for (const t of uploads.flat()) expect(signed(t.path)?.hashes.sha256).toBe(t.hashes.sha256);
  });
});
