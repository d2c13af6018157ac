import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { binFor } from "../../shared/bins.js";
import { refresh } from "../../shared/client.js";
import type { Config } from "../../worker/env.js";
import { type PublishContext, commit } from "../../worker/publish/commit.js";
import { renew } from "../../worker/publish/renew.js";
import { loadState, roleVersion } from "../../worker/storage/repository.js";
import { type SourcedUpload, type UploadContext, publishUploads } from "../../worker/publish/uploads.js";
import { ContentStore } from "../../worker/storage/content.js";
import { MetadataStore, metadataKey } from "../../worker/storage/metadata-store.js";
import { generateRepository, storeRepository } from "../support/fixture-repo.js";
import { MemoryBucket } from "../support/memory-bucket.js";

// The commit protocol (README, "Invariants": the commit point, immutable versions, no rollback, one writer wins) run in Node over an in-memory bucket, so that
// every write can fail and every race can be lost exactly where the test says: a write fails at each
// position in turn, another writer commits just before the timestamp swap, version names are taken.
// After each: the published repository verifies with a TUF client, nothing versioned is rewritten,
// and the work, retried, lands. (test/worker/publish-invariants.test.ts does the same end to end in workerd.)

const BITS = 3;
const DAY = 86_400_000;
const config: Config = {
  binsBitLength: BITS, timestampExpiry: DAY, snapshotExpiry: DAY, binsExpiry: DAY, retention: 3_600_000,
  timestampMaxAgeSeconds: 30, timestampRenewMargin: DAY / 2, snapshotRenewMargin: DAY / 2, uploadRetention: 7 * DAY, pagesMode: "index", writerShards: 0,
};

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const target = (path: string) => ({ path, length: path.length, hashes: { sha256: sha256(path) } });

/**
 * A fresh repository in a fresh bucket. The writer caches versioned files by name for the life of the
 * process (they are immutable), so each repository starts at versions no other one in this file uses.
 */
let nextBase = 1;
async function repository(paths: string[] = []) {
  const base = (nextBase += 100);
  const now = Date.now();
  const fixture = await generateRepository({
    bits: BITS, now, targets: paths.map((p) => ({ path: p, bytes: new TextEncoder().encode(p) })),
    versions: { targets: base, bins: base, snapshot: base, timestamp: base },
  });
  // R2's clock, apart from the writer's fixed one: it moves only when the writer waits for a
  // timestamp slot (one write a second per key), as production's waitForSlot does in real time.
  let r2Now = now;
  const bucket = new MemoryBucket({ clock: () => r2Now });
  await storeRepository(bucket.asR2(), fixture.files);
  const store = new MetadataStore(bucket.asR2());
  const ctx: UploadContext = {
    store, signers: [fixture.signers.online], config, clock: () => now,
    waitForSlot: async (lastWrite) => void (r2Now = Math.max(r2Now, lastWrite.getTime() + 1000)),
    packages: new MemoryBucket().asR2(), content: new ContentStore(bucket.asR2()), pagesMode: "index",
  };
  const allBins = Array.from({ length: 2 ** BITS }, (_, i) => `bins-${i}`);
  /** What a client sees: verifies every file the timestamp reaches, and returns each bin's targets. */
  const verify = async () => {
    const trusted = await refresh(fixture.rootBytes, async (name) => (await store.read(name))?.bytes ?? null, now, allBins);
    const listed = new Map<string, string>();
    for (const bin of allBins) for (const [p, f] of trusted.targets.get(bin)!.signed.targets) listed.set(p, f.hashes.sha256!);
    return { trusted, listed };
  };
  const timestampBytes = async () => (await store.read("timestamp.json"))!.bytes;
  return { fixture, bucket, store, ctx, verify, timestampBytes, now };
}

type Repo = Awaited<ReturnType<typeof repository>>;

/** Every versioned file was written once at most (invariant 2). */
function expectNoRewrite(bucket: MemoryBucket) {
  const versioned = bucket.written.filter((k) => /^metadata\/\d+\./.test(k));
  expect(new Set(versioned).size).toBe(versioned.length);
}

const uploadsOf = (...batches: { id: string; add?: string[]; remove?: string[] }[]): SourcedUpload[] =>
  batches.map((b) => ({ id: b.id, targets: (b.add ?? []).map(target), remove: (b.remove ?? []).map((path) => ({ path })), source: "webhook" }));

/** Two paths in different bins. */
function twoBins(prefix: string): [string, string] {
  const first = `${prefix}/a.whl`;
  for (let i = 0; ; i++) {
    const p = `${prefix}/b${i}.whl`;
    if (binFor(p, BITS) !== binFor(first, BITS)) return [first, p];
  }
}

interface Scenario {
  readonly name: string;
  readonly setup: () => Promise<Repo>;
  readonly run: (r: Repo) => Promise<unknown>;
  /** What a client must see once the work has landed. */
  readonly check: (r: Repo, listed: Map<string, string>) => void;
}

const [added1, added2] = twoBins("new");
const SCENARIOS: Scenario[] = [
  {
    name: "a publish (two bins, a removal)",
    setup: () => repository(["old/gone.whl", "old/kept.whl"]),
    run: (r) => publishUploads(r.ctx, uploadsOf({ id: "u1", add: [added1] }, { id: "u2", add: [added2], remove: ["old/gone.whl"] })),
    check: (_, listed) => {
      expect(listed.get(added1)).toBe(sha256(added1));
      expect(listed.get(added2)).toBe(sha256(added2));
      expect(listed.has("old/gone.whl")).toBe(false);
      expect(listed.get("old/kept.whl")).toBe(sha256("old/kept.whl"));
    },
  },
  {
    name: "a renewal (every bin, snapshot, timestamp)",
    setup: () => repository(["old/kept.whl"]),
    run: (r) => renew(r.ctx, r.now),
    check: (r, listed) => {
      expect(listed.get("old/kept.whl")).toBe(sha256("old/kept.whl"));
    },
  },
];

