import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { binFor } from "../../shared/bins.js";
import { refresh } from "../../shared/client.js";
import { admin, status, upload } from "../support/repo.js";
import { bootstrapByHand, deliver, faults, runJob, writesSoFar } from "../support/consumer.js";
import { TufClient } from "../support/tuf-client.js";
import { type TestWorker, startWorker } from "../support/worker.js";

// The write path's invariants (README, "Invariants": its first five rows) with the consumer driven by the test, so that
// faults and races happen exactly where the test puts them.

const BITS = 4;
let w: TestWorker;
let rootBytes: Uint8Array;

beforeAll(async () => {
  w = await startWorker({ entry: "faulty", queueConsumer: false });
  rootBytes = (await bootstrapByHand(w, BITS)).rootBytes;
});
afterAll(() => w.close());

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const target = (path: string, content = path) => ({ path, length: content.length, hashes: { sha256: sha256(content) } });

async function submit(body: unknown): Promise<string> {
  const res = await upload(w, body);
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}
/** `n` paths under `prefix` in `n` different bins, so a publish writes exactly `n` bins. */
function inDistinctBins(prefix: string, n: number): string[] {
  const bins = new Set<string>();
  const paths: string[] = [];
  for (let i = 0; paths.length < n; i++) {
    const p = `${prefix}/f${i}.whl`;
    if (!bins.has(binFor(p, BITS))) {
      bins.add(binFor(p, BITS));
      paths.push(p);
    }
  }
  return paths;
}
const record = async (id: string) => (await (await fetch(`${w.url}/v1/uploads/${id}`)).json()) as any;

/** Our spec §5 verifier over HTTP: throws if the published state is not a valid, consistent repository. */
async function verified() {
  const get = async (name: string) => {
    const res = await fetch(`${w.url}/metadata/${name}`);
    return res.status === 404 ? null : new Uint8Array(await res.arrayBuffer());
  };
  const bins = Array.from({ length: 2 ** BITS }, (_, i) => `bins-${i.toString(16)}`);
  return refresh(rootBytes, get, Date.now(), bins);
}

async function versions() {
  const t = await verified();
  return {
    timestamp: t.timestamp!.signed.version,
    snapshot: t.snapshot!.signed.version,
    bins: Object.fromEntries([...t.targets].filter(([n]) => n !== "targets").map(([n, m]) => [n, m.signed.version])),
    targets: (path: string) => t.targets.get(binFor(path, BITS))!.signed.targets.get(path),
  };
}

describe("crash at every write", () => {
  for (const landed of [false, true]) {
    test(`a write that fails ${landed ? "after landing" : "outright"} loses nothing and publishes once on retry`, async () => {
      // How many METADATA writes one publish of three targets makes (bins, snapshot, timestamp, record).
      const probe = await submit({ targets: inDistinctBins(`probe/${landed}`, 3).map((p) => target(p)) });
      await faults(w, []);
      await deliver(w, [{ kind: "upload", id: probe }]);
      const { writes, log } = await writesSoFar(w);
      // Three bins, the snapshot, the timestamp (the commit), then the bookkeeping after it.
      expect(log.filter((k) => /\.bins-[0-9a-f]+\.json$/.test(k))).toHaveLength(3);
      expect(log.filter((k) => /\.snapshot\.json$/.test(k))).toHaveLength(1);
      expect(log.indexOf("metadata/timestamp.json")).toBe(4);
      expect(log).toContain(`uploads/${probe}.json`);

      for (let k = 1; k <= writes; k++) {
        const paths = inDistinctBins(`crash/${landed}/${k}`, 3);
        const id = await submit({ targets: paths.map((p) => target(p)) });
        const before = await versions();
        await faults(w, [k], { landed });
        await deliver(w, [{ kind: "upload", id }]);
        expect((await writesSoFar(w)).failures, `write ${k} failed`).toBe(1);
        await faults(w, []);

        // The last published state (or the new one, if the commit landed) still verifies.
        const client = new TufClient(w.url, rootBytes);
        await client.refresh();
        client.close();
        const during = await versions();
        expect(during.timestamp).toBeGreaterThanOrEqual(before.timestamp);

        // Redelivery publishes every target exactly once.
        await deliver(w, [{ kind: "upload", id }], 2);
        expect((await record(id)).state, `after failing write ${k}`).toBe("published");
        const after = await versions();
        expect(after.timestamp).toBeGreaterThan(before.timestamp);
        for (const p of paths) expect(after.targets(p)?.hashes.sha256).toBe(sha256(p));
        for (const [bin, v] of Object.entries(after.bins)) expect(v).toBeGreaterThanOrEqual(before.bins[bin]!);

        // A third delivery changes nothing: no version is bumped for a no-op.
        await deliver(w, [{ kind: "upload", id }], 3);
        expect((await versions()).timestamp).toBe(after.timestamp);
      }
    });
  }
});

