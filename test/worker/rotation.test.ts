import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TrustedMetadata } from "../../shared/client.js";
import { toHex } from "../../shared/encoding.js";
import { ed25519Signer, randomSeed, type Signer } from "../../shared/keys.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import { rotateCeremony } from "../../scripts/lib/ceremony.js";
import { signCeremony } from "../../scripts/lib/signoff.js";
import type { Ceremony } from "../../scripts/lib/ceremony.js";
import { DAY, admin, bootstrap, signedInit, status, offlineKeys, upload, waitFor, waitForUpload } from "../support/repo.js";
import { TufClient } from "../support/tuf-client.js";
import { type TestWorker, startWorker } from "../support/worker.js";

const sign = async (c: Ceremony, signers: Signer[]) => {
  for (const s of signers) c = (await signCeremony(c, s)).ceremony;
  return c;
};
const metadata = async (w: TestWorker, name: string) => {
  const res = await fetch(`${w.url}/metadata/${name}`);
  return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
};
async function finishedJob(w: TestWorker, id: string) {
  return waitFor(`job ${id}`, async () => {
    const s = await status(w);
    return s.job?.id === id && s.job.finished ? s : null;
  }, 120_000);
}

describe("root and online key rotation", () => {
  let w: TestWorker;
  let repo: Awaited<ReturnType<typeof bootstrap>>;
  const extra: Signer[] = [];
  beforeAll(async () => {
    // A 1 s timestamp cache lifetime keeps the wait before a new online key's root short.
    w = await startWorker({ vars: { TIMESTAMP_MAX_AGE: "1" } });
    repo = await bootstrap(w, 4);
    extra.push(await ed25519Signer(randomSeed()));
  });
  afterAll(() => w.close());

  test("1 → 2 → 3 (keys added and removed, threshold raised, online key replaced): no refresh fails", async () => {
    const [r1, r2, r3] = repo.keys.root;
    const r4 = extra[0]!;
    const before = new TufClient(w.url, repo.rootBytes);
    await before.refresh();

    // Root 2: add r4, remove r3, threshold 2 → 3. Signed by 2 of root 1's keys and all 3 of its own.
    let v2 = rotateCeremony({ trustedRoot: repo.root, addRootKeys: [r4.key], removeRootKeys: [r3!.key.keyid], rootThreshold: 3, expires: Date.now() + 365 * DAY, targetsExpires: Date.now() + 365 * DAY });
    v2 = await sign(v2, [r1!, r2!, r4]);
    let res = await admin(w, "/v1/admin/root", { root: v2.root!.toJSON() });
    expect(res.status).toBe(202);
    await finishedJob(w, ((await res.json()) as { job: string }).job);
    expect((await metadata(w, "2.root.json")).status).toBe(200);

    // Root 3: a new online key. The Worker co-signs with it (ONLINE_KEY_NEXT) before root 3 exists.
    const nextSeed = randomSeed();
    const nextOnline = await ed25519Signer(nextSeed);
    await w.reconfigure({ ONLINE_KEY_NEXT: toHex(nextSeed) });
    let v3 = rotateCeremony({
      trustedRoot: v2.root!, currentTargets: repo.targets, onlineKey: nextOnline.key,
      expires: Date.now() + 365 * DAY, targetsExpires: Date.now() + 365 * DAY,
    });
    v3 = await sign(v3, [r1!, r2!, r4, ...repo.keys.targets]);
    res = await admin(w, "/v1/admin/root", { root: v3.root!.toJSON(), targets: v3.targets!.toJSON() });
    expect(res.status).toBe(202);
    const job = (await res.json()) as { job: string; resign: boolean };
    expect(job.resign).toBe(true);

    // Refresh at every moment of the rotation, fresh clients (trusting root 1) and a returning one;
    // and remember each served timestamp, to check what a CDN may still serve once root 3 appears.
    const seen: { at: number; timestamp: Uint8Array; root3: boolean }[] = [];
    let done = false;
    const watcher = (async () => {
      while (!done) {
        const fresh = new TufClient(w.url, repo.rootBytes);
        await fresh.refresh();
        expect(await fresh.targetInfo("nothing/here.whl")).toBeNull();
        fresh.close();
        await new TufClient(w.url, repo.rootBytes, before.dir).refresh();
        seen.push({ at: Date.now(), timestamp: (await metadata(w, "timestamp.json")).bytes, root3: (await metadata(w, "3.root.json")).status === 200 });
      }
    })();
    const during = await finishedJob(w, job.job);
    done = true;
    await watcher;
    // The writer records the keys it signs with; status shows them without loading the seed.
    expect(during.onlineKeys).toEqual([repo.root.signed.roles.timestamp.keyids[0], nextOnline.key.keyid]);

    // Every timestamp served within the cache lifetime before root 3 appeared verifies under root 3.
    const appeared = seen.find((s) => s.root3)?.at ?? Date.now();
    const v3Bytes = (await metadata(w, "3.root.json")).bytes;
    for (const s of seen.filter((s) => s.at >= appeared - 1000)) {
      const t = new TrustedMetadata(v3Bytes, Date.now());
      expect(t.updateTimestamp(s.timestamp)).toBe(true);
    }

    // The returning client walks 1 → 2 → 3 and trusts the new online key.
    const returning = new TufClient(w.url, repo.rootBytes, before.dir);
    await returning.refresh();
    expect(returning.trusted("root").signed.version).toBe(3);
    expect(returning.trusted("targets").signed.version).toBe(2);

    // The operator retires the old key; what is signed from now on carries only the new one.
    await w.reconfigure({ ONLINE_KEY: toHex(nextSeed), ONLINE_KEY_NEXT: "" });
    const bytes = "after rotation";
    await (await w.packages()).put("rotated/pkg-1.0.whl", bytes);
    const { createHash } = await import("node:crypto");
    const up = await upload(w, { targets: [{ path: "rotated/pkg-1.0.whl", length: bytes.length, hashes: { sha256: createHash("sha256").update(bytes).digest("hex") } }] });
    expect((await waitForUpload(w, ((await up.json()) as { id: string }).id)).state).toBe("published");
    const ts = Metadata.parse((await metadata(w, "timestamp.json")).bytes, "timestamp");
    expect(ts.signatures.map((s) => s.keyid)).toEqual([nextOnline.key.keyid]);
    expect((await status(w)).onlineKeys).toEqual([nextOnline.key.keyid]);
    const after = new TufClient(w.url, repo.rootBytes, before.dir);
    expect((await after.download("rotated/pkg-1.0.whl")).toString()).toBe(bytes);
    const fresh = new TufClient(w.url, repo.rootBytes);
    expect((await fresh.download("rotated/pkg-1.0.whl")).toString()).toBe(bytes);
    fresh.close();
    before.close();
  });
});