describe("the commit protocol in memory", () => {
  describe.each(SCENARIOS)("$name", (scenario) => {
    it("fails at every write in turn and leaves the last state published, then lands on retry", async () => {
      // How many writes the work takes when nothing fails.
      const clean = await scenario.setup();
      const before = clean.bucket.written.length;
      await scenario.run(clean);
      const writes = clean.bucket.written.length - before;
      expect(writes).toBeGreaterThanOrEqual(3); // at least a bin or snapshot, the timestamp, the commit record

      for (let failAt = 1; failAt <= writes; failAt++) {
        const r = await scenario.setup();
        const published = await r.timestampBytes();
        const oldState = (await loadState(r.store))!;
        let puts = 0;
        r.bucket.beforePut = (key) => {
          if (++puts === failAt) throw new Error(`injected failure of write ${failAt} (${key})`);
        };
        const outcome = await scenario.run(r).then(() => "ok", (e: Error) => e.message);
        r.bucket.beforePut = undefined;
        const swapped = !Buffer.from(await r.timestampBytes()).equals(Buffer.from(published));
        if (outcome === "ok") {
          // Only the commit record may fail after the swap, and it is not part of the commit.
          expect(swapped).toBe(true);
        } else {
          expect(outcome).toContain("injected failure");
          expect(swapped, `write ${failAt} failed, yet timestamp.json changed`).toBe(false);
        }
        await r.verify(); // the published state is intact and verifiable either way

        await scenario.run(r); // the retry
        const { trusted, listed } = await r.verify();
        scenario.check(r, listed);
        expectNoRewrite(r.bucket);
        const state = (await loadState(r.store))!;
        expect(trusted.timestamp!.signed.version).toBeGreaterThan(oldState.timestamp.signed.version);
        for (const [name, meta] of oldState.snapshot.signed.meta) {
          expect(state.snapshot.signed.meta.get(name)!.version).toBeGreaterThanOrEqual(meta.version);
        }
      }
    });
  });

  it("loses the timestamp race to another writer, re-reads and commits both changes", async () => {
    const r = await repository(["old/kept.whl"]);
    const [mine, theirs] = [`race/mine.whl`, `race/theirs.whl`];
    let raced = false;
    r.bucket.beforePut = async (key) => {
      if (key !== metadataKey("timestamp.json") || raced) return;
      raced = true; // the other writer commits between our read of the state and our swap
      await publishUploads(r.ctx, uploadsOf({ id: "theirs", add: [theirs, mine.replace("mine", "also-theirs")] }));
    };
    const { results, committed } = await publishUploads(r.ctx, uploadsOf({ id: "mine", add: [mine] }));
    expect(raced).toBe(true);
    expect(results.get("mine")!.state).toBe("published");
    const { listed, trusted } = await r.verify();
    for (const p of [mine, theirs, "race/also-theirs.whl", "old/kept.whl"]) expect(listed.get(p)).toBe(sha256(p));
    expect(trusted.timestamp!.signed.version).toBe(committed!.timestampVersion);
    expectNoRewrite(r.bucket);
  });

  it("takes the next version when a version name is taken, and leaves the taken file alone", async () => {
    const r = await repository();
    const state = (await loadState(r.store))!;
    const path = "taken/x.whl";
    const bin = binFor(path, BITS);
    const binVersion = roleVersion(state, bin);
    const snapshotVersion = state.snapshot.signed.version;
    const squatter = new TextEncoder().encode('{"left":"by an attempt that crashed"}');
    expect(await r.store.create(`${binVersion + 1}.${bin}.json`, squatter)).toBe(true);
    expect(await r.store.create(`${snapshotVersion + 1}.snapshot.json`, squatter)).toBe(true);

    const { committed } = await publishUploads(r.ctx, uploadsOf({ id: "u", add: [path] }));
    expect(committed!.bins.get(bin)).toBe(binVersion + 2);
    expect(committed!.snapshotVersion).toBe(snapshotVersion + 2);
    expect((await r.store.read(`${binVersion + 1}.${bin}.json`))!.bytes).toEqual(squatter);
    expect((await r.verify()).listed.get(path)).toBe(sha256(path));
    expectNoRewrite(r.bucket);
  });

  it("splices into a bin this writer just signed, and into one it reads back from storage, alike", async () => {
    const r = await repository(["keep/a.whl"]);
    const path = "keep/b.whl";
    // Same bin twice in a row: the second change splices into the cached entries of the first.
    let sameBin = "";
    for (let i = 0; !sameBin; i++) if (binFor(`keep/c${i}.whl`, BITS) === binFor(path, BITS)) sameBin = `keep/c${i}.whl`;
    await publishUploads(r.ctx, uploadsOf({ id: "1", add: [path] }));
    await publishUploads(r.ctx, uploadsOf({ id: "2", add: [sameBin] }));
    await commit(r.ctx, async () => ({ plan: { bins: new Map([[binFor(path, BITS), []]]) }, decision: null }));
    const { listed } = await r.verify();
    for (const p of ["keep/a.whl", path, sameBin]) expect(listed.get(p)).toBe(sha256(p));
  });
});