describe("duplicate delivery and conflicts", () => {
  test("the same message delivered three times is one target and one set of version bumps", async () => {
    const id = await submit({ targets: [target("dup/x-1.0.whl")] });
    const before = await versions();
    // Three copies in one batch (the consumer runs one batch at a time: max_concurrency = 1), then again.
    await deliver(w, [1, 2, 3].map(() => ({ kind: "upload", id })));
    await deliver(w, [{ kind: "upload", id }], 4);
    const after = await versions();
    expect(after.timestamp).toBe(before.timestamp + 1);
    const bin = binFor("dup/x-1.0.whl", BITS);
    expect(after.bins[bin]).toBeGreaterThan(before.bins[bin]!);
    expect(after.targets("dup/x-1.0.whl")?.hashes.sha256).toBe(sha256("dup/x-1.0.whl"));
  });

  test("a new upload of a file already published is a no-op", async () => {
    const id = await submit({ targets: [target("dup/x-1.0.whl")] });
    const before = await versions();
    await deliver(w, [{ kind: "upload", id }]);
    expect((await record(id)).state).toBe("published");
    expect((await versions()).timestamp).toBe(before.timestamp);
  });

  test("the same path with another hash is rejected with a reason; the original still verifies", async () => {
    const bytes = "original bytes";
    await (await w.packages()).put("conflict/y-1.0.whl", bytes);
    const first = await submit({ targets: [target("conflict/y-1.0.whl", bytes)] });
    await deliver(w, [{ kind: "upload", id: first }]);
    const second = await submit({ targets: [target("conflict/y-1.0.whl", "other bytes"), target("conflict/z-1.0.whl")] });
    await deliver(w, [{ kind: "upload", id: second }]);
    const r = await record(second);
    expect(r.state).toBe("rejected");
    expect(r.rejected).toEqual([{ path: "conflict/y-1.0.whl", reason: expect.stringMatching(/packages bucket holds other bytes/) }]);
    // All or nothing: the upload's other target is not published either.
    expect((await versions()).targets("conflict/z-1.0.whl")).toBeUndefined();
    const client = new TufClient(w.url, rootBytes);
    expect((await client.download("conflict/y-1.0.whl")).toString()).toBe(bytes);
    client.close();
  });

  test("within one batch, the first of two different files at one path wins", async () => {
    const a = await submit({ targets: [target("batch/w.whl", "A")] });
    const b = await submit({ targets: [target("batch/w.whl", "B")] });
    await deliver(w, [{ kind: "upload", id: a }, { kind: "upload", id: b }]);
    expect((await record(a)).state).toBe("published");
    expect((await record(b)).state).toBe("rejected");
    expect((await versions()).targets("batch/w.whl")?.hashes.sha256).toBe(sha256("A"));
  });
});

describe("concurrent writers", () => {
  test("five consumer runs racing on one bin lose no upload and reuse no version", async () => {
    // Paths that all fall in one bin, so every writer creates the same bin file names.
    const paths: string[] = [];
    for (let i = 0; paths.length < 5; i++) if (binFor(`race/p${i}.whl`, BITS) === "bins-7") paths.push(`race/p${i}.whl`);
    const ids = await Promise.all(paths.map((p) => submit({ targets: [target(p)] })));
    const before = await versions();
    // Count every swap of timestamp.json, won or lost.
    await faults(w, [], { keys: "^metadata/timestamp\\.json$" });
    await Promise.all(ids.map((id) => deliver(w, [{ kind: "upload", id }])));
    const swaps = (await writesSoFar(w)).writes;
    await faults(w, []);
    const after = await versions();
    // The race did happen: more swaps were tried than there were commits.
    expect(swaps).toBeGreaterThan(5);
    const states = await Promise.all(ids.map(async (id) => (await record(id)).state));
    expect(states).toEqual(ids.map(() => "published"));
    for (const p of paths) expect(after.targets(p)).toBeDefined();
    // Each commit bumped the timestamp once; the bin moved forward.
    expect(after.timestamp).toBe(before.timestamp + 5);
    expect(after.bins["bins-7"]).toBeGreaterThan(before.bins["bins-7"]!);
    const snapshots = new Set(await Promise.all(ids.map(async (id) => (await record(id)).snapshotVersion)));
    expect(snapshots.size).toBe(5);
  });

  test("a publish racing a full re-sign of the bins loses nothing", async () => {
    const res = await admin(w, "/v1/admin/resign", {});
    expect(res.status).toBe(202);
    const job = (await res.json()) as { job: string; steps: number };
    const id = await submit({ targets: [target("race/resign.whl")] });
    const before = await versions();
    await Promise.all([runJob(w, job), deliver(w, [{ kind: "upload", id }])]);
    const after = await versions();
    expect((await record(id)).state).toBe("published");
    expect(after.targets("race/resign.whl")).toBeDefined();
    for (const [bin, v] of Object.entries(after.bins)) expect(v).toBeGreaterThan(before.bins[bin]!);
  });
});

describe("a queue that is down", () => {
  test("an upload that cannot be queued is answered 503 and leaves no record", async () => {
    const records = async () => (await (await w.metadata()).list({ prefix: "uploads/" })).objects.length;
    const before = await records();
    await faults(w, [], { queueDown: true });
    const res = await upload(w, { targets: [target("queue/down.whl")] });
    await faults(w, []);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toMatch(/could not be queued/);
    expect(await records()).toBe(before);
    expect((await status(w)).oldestPendingUpload ?? null).toBeNull();
    expect((await upload(w, { targets: [target("queue/down.whl")] })).status).toBe(202);
  });
});

describe("removal", () => {
  test("a removed target is gone for a client; its bin neighbours still verify", async () => {
    const paths: string[] = [];
    for (let i = 0; paths.length < 2; i++) if (binFor(`rm/q${i}.whl`, BITS) === "bins-3") paths.push(`rm/q${i}.whl`);
    const packages = await w.packages();
    for (const p of paths) await packages.put(p, p);
    await deliver(w, [{ kind: "upload", id: await submit({ targets: paths.map((p) => target(p)) }) }]);
    await deliver(w, [{ kind: "upload", id: await submit({ remove: [paths[0]] }) }]);
    const client = new TufClient(w.url, rootBytes);
    expect(await client.targetInfo(paths[0]!)).toBeNull();
    expect((await client.download(paths[1]!)).toString()).toBe(paths[1]);
    client.close();
  });
});