describe("refused: 4xx and nothing stored", () => {
  let w: TestWorker;
  let repo: Awaited<ReturnType<typeof bootstrap>>;
  beforeAll(async () => {
    w = await startWorker();
    repo = await bootstrap(w, 4);
  });
  afterAll(() => w.close());

  const expires = () => Date.now() + 365 * DAY;
  async function refused(body: unknown, expected: number, path = "/v1/admin/root", token?: string) {
    const before = await metadata(w, "timestamp.json");
    const res = await admin(w, path, body, token);
    expect(res.status).toBe(expected);
    expect(((await res.json()) as { error: string }).error).toBeTruthy();
    expect((await metadata(w, "2.root.json")).status).toBe(404);
    expect((await metadata(w, "timestamp.json")).bytes).toEqual(before.bytes);
    expect((await status(w)).job.kind).toBe("bootstrap");
  }

  test("a root under the old threshold", async () => {
    const c = await sign(rotateCeremony({ trustedRoot: repo.root, expires: expires(), targetsExpires: expires() }), [repo.keys.root[0]!]);
    await refused({ root: c.root!.toJSON() }, 400);
  });

  test("root N+2 skipping N+1", async () => {
    const v2 = await sign(rotateCeremony({ trustedRoot: repo.root, expires: expires(), targetsExpires: expires() }), repo.keys.root);
    const v3 = await sign(rotateCeremony({ trustedRoot: v2.root!, expires: expires(), targetsExpires: expires() }), repo.keys.root);
    await refused({ root: v3.root!.toJSON() }, 400);
  });

  test("a root signed only by new keys", async () => {
    const fresh = await offlineKeys(2);
    let c = rotateCeremony({
      trustedRoot: repo.root, addRootKeys: fresh.root.map((s) => s.key), removeRootKeys: repo.keys.root.map((s) => s.key.keyid),
      rootThreshold: 2, expires: expires(), targetsExpires: expires(),
    });
    c = await sign(c, fresh.root);
    await refused({ root: c.root!.toJSON() }, 400);
  });

  test("targets signed by a wrong key", async () => {
    const wrong = await ed25519Signer(randomSeed());
    const { nextTargets } = await import("../../scripts/lib/ceremony.js");
    const targets = await new Metadata(nextTargets(repo.targets.signed, expires())).sign([wrong]);
    await refused({ targets: targets.toJSON() }, 400, "/v1/admin/targets");
  });

  // The request path does not hold the online keys (invariant 10): the writer checks, before the
  // job's first step writes anything, and ends the job with the reason naming the field.
  test("a bootstrap whose root names another online key: the job fails at once, naming the field; nothing published", async () => {
    const other = await startWorker();
    try {
      const { root, targets } = await signedInit(w, 4, await offlineKeys()); // built for w's online key
      const res = await admin(other, "/v1/admin/bootstrap", { root: root.toJSON(), targets: targets.toJSON() });
      expect(res.status).toBe(202);
      const { job } = (await res.json()) as { job: string };
      const s = await finishedJob(other, job);
      expect(s.job.error).toMatch(/^refused: root\.signed\.roles\.timestamp\.keyids: must list the Worker's online key/);
      expect(s.job.done).toBe(0);
      expect(s.warnings).toContainEqual({ level: "critical", kind: "job", message: `admin job failed: ${s.job.error}` });
      expect(s.published).toBe(false);
      expect((await metadata(other, "1.root.json")).status).toBe(404);
    } finally {
      await other.close();
    }
  });

  test("a root that lists an online key for root or targets: 400 at the door, naming the field", async () => {
    const online = repo.root.signed.roles.timestamp.keyids[0]!;
    const c = rotateCeremony({ trustedRoot: repo.root, expires: expires(), targetsExpires: expires() });
    const json = JSON.parse(JSON.stringify(c.root!.toJSON()));
    json.signed.roles.targets.keyids.push(online);
    const signed = await sign({ ...c, root: Metadata.fromJSON(json, "root") }, repo.keys.root);
    const res = await admin(w, "/v1/admin/root", { root: signed.root!.toJSON() });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "root.signed.roles.targets.keyids" });
  });

  test("no token, and a wrong token", async () => {
    const c = await sign(rotateCeremony({ trustedRoot: repo.root, expires: expires(), targetsExpires: expires() }), repo.keys.root);
    await refused({ root: c.root!.toJSON() }, 401, "/v1/admin/root", "");
    await refused({ root: c.root!.toJSON() }, 401, "/v1/admin/root", "not-the-token");
    const res = await fetch(`${w.url}/v1/admin/root`, { method: "POST", body: JSON.stringify({ root: c.root!.toJSON() }) });
    expect(res.status).toBe(401);
  });
});
