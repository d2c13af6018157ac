// Render mode (the default) with PEP 480: a claimed project's simple pages list the files its roles
// sign, re-rendered by the commit that publishes the roles; the files themselves stay out of the
// bins. pip installs through the page, a friend's sub-delegated wheel appears on it, and a revoked
// delegation takes its files off again.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Signer, ed25519Signer, randomSeed } from "../../shared/keys.js";
import { TargetFile } from "../../shared/metadata/files.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import { Delegations, DelegatedRole, Targets } from "../../shared/metadata/targets.js";
import { type Claim, claimPatterns, subPatterns } from "../../shared/projects/index.js";
import { pipDownload, publishDist } from "../support/pip.js";
import { DAY, admin, bootstrap } from "../support/repo.js";
import { keysOf, moveToLayout, push, published } from "../support/project-worker.js";
import { TufClient } from "../support/tuf-client.js";
import { sha256Hex } from "../support/uploads.js";
import { buildSdist, buildWheel } from "../support/wheel.js";
import { type TestWorker, startWorker } from "../support/worker.js";

const JSON_PAGE = "application/vnd.pypi.simple.v1+json";
const wheelPath = (filename: string) => `packages/${filename.slice(0, 2)}/${filename}`;
const old = buildWheel("demo", "0.9");
const v1 = buildWheel("demo", "1.0");
/** A legacy sdist of project zeta-x whose name starts with `zeta-`: a claim of zeta would cover it. */
const legacy = buildSdist("zeta-x", "zeta-x", "1.0");
const win = { filename: "demo-1.0-cp312-cp312-win_amd64.whl", bytes: buildWheel("demo", "1.0", { extra: "# win" }).bytes };

async function listed(w: TestWorker, project: string): Promise<string[]> {
  const res = await fetch(`${w.url}/simple/${project}/`, { headers: { accept: JSON_PAGE } });
  if (res.status !== 200) return [];
  return ((await res.json()) as { files: { filename: string }[] }).files.map((f) => f.filename).sort();
}

async function signed(version: number, dists: { filename: string; bytes: Uint8Array }[], signers: Signer[], delegations?: Delegations) {
  const targets = new Map(dists.map((d) => [wheelPath(d.filename), new TargetFile(d.bytes.length, { sha256: sha256Hex(d.bytes) })]));
  return new Metadata(new Targets({ version, expires: Date.now() + 300 * DAY, targets, delegations })).sign(signers);
}

describe("render mode: a claimed project's pages list what its roles sign", () => {
  let w: TestWorker;
  let rootBytes: Uint8Array;
  const k = {} as Record<"offline" | "alice" | "friend", Signer>;
  let demo: Claim;

  beforeAll(async () => {
    w = await startWorker();
    const repo = await bootstrap(w, 4);
    rootBytes = repo.rootBytes;
    for (const name of ["offline", "alice", "friend"] as const) k[name] = await ed25519Signer(randomSeed());
    demo = { project: "demo", keys: [k.alice.key], threshold: 1 };
    await publishDist(w, wheelPath(old.filename), old.bytes);
    await publishDist(w, wheelPath(legacy.filename), legacy.bytes);
    expect(await listed(w, "demo")).toEqual([old.filename]);
    await moveToLayout(w, repo.targets, repo.keys.targets, k.offline, await ed25519Signer(w.onlineSeed));
    // Maintainers' files reach the bucket without the index publishing them (no R2 event here).
    for (const d of [v1, win]) await (await w.packages()).put(wheelPath(d.filename), d.bytes);
  }, 180_000);
  afterAll(() => w?.close());

  test("a claim whose names would cover another project's published file is refused, naming the file", async () => {
    const res = await admin(w, "/v1/admin/claims", { project: "zeta", keys: keysOf(k.alice), role: (await signed(1, [], [k.alice])).toJSON() });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ reason: "covers-other-project", error: expect.stringContaining(legacy.filename) });
  });

  test("the claim's first role replaces the page's list; pip installs from it; the files are found through the project role", async () => {
    const record = await published(w, await admin(w, "/v1/admin/claims", { project: "demo", keys: keysOf(k.alice), role: (await signed(1, [v1], [k.alice])).toJSON() }));
    expect(record.state).toBe("published");
    expect(await listed(w, "demo")).toEqual([v1.filename]);
    const pip = await pipDownload(w, "demo==1.0");
    expect(pip.code, pip.stderr).toBe(0);
    expect(Buffer.from(pip.files[v1.filename]!).equals(Buffer.from(v1.bytes))).toBe(true);
    expect((await pipDownload(w, "demo==0.9")).code).not.toBe(0);
    const client = new TufClient(w.url, rootBytes);
    expect(await client.targetInfo(wheelPath(v1.filename))).not.toBeNull();
    expect(await client.targetInfo(wheelPath(old.filename))).toBeNull();
    // The page itself is the index's (online key, in its bin): the claim does not cover pages.
    expect(await client.targetInfo("simple/demo/vnd.pypi.simple.v1.json")).not.toBeNull();
    client.close();
  }, 120_000);

  test("the friend's sub-delegated wheel appears on the page; revoking the delegation takes it off", async () => {
    const sub = new DelegatedRole("project-demo.win", [k.friend.key.keyid], 1, true, subPatterns(claimPatterns(demo), "*-win*.whl"));
    const withFriend = new Delegations({ [k.friend.key.keyid]: k.friend.key }, [sub]);
    expect((await published(w, await push(w, "demo", "project-demo", await signed(2, [v1], [k.alice], withFriend), k.alice))).state).toBe("published");
    expect((await published(w, await push(w, "demo", "project-demo.win", await signed(1, [win], [k.friend]), k.friend))).state).toBe("published");
    expect(await listed(w, "demo")).toEqual([win.filename, v1.filename].sort());

    expect((await published(w, await push(w, "demo", "project-demo", await signed(3, [v1], [k.alice]), k.alice))).state).toBe("published");
    expect(await listed(w, "demo")).toEqual([v1.filename]);
    const client = new TufClient(w.url, rootBytes);
    expect(await client.targetInfo(wheelPath(win.filename))).toBeNull();
    client.close();
  }, 120_000);

  test("a role whose files the page cannot list (one file name at two paths) is rejected alone, with the reason; the page stays", async () => {
    const twice = `packages/zz/${v1.filename}`;
    await (await w.packages()).put(twice, v1.bytes);
    const targets = new Map([[wheelPath(v1.filename), new TargetFile(v1.bytes.length, { sha256: sha256Hex(v1.bytes) })], [twice, new TargetFile(v1.bytes.length, { sha256: sha256Hex(v1.bytes) })]]);
    const role = await new Metadata(new Targets({ version: 4, expires: Date.now() + 300 * DAY, targets })).sign([k.alice]);
    const record = await published(w, await push(w, "demo", "project-demo", role, k.alice));
    expect(record.state).toBe("rejected");
    expect(record.rejected[0].reason).toContain(`the project's page cannot list`);
    expect(await listed(w, "demo")).toEqual([v1.filename]);
    // The project goes on: the next version without the second path publishes.
    expect((await published(w, await push(w, "demo", "project-demo", await signed(4, [v1], [k.alice]), k.alice))).state).toBe("published");
  }, 120_000);
});
